"""Booking a slot: validation, capacity held by the database, idempotency, moving and cancelling, limits, cut-off,
reminders, and the query plans of the statements every booking and cancellation runs — on SQLite and on
PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re
import sqlite3

import pytest

from booking.bookings import (
    _CANCEL,
    _CONTACT_COUNT,
    BookingRequest,
    SlotFull,
    _contact_args,
    cancel_booking,
    create_booking,
    get_booking,
    move_booking,
    reissue_manage_link,
)
from booking.codes import legacy_token, normalize_code
from booking.reminders import send_reminders
from booking.schemas import Needs
from booking.tables import Booking, Slot
from core import clock
from core.db import engine, is_sqlite
from core.errors import Conflict, NotFound, ValidationFailed
from core.tables import OutboxMessage
from tests.booking.factories import publish_booth

BEFORE = dt.datetime(2027, 6, 1, 9, 0, tzinfo=clock.JST)


@pytest.fixture(autouse=True)
def fixed_time():
    with clock.frozen(BEFORE):
        yield


def request(slot_id: int, **values) -> BookingRequest:
    defaults = dict(slot_id=slot_id, name_kana="かなざわ たろう", phone="090-1234-5678", party_size=1)
    defaults.update(values)
    return BookingRequest(**defaults)


async def booked(slot_id: int) -> int:
    return (await Slot.select(Slot.booked).where(Slot.id == slot_id).first())["booked"]


async def test_a_booking_takes_places_and_normalises_what_the_resident_typed():
    booth = await publish_booth()
    slot = booth["slots"][0]["id"]
    details, created = await create_booking(
        request(slot, party_size=2, email="Taro@Example.JP", needs=Needs(wheelchair=True, interpreter="vi"))
    )
    assert created and details.state == "confirmed"
    assert (
        details.name_kana == "カナザワ タロウ" and details.phone == "09012345678" and details.email == "taro@example.jp"
    )
    assert len(details.code) == 16 and normalize_code(details.code.lower()) == details.code
    assert details.manage_url.endswith(f"/bookings/{details.code}?token={details.manage_token}")
    assert await booked(slot) == 2
    mails = await OutboxMessage.select().where(OutboxMessage.kind == "booking.confirmed")
    assert [m["recipient"] for m in mails] == ["taro@example.jp"]
    assert details.code[:4] in mails[0]["body"] and details.manage_url in mails[0]["body"]


async def test_bad_input_names_every_field_and_books_nothing():
    booth = await publish_booth()
    slot = booth["slots"][0]["id"]
    with pytest.raises(ValidationFailed) as error:
        await create_booking(request(slot, name_kana="金沢太郎", phone="", email="not-an-address", party_size=0))
    assert set(error.value.fields) == {"name_kana", "email", "party_size"}
    with pytest.raises(ValidationFailed) as error:
        await create_booking(request(slot, phone="", email=""))
    assert set(error.value.fields) == {"contact"}
    assert await booked(slot) == 0 and await Booking.count() == 0


@pytest.mark.parametrize("phone", ["abc", "---", "０９０"])
async def test_a_phone_that_normalises_to_nothing_or_too_little_is_refused(phone):
    booth = await publish_booth()
    with pytest.raises(ValidationFailed) as error:
        await create_booking(request(booth["slots"][0]["id"], phone=phone))
    assert set(error.value.fields) == {"phone"} and await Booking.count() == 0


async def test_junk_phones_do_not_get_past_the_per_contact_limit():
    booth = await publish_booth()
    for slot in booth["slots"][:3]:  # the limit is 2 a contact; "abc" used to be stored as no contact at all
        with pytest.raises(ValidationFailed):
            await create_booking(request(slot["id"], phone="abc", email=""))
    assert await Booking.count() == 0


@pytest.mark.parametrize(
    "email",
    [
        "root,x@example.jp",
        "a@example.jp,b@example.jp",
        "a@example.jp b@example.jp",
        "a\x00b@example.jp",
        "a@example.jp\r\nRCPT TO:<x@example.jp>",
        '"a,b"@example.jp',
        "a@localhost",
    ],
)
async def test_an_email_must_be_exactly_one_address_without_control_characters(email):
    booth = await publish_booth()
    with pytest.raises(ValidationFailed) as error:
        await create_booking(request(booth["slots"][0]["id"], phone="", email=email))
    assert set(error.value.fields) == {"email"} and await Booking.count() == 0


async def test_an_email_with_a_japanese_domain_is_stored_as_the_ascii_recipient():
    booth = await publish_booth()
    details, _ = await create_booking(request(booth["slots"][0]["id"], phone="", email="Hanako@例え.jp"))
    assert details.email == "hanako@xn--r8jz45g.jp"


async def test_fields_typed_too_long_are_refused_before_they_are_normalised():
    booth = await publish_booth()
    with pytest.raises(ValidationFailed) as error:
        await create_booking(
            request(booth["slots"][0]["id"], name_kana="ア" * 9_400_000, phone="0" * 31, source="x" * 201)
        )
    assert set(error.value.fields) == {"name_kana", "phone", "source"}
    assert "100" in error.value.fields["name_kana"]


async def test_a_full_slot_is_refused_with_the_next_free_slots():
    booth = await publish_booth(capacity=2)
    first, second = booth["slots"][0]["id"], booth["slots"][1]["id"]
    await create_booking(request(first, party_size=2))
    with pytest.raises(SlotFull) as error:
        await create_booking(request(first, phone="09000000001"))
    assert error.value.alternatives[0].id == second
    assert await booked(first) == 2 and await Booking.count() == 1


async def test_concurrent_bookings_never_overbook():
    booth = await publish_booth(capacity=10)
    slot = booth["slots"][0]["id"]
    results = await asyncio.gather(
        *(create_booking(request(slot, phone=f"090{n:08d}")) for n in range(30)), return_exceptions=True
    )
    made = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, SlotFull)]
    assert len(made) == 10 and len(refused) == 20
    assert await booked(slot) == 10 and await Booking.count() == 10


async def test_the_same_idempotency_key_gives_one_booking():
    booth = await publish_booth()
    slot = booth["slots"][0]["id"]
    first, created = await create_booking(request(slot), idempotency_key="key-1")
    again, created_again = await create_booking(request(slot), idempotency_key="key-1")
    assert created and not created_again and again.code == first.code
    assert await booked(slot) == 1 and await Booking.count() == 1
    with pytest.raises(ValidationFailed):
        await create_booking(request(slot, name_kana="ベツ ジン"), idempotency_key="key-1")


async def test_concurrent_requests_with_one_key_make_one_booking():
    booth = await publish_booth()
    slot = booth["slots"][0]["id"]
    results = await asyncio.gather(*(create_booking(request(slot), idempotency_key="double-click") for _ in range(5)))
    assert len({details.code for details, _ in results}) == 1
    assert await booked(slot) == 1 and await Booking.count() == 1


async def test_one_contact_holds_a_limited_number_of_bookings_per_booth():
    booth = await publish_booth()
    for slot in booth["slots"][:2]:
        await create_booking(request(slot["id"]))
    with pytest.raises(Conflict):
        await create_booking(request(booth["slots"][2]["id"], phone="090-1234-5678"))
    other = await publish_booth(dt.date(2027, 6, 6))
    await create_booking(request(other["slots"][0]["id"]))  # another booth is fine


async def test_the_contact_limit_counts_each_booking_once_by_its_phone_or_its_email():
    booth = await publish_booth()
    slots = [slot["id"] for slot in booth["slots"]]
    both = {"phone": "09011112222", "email": "hanako@example.jp"}
    first, _ = await create_booking(request(slots[0], **both))
    second, _ = await create_booking(request(slots[1], **both))  # the first counts once, not by phone and by email
    with pytest.raises(Conflict):  # two bookings with this address (and another number): the limit
        await create_booking(request(slots[2], phone="09033334444", email="hanako@example.jp"))
    with pytest.raises(Conflict):
        await create_booking(request(slots[2], phone="", email="hanako@example.jp"))
    await create_booking(request(slots[2], phone="09055556666"))  # nothing in common with them
    await cancel_booking(first.code, first.manage_token)  # a cancelled booking no longer counts
    await create_booking(request(slots[3], phone="", email="hanako@example.jp"))
    # at the limit again, a booking moves within the booth: it does not count against itself
    moved = await move_booking(second.code, second.manage_token, slots[4])
    assert moved.slot_id == slots[4]


async def test_booking_closes_at_the_cut_off():
    booth = await publish_booth(dt.date(2027, 6, 1))  # slots from 10:00; it is 09:00, cut-off 60 min
    with pytest.raises(Conflict):
        await create_booking(request(booth["slots"][0]["id"]))
    details, _ = await create_booking(request(booth["slots"][1]["id"]))  # 10:30 is still open
    assert details.slot_start.hour == 10 and details.slot_start.minute == 30


async def test_moving_takes_the_new_place_first_and_releases_the_old():
    booth = await publish_booth(capacity=1)
    a, b, c = (slot["id"] for slot in booth["slots"][:3])
    details, _ = await create_booking(request(a, email="hanako@example.jp"))
    await create_booking(request(b, phone="09000000002"))
    with pytest.raises(SlotFull):
        await move_booking(details.code, details.manage_token, b)
    assert (await get_booking(details.code, details.manage_token)).slot_id == a  # nothing lost
    moved = await move_booking(details.code, details.manage_token, c)
    assert moved.slot_id == c and await booked(a) == 0 and await booked(c) == 1
    assert await OutboxMessage.count().where(OutboxMessage.kind == "booking.moved") == 1


async def test_the_manage_token_is_random_and_only_its_hash_is_stored():
    booth = await publish_booth()
    first, _ = await create_booking(request(booth["slots"][0]["id"], email="hanako@example.jp"))
    second, _ = await create_booking(request(booth["slots"][1]["id"], phone="09000000002"))
    assert len({first.manage_token, second.manage_token}) == 2 and len(first.manage_token) >= 22  # 128 bits
    assert first.manage_token != legacy_token(first.code)  # not derived from the code
    stored = await Booking.select().where(Booking.code == first.code).first()
    assert stored["manage_token_hash"] == hashlib.sha256(first.manage_token.encode()).hexdigest()
    assert first.manage_token not in repr(await Booking.select())  # the raw token is in no column
    assert (await get_booking(first.code, first.manage_token)).email == "hanako@example.jp"


async def test_reissuing_the_link_stops_the_old_one():
    booth = await publish_booth()
    details, _ = await create_booking(request(booth["slots"][0]["id"], email="hanako@example.jp"))
    with pytest.raises(ValidationFailed):  # the code with someone else's phone re-issues nothing
        await reissue_manage_link(details.code, "09099999999")
    assert (await get_booking(details.code, details.manage_token)).state == "confirmed"
    again = await reissue_manage_link(details.code.lower(), "HANAKO@example.jp")
    assert again.manage_token != details.manage_token and again.manage_url.endswith(f"?token={again.manage_token}")
    with pytest.raises(NotFound):
        await get_booking(details.code, details.manage_token)
    with pytest.raises(NotFound):
        await cancel_booking(details.code, details.manage_token)
    assert (await get_booking(details.code, again.manage_token)).state == "confirmed"


async def test_a_booking_made_before_tokens_were_stored_keeps_its_link_until_reissued():
    booth = await publish_booth()
    details, _ = await create_booking(request(booth["slots"][0]["id"]))
    await Booking.update({Booking.manage_token_hash: ""}).where(Booking.code == details.code)  # as migrated
    old = legacy_token(details.code)  # what its emails and slip carried
    assert (await get_booking(details.code, old)).code == details.code
    with pytest.raises(NotFound):
        await get_booking(details.code, details.manage_token)
    again = await reissue_manage_link(details.code, "090-1234-5678")
    with pytest.raises(NotFound):
        await get_booking(details.code, old)
    assert (await get_booking(details.code, again.manage_token)).code == details.code


async def test_cancelling_gives_the_places_back_and_needs_the_token():
    booth = await publish_booth()
    slot = booth["slots"][0]["id"]
    details, _ = await create_booking(request(slot, party_size=3))
    with pytest.raises(NotFound):
        await cancel_booking(details.code, "wrong-token")
    cancelled = await cancel_booking(details.code, details.manage_token)
    assert cancelled.state == "cancelled" and await booked(slot) == 0
    again = await cancel_booking(details.code, details.manage_token)
    assert again.state == "cancelled" and await booked(slot) == 0


async def test_a_cancellation_without_an_email_is_one_trip_to_the_database(monkeypatch):
    """PostgreSQL: a cancellation reads the booking, checks its token, gives its places back and learns whether anyone
    waits for places in one statement (the benchmark's rush of cancellations waited three trips each). The answers
    stay those of the two-step path: a wrong token is "not found", a repeat says cancelled."""
    from booking.tables import WaitlistEntry

    booth = await publish_booth()
    slot = booth["slots"][0]["id"]
    details, _ = await create_booking(request(slot, party_size=2))
    statements: list[str] = []
    raw = Booking.raw

    def counted(sql: str, *args):
        statements.append(sql)
        return raw(sql, *args)

    def no_more_queries(*args, **kwargs):
        raise AssertionError("a cancellation read the database again")

    monkeypatch.setattr(Booking, "raw", counted)
    monkeypatch.setattr(Booking, "select", no_more_queries)
    monkeypatch.setattr(WaitlistEntry, "exists", no_more_queries)
    if is_sqlite():
        monkeypatch.undo()
    with pytest.raises(NotFound):
        await cancel_booking(details.code, "wrong-token")
    statements.clear()
    cancelled = await cancel_booking(details.code, details.manage_token)
    assert cancelled.state == "cancelled" and cancelled.slot_id == slot and await booked(slot) == 0
    assert len(statements) == (0 if is_sqlite() else 1)
    assert (await cancel_booking(details.code, details.manage_token)).state == "cancelled" and await booked(slot) == 0


async def test_a_cancellation_with_an_email_and_one_with_an_old_link_give_their_places_back():
    booth = await publish_booth()
    slot = booth["slots"][0]["id"]
    mailed, _ = await create_booking(request(slot, email="hanako@example.jp", phone=""))
    old, _ = await create_booking(request(slot, phone="09000000007"))
    await Booking.update({Booking.manage_token_hash: ""}).where(Booking.code == old.code)  # as migrated
    assert (await cancel_booking(mailed.code, mailed.manage_token)).state == "cancelled"
    assert (await cancel_booking(old.code, legacy_token(old.code))).state == "cancelled"
    assert await booked(slot) == 0
    sent = await OutboxMessage.select(OutboxMessage.recipient).where(OutboxMessage.kind == "booking.cancelled")
    assert sent == [{"recipient": "hanako@example.jp"}]


async def test_reminders_go_once_the_day_before():
    booth = await publish_booth(dt.date(2027, 6, 2))
    details, _ = await create_booking(request(booth["slots"][3]["id"], email="jiro@example.jp", language="en"))
    await create_booking(request(booth["slots"][4]["id"], phone="09000000003"))  # no email: no reminder
    assert await send_reminders() == 1
    assert await send_reminders() == 0
    mail = await OutboxMessage.select().where(OutboxMessage.kind == "booking.reminder").first()
    assert mail["recipient"] == "jiro@example.jp" and "Reminder" in mail["subject"]
    # the reminder leads to 予約を探す for its code; the manage link stays in the confirmation email alone
    assert f"/bookings/find?code={details.code}" in mail["body"] and details.manage_token not in mail["body"]


async def test_a_repeated_key_gets_its_booking_even_after_the_slot_filled_up():
    booth = await publish_booth(capacity=1)
    slot = booth["slots"][0]["id"]
    first, _ = await create_booking(request(slot), idempotency_key="retry-after-timeout")
    again, created = await create_booking(request(slot), idempotency_key="retry-after-timeout")
    assert not created and again.code == first.code  # the slot is full now, yet the retry is not a 409
    assert await booked(slot) == 1 and await Booking.count() == 1


async def test_a_refusal_reads_nothing_after_its_booking_transaction(monkeypatch):
    """A rush on a full slot is mostly refusals: the booking's own statement (PostgreSQL) or transaction (SQLite)
    also reads the booth's slots and an earlier use of the key, so that a refusal makes no further trip to the
    database, and still names the next free time and the room a larger party would find."""
    from booking.booths import BoothCache

    booth = await publish_booth(capacity=3, walk_in=0)
    first, second = booth["slots"][0]["id"], booth["slots"][1]["id"]
    await create_booking(request(first, party_size=2))
    cache = BoothCache(ttl=60)
    await cache.booths()

    def no_more_queries(*args, **kwargs):
        raise AssertionError("a refusal read the database again")

    monkeypatch.setattr(Slot, "select", no_more_queries)
    monkeypatch.setattr(Booking, "select", no_more_queries)
    with pytest.raises(SlotFull) as error:
        await create_booking(request(first, party_size=2, phone="09000000002"), "key-of-a-refusal", cache)
    assert "1人まで" in str(error.value) and error.value.alternatives[0].id == second


# --- query plans ----------------------------------------------------------------------------------------------------
# The plans of the statements every booking and cancellation runs, made while the bookings table is empty as well as
# once a booth has thousands of bookings: a contact's bookings at a booth are counted from the (session, phone) and
# (session, email) indexes, a cancellation finds its booking by its code. PostgreSQL keeps the plan of a prepared
# statement (made on the table as it was; without statistics, e.g. in the first rush on a new database, nothing tells
# it the table has grown), so a plan that reads every booking of the booth, made at the start of a rush, made each
# booking slower than the one before: at 3,000 bookings a booth the rush ran at half the speed (bench/booking).

CONTACT_INDEXES = {"resident_booking_session_phone", "resident_booking_session_email"}


def _literal(value: object) -> str:
    return str(value) if isinstance(value, int) else "'" + str(value).replace("'", "''") + "'"


async def plan_of(sql: str, args: list) -> str:
    """The plan of ``sql`` (``{}`` for each argument) as the portal runs it: on PostgreSQL the generic plan of a
    prepared statement (the one kept once a statement has run a few times), on SQLite the plan of the query."""
    if is_sqlite():
        with sqlite3.connect(engine().path) as connection:
            rows = connection.execute("EXPLAIN QUERY PLAN " + sql.replace("{}", "?"), args).fetchall()
        return "\n".join(row[-1] for row in rows)
    import asyncpg

    numbers = iter(range(1, len(args) + 1))
    connection = await asyncpg.connect(**engine().config)
    try:
        async with connection.transaction():  # EXPLAIN plans without running; rolled back all the same
            await connection.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            await connection.execute("PREPARE planned AS " + re.sub(r"\{\}", lambda _: f"${next(numbers)}", sql))
            rows = await connection.fetch(f"EXPLAIN EXECUTE planned({', '.join(map(_literal, args))})")
            await connection.execute("DEALLOCATE planned")
    finally:
        await connection.close()
    return "\n".join(row[0] for row in rows)


async def plan_of_contact_count(session_id: int) -> str:
    return await plan_of(
        "SELECT " + _CONTACT_COUNT.format(session="{}"),
        _contact_args("09012345678", "hanako@example.jp", None, session_id),
    )


async def plan_of_cancellation() -> str:
    """PostgreSQL: the one-statement cancellation; SQLite: the update its transaction runs."""
    if is_sqlite():
        return await plan_of(
            "UPDATE resident_booking SET state = {}, updated_at = {} WHERE code = {} AND state = {}",
            ["cancelled", "2027-06-01", "ABCD2345EFGH6789", "confirmed"],
        )
    code = "ABCD2345EFGH6789"
    return await plan_of(
        _CANCEL,
        [code, "cancelled", "2027-06-01T09:00:00+09:00", code, "confirmed", "hash", "false", "booth", "waiting"],
    )


async def fill(booth: dict, bookings: int) -> None:
    slot = booth["slots"][0]["id"]
    rows = [
        Booking(
            code=f"PLAN{n:012d}",
            slot=slot,
            session=booth["session"],
            name_kana="カナザワ タロウ",
            phone=f"090{n:08d}" if n % 3 else "",
            email=f"r{n}@example.jp" if n % 2 else "",
        )
        for n in range(bookings)
    ]
    for start in range(0, len(rows), 500):  # a statement takes at most 32,767 arguments on PostgreSQL
        await Booking.insert(*rows[start : start + 500])


def indexes_read(plan: str) -> set[str]:
    return set(re.findall(r"(?:USING (?:COVERING )?INDEX|Index Scan using|Bitmap Index Scan on) (\w+)", plan))


async def test_a_contacts_bookings_are_counted_from_the_contact_indexes_on_an_empty_and_on_a_full_table():
    booth = await publish_booth(capacity=5000)
    empty = await plan_of_contact_count(booth["session"])
    assert indexes_read(empty) == CONTACT_INDEXES, empty
    await fill(booth, 3000)
    full = await plan_of_contact_count(booth["session"])
    assert indexes_read(full) == CONTACT_INDEXES, full


async def test_a_cancellation_finds_its_booking_by_code_on_an_empty_and_on_a_full_table():
    booth = await publish_booth(capacity=5000)
    code_index = "sqlite_autoindex_resident_booking_1" if is_sqlite() else "resident_booking_code_key"
    empty = await plan_of_cancellation()
    assert code_index in indexes_read(empty) and "resident_booking_state" not in empty, empty
    await fill(booth, 3000)
    full = await plan_of_cancellation()
    assert code_index in indexes_read(full), full


async def test_a_family_of_six_books_a_slot_nobody_has_booked_walk_in_places_included():
    """Issue 15 item 2: a slot has 4 bookable places and 2 kept for walk-ins; a family of 6 has the whole slot."""
    booth = await publish_booth(capacity=4, walk_in=2)
    slot = booth["slots"][0]["id"]
    details, created = await create_booking(request(slot, party_size=6))
    assert created and details.party_size == 6 and await booked(slot) == 6
    with pytest.raises(SlotFull) as error:  # the slot is taken now: even one more person is refused
        await create_booking(request(slot, phone="09000000001"))
    assert "満員" in error.value.message
    await cancel_booking(details.code, details.manage_token)
    assert await booked(slot) == 0


async def test_a_family_that_does_not_fit_hears_why_and_the_times_that_fit():
    booth = await publish_booth(capacity=4, walk_in=2)
    first, second = booth["slots"][0]["id"], booth["slots"][1]["id"]
    await create_booking(request(first, party_size=1))
    with pytest.raises(SlotFull) as error:
        await create_booking(request(first, party_size=5, phone="09000000001"))
    assert "3人" in error.value.message and "5人" in error.value.message and "満員" not in error.value.message
    assert [a.id for a in error.value.alternatives][0] == second
    assert all(a.room >= 5 for a in error.value.alternatives) and len(error.value.alternatives) == 3
    assert await booked(first) == 1 and await Booking.count() == 1
    details, _ = await create_booking(request(second, party_size=5, phone="09000000001"))
    assert details.party_size == 5 and await booked(second) == 5


async def test_families_and_singles_racing_for_one_slot_never_overbook_it():
    """The database decides: either one family has the slot (6 places) or small parties share its 4."""
    booth = await publish_booth(capacity=4, walk_in=2)
    slot = booth["slots"][0]["id"]
    sizes = [6, 1, 5, 2, 6, 1, 1, 3]
    results = await asyncio.gather(
        *(create_booking(request(slot, party_size=n, phone=f"090{i:08d}")) for i, n in enumerate(sizes)),
        return_exceptions=True,
    )
    made = [r[0] for r in results if not isinstance(r, BaseException)]
    assert all(isinstance(r, SlotFull) for r in results if isinstance(r, BaseException))
    taken = sum(d.party_size for d in made)
    assert await booked(slot) == taken
    assert (len(made) == 1 and taken >= 5) or taken <= 4


async def test_a_time_that_is_over_takes_no_booking():
    booth = await publish_booth(dt.date(2027, 5, 30))  # two days before "now"
    with pytest.raises(Conflict) as error:
        await create_booking(request(booth["slots"][0]["id"]))
    assert "終了しました" in error.value.message
    assert await Booking.count() == 0
