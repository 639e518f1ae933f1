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
