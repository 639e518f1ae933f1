"""``outreach users``: a script deactivates, reactivates, resets a password and sets a role; refusals are messages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from core.tables import AuditEvent, Role
from core.users import authenticate, create_user, get_actor
from tests.conftest import PASSWORD

OUTREACH = str(Path(sys.executable).parent / "outreach")


def outreach(*args: str, input: str | None = None) -> subprocess.CompletedProcess:
    """The installed command against the test database, in Japanese, with a time limit."""
    env = {**os.environ, "OUTREACH_LANG": "ja"}
    return subprocess.run([OUTREACH, *args], capture_output=True, text=True, timeout=120, env=env, input=input)


async def test_a_script_takes_access_away_and_gives_it_back():
    user = await create_user("leaver", PASSWORD, Role.contractor_staff)
    done = outreach("users", "deactivate", "leaver")
    assert done.returncode == 0, done.stderr
    assert await authenticate("leaver", PASSWORD) is None and await get_actor(user.id) is None
    again = outreach("users", "deactivate", "leaver")
    assert again.returncode == 1 and "すでに無効化" in again.stderr and "Traceback" not in again.stderr
    assert outreach("users", "reactivate", "leaver").returncode == 0
    assert await authenticate("leaver", PASSWORD) is not None
    actions = await AuditEvent.select(AuditEvent.action, AuditEvent.actor_name).where(
        AuditEvent.object_id == str(user.id)
    )
    assert [(row["action"], row["actor_name"]) for row in actions][1:] == [
        ("user.deactivated", "system"),
        ("user.reactivated", "system"),
    ]


async def test_a_script_resets_a_password_and_sets_a_role():
    user = await create_user("forgetful", PASSWORD, Role.contractor_staff)
    weak = outreach("users", "reset-password", "forgetful", input="password1234\npassword1234\n")
    assert weak.returncode == 1 and "推測" in weak.stderr
    reset = outreach("users", "reset-password", "forgetful", input="a-brand-new-password\na-brand-new-password\n")
    assert reset.returncode == 0, reset.stderr
    assert await authenticate("forgetful", "a-brand-new-password") is not None
    assert outreach("users", "set-role", "forgetful", "contractor_lead").returncode == 0
    assert (await get_actor(user.id)).role == Role.contractor_lead
    unknown = outreach("users", "set-role", "nobody", "admin")
    assert unknown.returncode == 1 and "nobody" in unknown.stderr


async def test_a_script_cannot_remove_the_last_administrator():
    await create_user("only-admin", PASSWORD, Role.admin)
    refused = outreach("users", "set-role", "only-admin", "city_reviewer")
    assert refused.returncode == 1 and "唯一" in refused.stderr
