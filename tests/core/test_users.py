"""Staff accounts: creation is audited; sign-out and a new password raise the session version."""

from __future__ import annotations

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
