"""Staff accounts: creation, password hashing (Argon2id) and sign-in (the password rule: core.passwords)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.audit import record_event
from core.db import is_sqlite, write_transaction
from core.errors import Conflict, NotFound, ValidationFailed
from core.i18n import N_
from core.i18n import gettext as _
from core.offload import ThreadLimit
from core.passwords import check_password
from core.tables import Role, StaffUser

_hasher = PasswordHasher()  # Argon2id with the library's current recommended (slow) parameters
# Verified against when the username is unknown, so that response time does not reveal which names exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
# Argon2 holds 64 MiB and a core for ~0.2 s (releasing the GIL): two at once on this 2-core machine; a burst of
# sign-ins queues for these threads while the event loop goes on serving every other request.
PASSWORD_HASHES_AT_ONCE = 2
_hashing = ThreadLimit(PASSWORD_HASHES_AT_ONCE)


@dataclass(frozen=True)
class Actor:
    """The signed-in staff member on whose behalf a service acts."""

    id: int
    username: str
    display_name: str
    role: Role
    session_version: int = 0  # must match the one in the session cookie (see end_sessions)

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles


@dataclass(frozen=True)
class StaffAccount:
    """A staff account as the admins' list shows it (no password hash, no session version)."""

    id: int
    username: str
    display_name: str
    role: Role
    active: bool
    last_login_at: dt.datetime | None


_ACCOUNT_COLUMNS = (
    StaffUser.id,
    StaffUser.username,
    StaffUser.display_name,
    StaffUser.role,
    StaffUser.active,
    StaffUser.last_login_at,
)


def _is_id(user_id: int) -> bool:
    """Whether the number can be a row id (a larger one would overflow the database's integer, not just miss)."""
    return 0 < user_id < 2**63


def hash_password(password: str) -> str:
    """A salted Argon2id hash of the password."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether the password matches the stored hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def hash_password_off_loop(password: str) -> str:
    """``hash_password`` in a bounded thread: the event loop stays free while Argon2 works."""
    return await _hashing.run(hash_password, password)


async def password_matches(password_hash: str, password: str) -> bool:
    """``verify_password`` in a bounded thread: the event loop stays free while Argon2 works."""
    return await _hashing.run(verify_password, password_hash, password)


def actor_from_row(row: dict[str, Any]) -> Actor:
    return Actor(
        id=row["id"],
        username=row["username"],
        display_name=row["display_name"],
        role=Role(row["role"]),
        session_version=row["session_version"],
    )


async def create_user(
    username: str,
    password: str,
    role: Role,
    *,
    display_name: str = "",
    email: str = "",
    created_by: Actor | None = None,
) -> Actor:
    """Create a staff account and audit it (``created_by``: the admin, None for a command); refuses a taken
    username or a short password."""
    username = username.strip()
    if not username:
        raise ValidationFailed(_("Enter a username."), {"username": _("Enter a username.")})
    check_password(password, username=username, display_name=display_name)
    password_hash = await hash_password_off_loop(password)  # slow: before the transaction, not inside it
    async with write_transaction():
        if await StaffUser.exists().where(StaffUser.username == username):
            raise Conflict(_("The username {username} is already taken.").format(username=username))
        user = StaffUser(
            username=username,
            display_name=display_name or username,
            email=email,
            role=role.value,
            password_hash=password_hash,
        )
        await user.save()
        await record_event(
            created_by, "user.created", "staff_user", user.id, username, {"role": {"before": None, "after": role.value}}
        )
    return Actor(id=user.id, username=user.username, display_name=user.display_name, role=role)


async def set_password(username: str, password: str) -> None:
    """Replace a user's password (used by the demo) and end every session signed in with the old one."""
    check_password(password, username=username)
    password_hash = await hash_password_off_loop(password)
    await StaffUser.update(
        {StaffUser.password_hash: password_hash, StaffUser.session_version: StaffUser.session_version + 1}
    ).where(StaffUser.username == username)


