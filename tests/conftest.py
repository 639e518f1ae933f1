"""Test set-up: a fresh database per run (SQLite by default, PostgreSQL when TEST_DATABASE_URL is set),
migrated once, emptied before every test; an HTTP client on the real app; staff users per role."""

from __future__ import annotations

import dataclasses
import os
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path

# --- environment first: settings and the Piccolo engine are read once, at first use ---------------------------
_VAR = Path(tempfile.mkdtemp(prefix="outreach-test-"))
os.environ["OUTREACH_VAR_DIR"] = str(_VAR)
os.environ["SECRET_KEY"] = "test-" + secrets.token_hex(16)
os.environ["TILE_URL"] = "/static/img/blank-tile.png"  # no request may leave the machine
os.environ.pop("REDIS_URL", None)
os.environ["OUTBOX_SEND_INTERVAL"] = "0"  # tests send the outbox themselves
os.environ["DB_POOL"] = "0"  # the test client runs the app on its own event loop; a shared pool cannot span both
_PG_ADMIN_URL = os.environ.get("TEST_DATABASE_URL")
_PG_DB_NAME = f"outreach_test_{secrets.token_hex(4)}"
if _PG_ADMIN_URL:
    os.environ["DATABASE_URL"] = _PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + _PG_DB_NAME
else:
    os.environ["DATABASE_URL"] = f"sqlite:///{_VAR / 'test.sqlite'}"

import pytest  # noqa: E402
from bs4 import BeautifulSoup  # noqa: E402
from litestar.testing import AsyncTestClient  # noqa: E402

from core import outbox  # noqa: E402
from core.settings import get_settings  # noqa: E402
from core.tables import Role, StaffUser  # noqa: E402
from core.users import Actor, create_user  # noqa: E402
from tests.support.servers import MailServer  # noqa: E402

PASSWORD = "correct-horse-battery"
ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "kanazawa"


async def _create_pg_database() -> None:
    import asyncpg

    connection = await asyncpg.connect(_PG_ADMIN_URL)
    try:
        await connection.execute(f'CREATE DATABASE "{_PG_DB_NAME}"')
    finally:
        await connection.close()


async def _drop_pg_database() -> None:
    import asyncpg

    connection = await asyncpg.connect(_PG_ADMIN_URL)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{_PG_DB_NAME}" WITH (FORCE)')
    finally:
        await connection.close()


def all_tables():
    from piccolo.conf.apps import Finder
    from piccolo.table import sort_table_classes

    return sort_table_classes(Finder().get_table_classes())


@pytest.fixture(scope="session", autouse=True)
async def database():
    """Create (PostgreSQL) and migrate the test database once per run; register the domain's handlers, as every
    entry point does."""
    import wiring
    from cli.runtime import migrate

    wiring.register()
    if _PG_ADMIN_URL:
        await _create_pg_database()
    await migrate()
    yield os.environ["DATABASE_URL"]
    if _PG_ADMIN_URL:
        await _drop_pg_database()


@pytest.fixture(autouse=True)
async def clean_tables(database):
    """Every test starts with empty tables."""
    for table in reversed(all_tables()):
        await table.delete(force=True)
    yield


@pytest.fixture(autouse=True)
def process_settings():
    """Every test starts on the environment's settings: ``create_app(settings)`` makes the settings it is given
    those of the process."""
    from core.settings import configure

    configure(None)
    yield
    configure(None)


@pytest.fixture
async def city():
    """Five community halls a few km apart, a civic centre and residents around each hall (the planner's city)."""
    from tests.planner.factories import make_city

    return await make_city()


@pytest.fixture
def var_dir() -> Path:
    return _VAR


@pytest.fixture
async def app():
    from portal.app import create_app

    return create_app()


@pytest.fixture
async def client(app):
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
        yield test_client


@pytest.fixture
async def make_user():
    """Create a staff user with a role; returns the Actor."""

    async def factory(role: Role, username: str | None = None) -> Actor:
        return await create_user(username or f"{role.value}-{secrets.token_hex(3)}", PASSWORD, role)

    return factory


@pytest.fixture
async def people(make_user) -> dict[Role, Actor]:
    """A contractor's staff member, a contractor lead and a city reviewer, each with an email address."""
    users = {}
    for role in (Role.contractor_staff, Role.contractor_lead, Role.city_reviewer):
        actor = await make_user(role)
        await StaffUser.update({StaffUser.email: f"{actor.username}@example.jp"}).where(StaffUser.id == actor.id)
        users[role] = actor
    return users


@pytest.fixture
def smtp(monkeypatch) -> Iterator[MailServer]:
    """A real SMTP server on this machine, and the outbox's SMTP_URL pointing at it."""
    server = MailServer()
    server.start()
    configured = dataclasses.replace(get_settings(), smtp_url=f"smtp://127.0.0.1:{server.port}")
    monkeypatch.setattr(outbox, "get_settings", lambda: configured)
    yield server
    server.stop()


def soup(response) -> BeautifulSoup:
    """A response's HTML, parsed."""
    return BeautifulSoup(response.text, "html.parser")


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    field = BeautifulSoup(html, "html.parser").find("input", {"name": "_csrf_token"})
    assert field is not None, "page has no CSRF field"
    return field["value"]


async def sign_in(client: AsyncTestClient, username: str, password: str = PASSWORD):
    page = await client.get("/staff/login")
    return await client.post(
        "/staff/login",
        data={
            "username": username,
            "password": password,
            "_csrf_token": csrf_token(page.text),
            "next": "/staff/venues",
        },
        follow_redirects=False,
    )


@pytest.fixture
async def signed_in(client, make_user):
    """Sign the client in with a role; returns the Actor."""

    async def factory(role: Role) -> Actor:
        actor = await make_user(role)
        response = await sign_in(client, actor.username)
        assert response.status_code == 303, response.text
        return actor

    return factory


async def post_form(client: AsyncTestClient, page_url: str, action: str, data: dict, **kwargs):
    """Submit a form the way a browser does: read the CSRF token from the page first."""
    page = await client.get(page_url)
    return await client.post(action, data={**data, "_csrf_token": csrf_token(page.text)}, **kwargs)
