"""Staff accounts: creation is audited; sign-out and a new password raise the session version."""

from __future__ import annotations

import pytest

from core.errors import Conflict, NotFound, ValidationFailed
from core.tables import AuditEvent, Role, StaffUser
from core.users import authenticate, create_user, end_sessions, get_actor, set_password
from tests.conftest import PASSWORD


async def test_creating_a_staff_account_is_audited_with_who_created_it():
    admin = await create_user("the-admin", PASSWORD, Role.admin)
    created = await create_user("new-reviewer", PASSWORD, Role.city_reviewer, created_by=admin)
    events = await AuditEvent.select().where(AuditEvent.action == "user.created").order_by(AuditEvent.id)
    assert [(e["actor_name"], e["object_id"]) for e in events] == [
        ("system", str(admin.id)),
        ("the-admin", str(created.id)),
    ]
    assert events[1]["actor_id"] == admin.id and events[1]["summary"] == "new-reviewer"
    assert events[1]["object_type"] == "staff_user"


async def test_sign_out_everywhere_and_a_new_password_raise_the_session_version():
    user = await create_user("versioned", PASSWORD, Role.contractor_staff)
    assert (await authenticate("versioned", PASSWORD)).session_version == 0
    await end_sessions(user.id)
    assert (await get_actor(user.id)).session_version == 1
    await set_password("versioned", "another-long-password")
    assert (await get_actor(user.id)).session_version == 2
    assert await StaffUser.count() == 1


async def test_the_account_list_is_typed_and_by_username_active_or_not():
    from core.users import StaffAccount, list_accounts

    await create_user("zeta", PASSWORD, Role.admin, display_name="Zeta")
    await create_user("alpha", PASSWORD, Role.city_reviewer)
    await StaffUser.update({StaffUser.active: False}).where(StaffUser.username == "zeta")
    await authenticate("alpha", PASSWORD)
    accounts = await list_accounts()
    assert [type(a) for a in accounts] == [StaffAccount, StaffAccount]
    assert [(a.username, a.display_name, a.role, a.active) for a in accounts] == [
        ("alpha", "alpha", Role.city_reviewer, True),
        ("zeta", "Zeta", Role.admin, False),
    ]
    assert accounts[0].last_login_at is not None and accounts[1].last_login_at is None


async def events_about(user_id: int) -> list[tuple[str, str, dict]]:
    query = AuditEvent.select().where(AuditEvent.object_id == str(user_id)).order_by(AuditEvent.id)
    rows = await query.output(load_json=True)
    return [(row["action"], row["actor_name"], row["changes"]) for row in rows]


async def test_a_deactivated_account_cannot_sign_in_until_reactivated():
    from core.users import deactivate_user, reactivate_user

    admin = await create_user("boss", PASSWORD, Role.admin)
    leaver = await create_user("leaver", PASSWORD, Role.contractor_staff)
    await deactivate_user(leaver.id, admin)
    assert await authenticate("leaver", PASSWORD) is None
    assert await get_actor(leaver.id) is None
    with pytest.raises(Conflict):
        await deactivate_user(leaver.id, admin)
    await reactivate_user(leaver.id, None)
    back = await authenticate("leaver", PASSWORD)
    assert back is not None and back.session_version == 2  # both steps ended the sessions of before
    assert [(action, who) for action, who, _changes in await events_about(leaver.id)] == [
        ("user.created", "system"),
        ("user.deactivated", "boss"),
        ("user.reactivated", "system"),
    ]


async def test_the_last_active_administrator_stays():
    from core.users import change_role, deactivate_user

    only = await create_user("only-admin", PASSWORD, Role.admin)
    with pytest.raises(Conflict):
        await deactivate_user(only.id, only)
    with pytest.raises(Conflict):
        await change_role(only.id, Role.city_reviewer, only)
    second = await create_user("second-admin", PASSWORD, Role.admin)
    await change_role(only.id, Role.city_reviewer, second)
    assert (await get_actor(only.id)).role == Role.city_reviewer
    with pytest.raises(Conflict):
        await deactivate_user(second.id, second)


async def test_a_role_change_is_audited_and_ends_the_sessions():
    from core.users import change_role

    admin = await create_user("boss", PASSWORD, Role.admin)
    user = await create_user("promoted", PASSWORD, Role.contractor_staff)
    await change_role(user.id, Role.contractor_lead, admin)
    after = await get_actor(user.id)
    assert (after.role, after.session_version) == (Role.contractor_lead, 1)
    assert (await events_about(user.id))[-1] == (
        "user.role_changed",
        "boss",
        {"role": {"before": "contractor_staff", "after": "contractor_lead"}},
    )
    with pytest.raises(Conflict):
        await change_role(user.id, Role.contractor_lead, admin)


async def test_an_admin_resets_a_password_to_a_strong_one_only():
    from core.users import reset_password

    admin = await create_user("boss", PASSWORD, Role.admin)
    user = await create_user("forgetful", PASSWORD, Role.city_reviewer)
    with pytest.raises(ValidationFailed):
        await reset_password(user.id, "password1234", admin)
    await reset_password(user.id, "a-brand-new-password", admin)
    assert await authenticate("forgetful", PASSWORD) is None
    assert (await authenticate("forgetful", "a-brand-new-password")).session_version == 1
    action, who, changes = (await events_about(user.id))[-1]
    assert (action, who) == ("user.password_reset", "boss") and "a-brand-new-password" not in str(changes)
    with pytest.raises(NotFound):
        await reset_password(999_999, "a-brand-new-password", admin)


async def test_a_user_changes_their_own_password_with_the_current_one():
    from core.users import change_own_password

    user = await create_user("careful", PASSWORD, Role.contractor_lead)
    with pytest.raises(ValidationFailed) as wrong:
        await change_own_password(user, "not-my-password", "a-brand-new-password")
    assert "current_password" in wrong.value.fields
    with pytest.raises(ValidationFailed) as same:
        await change_own_password(user, PASSWORD, PASSWORD)
    assert "password" in same.value.fields
    with pytest.raises(ValidationFailed):
        await change_own_password(user, PASSWORD, "careful-2027")
    changed = await change_own_password(user, PASSWORD, "a-brand-new-password")
    assert changed.session_version == 1 and changed.id == user.id
    assert await authenticate("careful", PASSWORD) is None
    assert await authenticate("careful", "a-brand-new-password") is not None
    assert (await events_about(user.id))[-1][:2] == ("user.password_changed", "careful")