def _ending_sessions() -> dict[Any, Any]:
    """The update that ends every session of a user (see ``end_sessions``)."""
    return {StaffUser.session_version: StaffUser.session_version + 1}


async def _account_row(user_id: int) -> dict[str, Any]:
    """The account's row, locked until the write transaction ends together with every active administrator's
    (PostgreSQL; SQLite's write transaction already runs alone). One statement in id order: two admins demoting each
    other at once queue instead of deadlocking, and the second then sees one administrator left."""
    if not _is_id(user_id):
        raise NotFound(_("There is no such staff account."))
    if not is_sqlite():
        await (
            StaffUser.select(StaffUser.id)
            .where((StaffUser.id == user_id) | ((StaffUser.role == Role.admin.value) & (StaffUser.active == True)))
            .order_by(StaffUser.id)
            .lock_rows("UPDATE")
        )
    row = await StaffUser.select().where(StaffUser.id == user_id).first()
    if row is None:
        raise NotFound(_("There is no such staff account."))
    return row


async def _keep_an_administrator(row: dict[str, Any]) -> None:
    """Refuse to take away the last active administrator: nobody could then manage accounts on the web."""
    if row["role"] != Role.admin.value or not row["active"]:
        return
    admins = await StaffUser.count().where((StaffUser.role == Role.admin.value) & (StaffUser.active == True))
    if admins <= 1:  # the rows are locked by _account_row
        raise Conflict(
            _("{username} is the only active administrator: make another account an administrator first.").format(
                username=row["username"]
            )
        )


async def deactivate_user(user_id: int, by: Actor | None) -> None:
    """Take an account's access away (a leaver): it can no longer sign in, and every session it has ends at its
    next request. Audited (``by``: the admin, None for a command)."""
    async with write_transaction():
        row = await _account_row(user_id)
        if not row["active"]:
            raise Conflict(_("{username} is already deactivated.").format(username=row["username"]))
        await _keep_an_administrator(row)
        await StaffUser.update({StaffUser.active: False, **_ending_sessions()}).where(StaffUser.id == user_id)
        await record_event(
            by, "user.deactivated", "staff_user", user_id, row["username"], {"active": {"before": True, "after": False}}
        )


async def reactivate_user(user_id: int, by: Actor | None) -> None:
    """Give a deactivated account its access back (with the password it had; sessions from before stay ended)."""
    async with write_transaction():
        row = await _account_row(user_id)
        if row["active"]:
            raise Conflict(_("{username} is already active.").format(username=row["username"]))
        await StaffUser.update({StaffUser.active: True, **_ending_sessions()}).where(StaffUser.id == user_id)
        await record_event(
            by, "user.reactivated", "staff_user", user_id, row["username"], {"active": {"before": False, "after": True}}
        )


async def change_role(user_id: int, role: Role, by: Actor | None) -> None:
    """Give an account another role; its sessions end, so that it signs in again under the new one."""
    async with write_transaction():
        row = await _account_row(user_id)
        if row["role"] == role.value:
            raise Conflict(
                _("{username} already has the role {role}.").format(username=row["username"], role=role_label(role))
            )
        await _keep_an_administrator(row)
        await StaffUser.update({StaffUser.role: role.value, **_ending_sessions()}).where(StaffUser.id == user_id)
        await record_event(
            by,
            "user.role_changed",
            "staff_user",
            user_id,
            row["username"],
            {"role": {"before": row["role"], "after": role.value}},
        )


async def reset_password(user_id: int, password: str, by: Actor | None) -> None:
    """Give an account a new password chosen by an admin (a forgotten one, a leak); every session of the account
    ends. The password follows the rule (core.passwords); the audit entry does not hold it."""
    account = await get_account(user_id)
    check_password(password, username=account.username, display_name=account.display_name)
    password_hash = await hash_password_off_loop(password)  # slow: before the transaction, not inside it
    async with write_transaction():
        row = await _account_row(user_id)
        await StaffUser.update({StaffUser.password_hash: password_hash, **_ending_sessions()}).where(
            StaffUser.id == user_id
        )
        await record_event(by, "user.password_reset", "staff_user", user_id, row["username"])


