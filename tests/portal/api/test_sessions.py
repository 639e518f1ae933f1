"""GET /api/sessions asked again: the same answer from the booth cache, without the handler, for as long as the cache
holds the list the answer was made from."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from litestar.testing import AsyncTestClient

from booking.booths import KEPT_KEYS, BoothCache
from booking.tables import Slot
from core import clock
from core.settings import get_settings
from portal.api import sessions
from tests.booking.factories import publish_booth

BEFORE = dt.datetime(2027, 6, 1, 9, 0, tzinfo=clock.JST)


@pytest.fixture(autouse=True)
def fixed_time():
    with clock.frozen(BEFORE):
        yield


@pytest.fixture
async def portal():
    """The portal with a booth list that stays a minute (the test decides when it is read again)."""
    from portal.app import create_app

    app = create_app(dataclasses.replace(get_settings(), public_cache_seconds=60))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        yield app, client


@pytest.fixture
def handled(monkeypatch) -> list[str | None]:
    """The ``near`` of every request the list's handler ran for."""
    seen: list[str | None] = []
    original = sessions.parse_near

    def counting(near: str | None):
        seen.append(near)
        return original(near)

    monkeypatch.setattr(sessions, "parse_near", counting)
    return seen


async def test_the_same_question_gets_the_same_answer_without_the_handler(portal, handled):
    app, client = portal
    await publish_booth(lat=36.561, lon=136.652)
    query = {"near": "36.5613,136.6562", "limit": "5"}
    first = await client.get("/api/sessions", params=query)
    again = await client.get("/api/sessions", params=query)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and first.json()[0]["distance_km"] < 1
    assert again.headers.multi_items() == first.headers.multi_items()  # type, length and every security header
    assert handled == ["36.5613,136.6562"]  # the second answer came from the cache

    other = await client.get("/api/sessions", params={"near": "36.6,136.7"})
    assert other.status_code == 200 and other.content != first.content
    assert handled == ["36.5613,136.6562", "36.6,136.7"]


async def test_a_refused_question_is_checked_every_time(portal, handled):
    app, client = portal
    for _ in range(2):
        refused = await client.get("/api/sessions", params={"near": "north"})
        assert refused.status_code == 422 and "near" in refused.json()["errors"]
    assert handled == ["north", "north"]


async def test_the_answer_changes_when_the_list_is_read_again(portal):
    app, client = portal
    booth = await publish_booth(capacity=4)
    first = (await client.get("/api/sessions")).json()
    assert first[0]["remaining"] == 14 * 4
    await Slot.update({Slot.booked: 4}).where(Slot.id == booth["slots"][0]["id"])
    assert (await client.get("/api/sessions")).json() == first  # the list's own staleness bound, as before
    app.state.booths.invalidate()  # what staff changes do; or the list's age
    assert (await client.get("/api/sessions")).json()[0]["remaining"] == 13 * 4


def test_a_flood_of_new_questions_cannot_push_out_the_first_answers():
    cache = BoothCache(ttl=2)
    cache.keep(("plain",), b"[]")
    for n in range(3 * KEPT_KEYS):
        cache.keep(("junk", n), b"[]")
    assert cache.kept(("plain",)) == b"[]"
    assert cache.kept(("junk", 3 * KEPT_KEYS - 1)) is None
    assert sum(cache.kept(("junk", n)) is not None for n in range(3 * KEPT_KEYS)) == KEPT_KEYS - 1
