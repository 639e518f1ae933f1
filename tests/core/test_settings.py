"""Settings: read from the environment (DESIGN §5), one frozen dataclass."""

from __future__ import annotations

import pytest

from core.settings import read_settings


@pytest.mark.parametrize(("value", "pooled"), [(None, True), ("1", True), ("0", False)])
def test_db_pool_is_a_setting(monkeypatch, value, pooled):
    if value is None:
        monkeypatch.delenv("DB_POOL", raising=False)
    else:
        monkeypatch.setenv("DB_POOL", value)
    assert read_settings().db_pool is pooled


def test_configured_settings_are_the_process_settings():
    import dataclasses

    from core.settings import configure, environment_settings, get_settings

    assert get_settings() is environment_settings()
    custom = dataclasses.replace(environment_settings(), base_url="https://booths.example.jp")
    configure(custom)
    assert get_settings() is custom
    configure(None)
    assert get_settings() is environment_settings()


STRONG_KEY = "k" * 20 + "9Xv-3bQ_7sLw0pZr2mTy"  # 40 characters


@pytest.mark.parametrize(
    ("key", "base_url", "refused"),
    [
        ("change-me-to-a-long-random-string", "https://booths.example.jp", "published"),
        ("change-me-to-a-long-random-string", "http://127.0.0.1:8000", "published"),  # compose.yaml's old key
        ("short-but-random-7f3a", "https://booths.example.jp", "too short"),
        (None, "https://booths.example.jp", "not set"),
        (STRONG_KEY, "https://booths.example.jp", None),
        ("short-is-fine-locally", "http://127.0.0.1:8000", None),
        (None, "http://127.0.0.1:8000", None),  # development: a key generated once into var/
    ],
)
def test_weak_secret_keys_are_refused_on_a_public_portal(monkeypatch, tmp_path, key, base_url, refused):
    from core.i18n import using_locale
    from core.settings import SettingsError

    monkeypatch.setenv("OUTREACH_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("BASE_URL", base_url)
    if key is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", key)
    with using_locale("en"):
        if refused is None:
            assert len(read_settings().secret_key) >= (1 if key else 32)
        else:
            with pytest.raises(SettingsError, match=refused):
                read_settings()


def test_the_command_refuses_to_start_with_a_published_key(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "PYTHONPATH": str(root),
        "OUTREACH_VAR_DIR": str(tmp_path),
        "SECRET_KEY": "change-me-to-a-long-random-string",
        "BASE_URL": "https://booths.example.jp",
        "OUTREACH_LANG": "ja",
    }
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "users", "--help"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert "SECRET_KEY" in done.stderr and "Traceback" not in done.stderr
    assert "Usage: " not in done.stdout  # nothing ran