async def change_own_password(actor: Actor, current_password: str, new_password: str) -> Actor:
    """A user replaces their own password, proving the current one. Every session of the user ends; the returned
    actor carries the new session version, for the one browser that made the change to stay signed in."""
    row = await StaffUser.select().where((StaffUser.id == actor.id) & (StaffUser.active == True)).first()
    if row is None:
        raise NotFound(_("There is no such staff account."))
    if not await password_matches(row["password_hash"], current_password):
        message = _("The current password is not correct.")
        raise ValidationFailed(message, {"current_password": message})
    if new_password == current_password:
        message = _("Choose a password different from the current one.")
        raise ValidationFailed(message, {"password": message})
    check_password(new_password, username=row["username"], display_name=row["display_name"])
    password_hash = await hash_password_off_loop(new_password)
    async with write_transaction():
        await _account_row(actor.id)
        await StaffUser.update({StaffUser.password_hash: password_hash, **_ending_sessions()}).where(
            StaffUser.id == actor.id
        )
        await record_event(actor, "user.password_changed", "staff_user", actor.id, row["username"])
        changed = await _account_row(actor.id)
    return actor_from_row(changed)


async def end_sessions(user_id: int) -> None:
    """Sign the user out everywhere: session cookies carry the version they were issued with, which no longer
    matches (sessions live in encrypted cookies, so there is no server-side session to delete)."""
    await StaffUser.update(_ending_sessions()).where(StaffUser.id == user_id)


async def authenticate(username: str, password: str) -> Actor | None:
    """The actor for a valid username and password of an active account, else None."""
    row = await StaffUser.select().where(StaffUser.username == username.strip()).first()
    if row is None or not row["active"]:
        await password_matches(_DUMMY_HASH, password)
        return None
    if not await password_matches(row["password_hash"], password):
        return None
    await StaffUser.update({StaffUser.last_login_at: dt.datetime.now(dt.UTC)}).where(StaffUser.id == row["id"])
    return actor_from_row(row)


def _account(row: dict[str, Any]) -> StaffAccount:
    return StaffAccount(
        id=row["id"],
        username=row["username"],
        display_name=row["display_name"],
        role=Role(row["role"]),
        active=row["active"],
        last_login_at=row["last_login_at"],
    )


async def get_account(user_id: int) -> StaffAccount:
    """One staff account, active or not; NotFound when there is none."""
    row = await StaffUser.select(*_ACCOUNT_COLUMNS).where(StaffUser.id == user_id).first() if _is_id(user_id) else None
    if row is None:
        raise NotFound(_("There is no such staff account."))
    return _account(row)


async def list_accounts() -> list[StaffAccount]:
    """Every staff account, active or not, by username."""
    rows = await StaffUser.select(*_ACCOUNT_COLUMNS).order_by(StaffUser.username)
    return [_account(row) for row in rows]


async def get_actor(user_id: int) -> Actor | None:
    """The active actor with this id, or None (e.g. the account was deactivated since sign-in)."""
    row = await StaffUser.select().where((StaffUser.id == user_id) & (StaffUser.active == True)).first()
    return actor_from_row(row) if row else None


async def find_actor(username: str) -> Actor | None:
    """The account with this username (active or not), or None."""
    row = await StaffUser.select().where(StaffUser.username == username).first()
    return actor_from_row(row) if row else None


ROLE_LABELS = {
    Role.contractor_staff: N_("Contractor staff"),
    Role.contractor_lead: N_("Contractor lead"),
    Role.city_reviewer: N_("City reviewer"),
    Role.admin: N_("Administrator"),
}


def role_label(role: Role | str) -> str:
    """The translated name of a role."""
    return _(ROLE_LABELS[Role(role)])
