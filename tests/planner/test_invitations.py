"""Calendar invitations for venue partners (issue 6): one iTIP REQUEST per booth on approval, an update with a higher
SEQUENCE and the same UID when a change moves it, METHOD:CANCEL when a change drops it; mail sent through the outbox
to a real SMTP server as multipart with text/calendar, nothing lost or doubled by an outage; partners answer once
with the signed links (no account), staff see the answers and hear of a decline.

Each .ics is read by icalendar and by the small strict RFC 5545 reader below (no second library is installed)."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import icalendar
import pytest
from bs4 import BeautifulSoup

from core import clock, outbox
from core.errors import Conflict, NotFound, ValidationFailed
from core.i18n import gettext as _
from core.i18n import using_locale
from core.tables import AuditEvent, OutboxMessage, Role
from planner import invitations, services, workflow
from planner.booth_uid import booth_uid
from planner.tables import Invitation, Session
from tests.conftest import csrf_token, sign_in
from tests.planner.test_services import solved_version
from tests.venues.factories import make_venue
from venues.tables import Venue

# --- a strict, independent RFC 5545 reader -------------------------------------------------------------------------

NAME = re.compile(r"[A-Za-z0-9-]+")
QSAFE = re.compile(r'"([^"\x00-\x08\x0a-\x1f\x7f]*)"')
SAFE = re.compile(r'[^";:,\x00-\x08\x0a-\x1f\x7f]*')


@dataclass
class Component:
    name: str
    properties: list[tuple[str, dict[str, list[str]], str]] = field(default_factory=list)
    components: list[Component] = field(default_factory=list)

    def all(self, name: str) -> list[tuple[dict[str, list[str]], str]]:
        return [(params, value) for prop, params, value in self.properties if prop == name]

    def one(self, name: str) -> tuple[dict[str, list[str]], str]:
        found = self.all(name)
        assert len(found) == 1, f"{self.name} has {len(found)} {name}"
        return found[0]

    def value(self, name: str) -> str:
        return self.one(name)[1]

    def sub(self, name: str) -> list[Component]:
        return [c for c in self.components if c.name == name]


def parse_content_line(line: str) -> tuple[str, dict[str, list[str]], str]:
    """name *(";" param) ":" value, with quoted parameter values that may hold ':' ';' ','."""
    match = NAME.match(line)
    assert match, f"bad property name in {line!r}"
    name, pos, params = match.group().upper(), match.end(), {}
    while line[pos] == ";":
        match = NAME.match(line, pos + 1)
        assert match and line[match.end()] == "=", f"bad parameter in {line!r}"
        key, pos, values = match.group().upper(), match.end() + 1, []
        while True:
            quoted = QSAFE.match(line, pos)
            plain = SAFE.match(line, pos)
            if quoted:
                values.append(quoted.group(1))
                pos = quoted.end()
            else:
                values.append(plain.group())
                pos = plain.end()
            if line[pos] != ",":
                break
            pos += 1
        params[key] = values
    assert line[pos] == ":", f"no ':' after the parameters of {line!r}"
    return name, params, line[pos + 1 :]


def parse_ics(data: str | bytes) -> Component:
    """One VCALENDAR: CRLF line ends, lines of at most 75 octets, unfolding, BEGIN/END nesting."""
    raw = data.encode() if isinstance(data, str) else data
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b""), "every line must end with CRLF"
    physical = raw[:-2].split(b"\r\n")
    assert all(len(line) <= 75 for line in physical), "a line is longer than 75 octets"
    text = raw.decode("utf-8")  # folding may split nothing but whole characters: decoding the whole must work
    lines: list[str] = []
    for line in text[:-2].split("\r\n"):
        if line[:1] in (" ", "\t"):
            assert lines, "a continuation line comes first"
            lines[-1] += line[1:]
        else:
            lines.append(line)
    stack: list[Component] = []
    root = None
    for line in lines:
        name, params, value = parse_content_line(line)
        if name == "BEGIN":
            component = Component(value.upper())
            if stack:
                stack[-1].components.append(component)
            else:
                assert root is None, "more than one object"
                root = component
            stack.append(component)
        elif name == "END":
            assert stack and stack[-1].name == value.upper(), f"END:{value} does not close {stack[-1].name}"
            stack.pop()
        else:
            assert stack, f"{name} outside any component"
            stack[-1].properties.append((name, params, value))
    assert root is not None and not stack, "unclosed component"
    assert root.name == "VCALENDAR"
    return root


def unescape(text: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), text)


# --- helpers -------------------------------------------------------------------------------------------------------


def partner_of(venue_id: str) -> str:
    return f"partner-{venue_id.lower()}@example.jp"


async def approved_plan(people, *, partners: bool = True) -> dict:
    """A solved, submitted and approved plan; every hall has a partner email except the first booth's venue
    (``version["no_partner"]``), so that one booth goes uninvited."""
    staff, reviewer = people[Role.contractor_staff], people[Role.city_reviewer]
    version = await solved_version(staff)
    skipped = (await services.sessions_of(version.id))[0].venue_id
    if partners:
        for venue in await Venue.select(Venue.venue_id).where(Venue.kind == "community_hall"):
            if venue["venue_id"] != skipped:
                await Venue.update(
                    {
                        Venue.partner_email: partner_of(venue["venue_id"]),
                        Venue.partner_name: f"{venue['venue_id']} 館長",
                    }
                ).where(Venue.venue_id == venue["venue_id"])
    await workflow.submit(staff, version.id)
    version = await services.get_version(version.id)
    await workflow.approve(reviewer, version.id, version.revision)
    return {"id": version.id, "plan": version.plan, "no_partner": skipped}


async def approve_change(people, change_id: int) -> None:
    await workflow.submit(people[Role.contractor_staff], change_id)
    change = await services.get_version(change_id)
    await workflow.approve(people[Role.city_reviewer], change_id, change.revision)


async def partner_mail(after: int = 0) -> list[dict]:
    return (
        await OutboxMessage.select()
        .where((OutboxMessage.kind == invitations.KIND) & (OutboxMessage.id > after))
        .order_by(OutboxMessage.id)
    )


async def last_id() -> int:
    row = await OutboxMessage.select(OutboxMessage.id).order_by(OutboxMessage.id, ascending=False).first()
    return row["id"] if row else 0


def event_of(ics: str) -> tuple[Component, Component]:
    calendar = parse_ics(ics)
    (event,) = calendar.sub("VEVENT")
    return calendar, event


def check_itip(ics: str, method: str) -> Component:
    """The checks every invitation passes in both readers; returns the VEVENT of the strict one."""
    calendar, event = event_of(ics)
    assert calendar.value("VERSION") == "2.0" and calendar.value("PRODID") and calendar.value("METHOD") == method
    (timezone,) = calendar.sub("VTIMEZONE")
    assert timezone.value("TZID") == "Asia/Tokyo"
    assert all(c.value("TZOFFSETTO") == "+0900" for c in timezone.sub("STANDARD") + timezone.sub("DAYLIGHT"))
    for name in ("DTSTART", "DTEND"):
        params, value = event.one(name)
        assert params == {"TZID": ["Asia/Tokyo"]} and re.fullmatch(r"\d{8}T\d{6}", value)
    assert re.fullmatch(r"\d{8}T\d{6}Z", event.value("DTSTAMP"))
    assert event.value("UID") and event.value("SEQUENCE").isdigit()
    assert event.value("STATUS") == ("CANCELLED" if method == "CANCEL" else "CONFIRMED")
    organizer_params, organizer = event.one("ORGANIZER")
    assert organizer.lower() == "mailto:outreach@localhost" and organizer_params["CN"][0]
    attendee_params, attendee = event.one("ATTENDEE")
    assert attendee.lower().startswith("mailto:")
    assert {k: v for k, v in attendee_params.items() if k != "CN"} == {
        "ROLE": ["REQ-PARTICIPANT"],
        "PARTSTAT": ["NEEDS-ACTION"],
        "RSVP": ["TRUE"],
    }
    assert event.value("SUMMARY") and event.value("LOCATION")

    parsed = icalendar.Calendar.from_ical(ics)  # the other reader
    assert str(parsed["METHOD"]) == method
    (vevent,) = parsed.walk("VEVENT")
    assert str(vevent["UID"]) == event.value("UID") and int(vevent["SEQUENCE"]) == int(event.value("SEQUENCE"))
    assert vevent.decoded("DTSTART").tzinfo is not None and str(vevent["DTSTART"].params["TZID"]) == "Asia/Tokyo"
    assert [tz.tz_name for tz in parsed.timezones] == ["Asia/Tokyo"]
    return event


def answer_links(body: str) -> dict[str, str]:
    """The accept and decline links of an invitation email, as paths (the test client has its own host)."""
    links = {}
    for url in re.findall(r"https?://\S+/invitations/\S+", body):
        parts = urlsplit(url)
        links[parts.path.rsplit("/", 1)[1]] = f"{parts.path}?{parts.query}"
    return links


# --- the .ics itself -----------------------------------------------------------------------------------------------


def test_the_invitation_is_an_itip_request_with_its_time_zone():
    ics = invitations.invitation_ics(
        method="REQUEST",
        uid="booth-7@outreach.example.jp",
        sequence=0,
        stamp=dt.datetime(2027, 5, 1, 3, 0, tzinfo=dt.UTC),
        start=dt.datetime(2027, 6, 5, 10, 0, tzinfo=clock.JST),
        end=dt.datetime(2027, 6, 5, 16, 0, tzinfo=clock.JST),
        summary="マイナンバーカード出張申請窓口（第0公民館）",
        location="第0公民館, 石川県金沢市テスト町1",
        description="承諾: https://x.example/a?token=1\n辞退; 2, 3",
        organizer_email="outreach@localhost",
        organizer_name="マイナンバーカード出張申請サポート",
        attendee_email="kanchou@example.jp",
        attendee_name="第0公民館, 館長",
    )
    event = check_itip(ics, "REQUEST")
    assert event.one("DTSTART")[1] == "20270605T100000" and event.one("DTEND")[1] == "20270605T160000"
    assert event.value("DTSTAMP") == "20270501T030000Z"
    assert event.one("ATTENDEE")[0]["CN"] == ["第0公民館, 館長"]  # quoted: the comma is not a list separator
    assert unescape(event.value("DESCRIPTION")) == "承諾: https://x.example/a?token=1\n辞退; 2, 3"
    cancel = invitations.invitation_ics(
        method="CANCEL",
        uid="booth-7@outreach.example.jp",
        sequence=2,
        stamp=dt.datetime(2027, 5, 2, tzinfo=dt.UTC),
        start=dt.datetime(2027, 6, 5, 10, 0, tzinfo=clock.JST),
        end=dt.datetime(2027, 6, 5, 16, 0, tzinfo=clock.JST),
        summary="s",
        location="l",
        description="d",
        organizer_email="outreach@localhost",
        organizer_name="o",
        attendee_email="kanchou@example.jp",
        attendee_name="a",
    )
    assert check_itip(cancel, "CANCEL").value("SEQUENCE") == "2"
    with pytest.raises(ValueError):
        invitations.invitation_ics(
            method="PUBLISH",
            uid="u",
            sequence=0,
            stamp=dt.datetime.now(dt.UTC),
            start=dt.datetime.now(dt.UTC),
            end=dt.datetime.now(dt.UTC),
            summary="",
            location="",
            description="",
            organizer_email="o@x",
            organizer_name="",
            attendee_email="a@x",
            attendee_name="",
        )


def test_the_strict_reader_refuses_what_rfc_5545_forbids():
    good = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    assert parse_ics(good).value("VERSION") == "2.0"
    for bad in (
        good.replace("\r\n", "\n"),
        good.replace("END:VCALENDAR", "END:VEVENT"),
        "BEGIN:VCALENDAR\r\nX-LONG:" + "x" * 80 + "\r\nEND:VCALENDAR\r\n",
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VCALENDAR\r\n",
        "BEGIN:VCALENDAR\r\nBAD LINE\r\nEND:VCALENDAR\r\n",
    ):
        with pytest.raises(AssertionError):
            parse_ics(bad)


# --- approval ------------------------------------------------------------------------------------------------------


async def test_approval_queues_one_request_per_booth_whose_venue_has_a_partner(city, people):
    version = await approved_plan(people)
    booths = await Session.select(
        Session.id, Session.date, Session.start, Session.venue.venue_id, Session.venue.name
    ).where(Session.version == version["id"])
    invited = [b for b in booths if b["venue.venue_id"] != version["no_partner"]]
    assert 0 < len(invited) < len(booths)
    mail = await partner_mail()
    assert len(mail) == len(invited)  # none for the venue without a partner email
    by_uid = {}
    for message in mail:
        assert message["calendar_method"] == "REQUEST" and "[outreach]" in message["subject"]
        event = check_itip(message["calendar"], "REQUEST")
        by_uid[event.value("UID")] = (message, event)
    assert len(by_uid) == len(invited)  # one UID per booth
    rows = {row["session"]: row for row in await Invitation.select()}
    for booth in invited:
        uid = await booth_uid(booth["id"])
        assert uid.endswith("@127.0.0.1") and rows[booth["id"]]["uid"] == uid
        message, event = by_uid[uid]
        assert message["recipient"] == partner_of(booth["venue.venue_id"])
        assert event.value("SEQUENCE") == "0" and event.one("DTSTART")[1] == (
            booth["date"].strftime("%Y%m%d") + booth["start"].strftime("T%H%M%S")
        )
        assert event.value("ATTENDEE").lower() == f"mailto:{message['recipient']}"
        assert booth["venue.name"] in unescape(event.value("LOCATION"))
        links = answer_links(message["body"])
        assert set(links) == {"accept", "decline"}
        assert all(
            link in unescape(event.value("DESCRIPTION")).replace("http://127.0.0.1:8000", "") for link in links.values()
        )
        assert "実施します" in message["body"]  # in the partner's language: Japanese
        assert (rows[booth["id"]]["response"], rows[booth["id"]]["sequence"]) == ("needs-action", 0)


async def test_invitations_reach_a_real_smtp_server_as_multipart_with_text_calendar(city, people, smtp):
    await approved_plan(people)
    await outbox.send_pending()
    invites = [
        (to, email.message_from_bytes(content, policy=email.policy.default))
        for to, content in smtp.inbox.messages
        if to[0].startswith("partner-")
    ]
    assert invites and len(invites) == await Invitation.count()
    for to, message in invites:
        assert message.get_content_type() == "multipart/mixed"
        alternative, attachment = message.get_payload()
        assert alternative.get_content_type() == "multipart/alternative"
        plain, calendar = alternative.get_payload()
        assert plain.get_content_type() == "text/plain" and "accept" in plain.get_content()
        assert calendar.get_content_type() == "text/calendar"
        assert calendar.get_param("method") == "REQUEST" and calendar.get_content_charset() == "utf-8"
        assert attachment.get_filename() == "invite.ics" and attachment.get_content_disposition() == "attachment"
        ics = calendar.get_content()
        assert attachment.get_content() == ics.encode()  # the same object twice
        event = check_itip(ics, "REQUEST")
        assert event.value("ATTENDEE").lower() == f"mailto:{to[0]}"


async def test_a_venue_name_with_a_line_break_is_invited_and_holds_up_nothing(city, people, smtp):
    """The name went into the subject, the email library refused it, and the invitation stuck in the outbox."""
    await Venue.update({Venue.name: Venue.name + "\r\n別館"}).where(Venue.kind == "community_hall")
    await approved_plan(people)
    waiting = await partner_mail()
    assert waiting and all("\n" in row["subject"] for row in waiting)

    await outbox.send_pending()

    assert await OutboxMessage.count().where(OutboxMessage.status != "sent") == 0
    subjects = [
        email.message_from_bytes(content, policy=email.policy.default)["Subject"]
        for to, content in smtp.inbox.messages
        if to[0].startswith("partner-")
    ]
    assert len(subjects) == len(waiting)
    assert all("別館" in subject and "\n" not in subject and "\r" not in subject for subject in subjects)


async def test_a_change_updates_a_moved_booth_and_cancels_a_dropped_one_with_the_same_uid(city, people):
    version = await approved_plan(people)
    spare = await make_venue(
        venue_id="H9",
        name="予備公民館",
        lat=36.62,
        lon=136.61,
        open_days="月火水木金土日",
        open_from="09:00",
        open_until="17:00",
        partner_email="spare@example.jp",
    )
    staff = people[Role.contractor_staff]
    before = {row["session"]: row for row in await Invitation.select()}
    first_mail = await last_id()

    change_id = await workflow.start_change(staff, version["plan"])
    draft = [s for s in await services.sessions_of(change_id) if s.venue_id != version["no_partner"]]
    assert len(draft) >= 3, "the plan needs three booths at venues with partners"
    moved, dropped, swapped = draft[:3]
    old_token = invitations.answer_token(before[moved.origin]["id"], before[moved.origin]["uid"], 0, "accept")
    dropped_token = invitations.answer_token(before[dropped.origin]["id"], before[dropped.origin]["uid"], 0, "decline")
    for day in range(1, 31):  # move one booth to any date the rules allow
        try:
            await services.move_session(staff, moved.id, dt.date(2027, 6, day))
            break
        except ValidationFailed:
            continue
    else:
        pytest.fail("no date to move the booth to")
    await services.remove_session(staff, dropped.id)
    await services.swap_venue(staff, swapped.id, spare["venue_id"])
    await approve_change(people, change_id)

    mail = await partner_mail(first_mail)
    by_recipient = Counter((m["recipient"], m["calendar_method"]) for m in mail)
    assert sum(by_recipient.values()) == 4  # moved: update; dropped: cancel; swapped: cancel + new invitation
    events = [(m, check_itip(m["calendar"], m["calendar_method"])) for m in mail]

    moved_uid = before[moved.origin]["uid"]
    (update,) = [(m, e) for m, e in events if e.value("UID") == moved_uid]
    assert update[0]["calendar_method"] == "REQUEST" and int(update[1].value("SEQUENCE")) > 0
    moved_now = await Session.select().where((Session.version == change_id) & (Session.origin == moved.origin)).first()
    assert update[1].one("DTSTART")[1].startswith(moved_now["date"].strftime("%Y%m%d"))
    with using_locale("ja"):  # partners read Japanese
        subject = _("[outreach] Changed: booth at {venue} on {date}").format(
            venue=moved.venue_name, date=moved_now["date"].isoformat()
        )
    assert update[0]["subject"] == subject and update[0]["recipient"] == before[moved.origin]["partner_email"]

    dropped_uid = before[dropped.origin]["uid"]
    (cancel,) = [(m, e) for m, e in events if e.value("UID") == dropped_uid]
    assert cancel[0]["calendar_method"] == "CANCEL" and cancel[1].value("STATUS") == "CANCELLED"
    assert int(cancel[1].value("SEQUENCE")) > 0 and "中止" in cancel[0]["subject"]

    swapped_uid = before[swapped.origin]["uid"]
    swap_mail = sorted(((m["calendar_method"], m["recipient"]) for m, e in events if e.value("UID") == swapped_uid))
    assert swap_mail == [("CANCEL", before[swapped.origin]["partner_email"]), ("REQUEST", "spare@example.jp")]

    rows = await Invitation.select().order_by(Invitation.id)
    assert Counter(r["state"] for r in rows) == Counter({"sent": len(before) - 1, "cancelled": 2})
    current = {r["uid"]: r for r in rows if r["state"] == "sent"}
    assert (
        moved_uid in current
        and dropped_uid not in current
        and current[swapped_uid]["partner_email"] == "spare@example.jp"
    )
    new_sessions = {s["id"] for s in await Session.select(Session.id).where(Session.version == change_id)}
    assert all(r["session"] in new_sessions for r in current.values())  # invitations follow their booths
    with pytest.raises(Conflict, match="変更されました"):  # the link of the first email no longer answers
        await invitations.answer_invitation(before[moved.origin]["id"], "accept", old_token)
    with pytest.raises(Conflict, match="中止になりました"):
        await invitations.answer_invitation(before[dropped.origin]["id"], "decline", dropped_token)

    # Another approval that changes nothing sends nothing to partners.
    quiet = await last_id()
    await approve_change(people, await workflow.start_change(staff, version["plan"]))
    assert await partner_mail(quiet) == []


async def test_an_smtp_outage_loses_and_doubles_no_invitation(city, people, smtp):
    version = await approved_plan(people)
    await outbox.send_pending()
    staff = people[Role.contractor_staff]
    change_id = await workflow.start_change(staff, version["plan"])
    draft = [s for s in await services.sessions_of(change_id) if s.venue_id != version["no_partner"]]
    await services.remove_session(staff, draft[0].id)

    smtp.stop()
    await approve_change(people, change_id)
    assert await outbox.send_pending() == 0
    waiting = await OutboxMessage.select().where(OutboxMessage.status == "queued")
    assert waiting and all(m["attempts"] == 1 and m["last_error"] for m in waiting)
    assert await outbox.send_pending() == 0  # backing off: not due yet
    smtp.start()
    await OutboxMessage.update({OutboxMessage.next_attempt_at: dt.datetime.now(dt.UTC)}, force=True)
    sent = sum(await asyncio.gather(outbox.send_pending(), outbox.send_pending()))  # two senders at once
    assert sent == len(waiting) and await outbox.send_pending() == 0

    seen = Counter()
    for to, content in smtp.inbox.messages:
        message = email.message_from_bytes(content, policy=email.policy.default)
        for part in message.walk():
            if part.get_content_type() == "text/calendar":
                event = event_of(part.get_content())[1]
                seen[(to[0], event.value("UID"), event.value("SEQUENCE"), part.get_param("method"))] += 1
    expected = Counter()
    for m in await partner_mail():
        event = event_of(m["calendar"])[1]
        expected[(m["recipient"], event.value("UID"), event.value("SEQUENCE"), m["calendar_method"])] += 1
    assert seen == expected and set(seen.values()) == {1}  # each invitation and cancellation exactly once
    assert Counter(method for *_rest, method in seen) == Counter({"REQUEST": await Invitation.count(), "CANCEL": 1})


# --- answers -------------------------------------------------------------------------------------------------------


async def test_a_partner_accepts_once_and_a_tampered_link_records_nothing(city, people, client):
    await approved_plan(people)
    message = (await partner_mail())[0]
    invitation = await Invitation.select().where(Invitation.partner_email == message["recipient"]).first()
    links = answer_links(message["body"])
    assert links["accept"].startswith(f"/invitations/{invitation['id']}/accept?token=")

    page = await client.get(links["accept"])  # what a link preview or a mail scanner does
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    soup = BeautifulSoup(page.text, "html.parser")
    assert soup.html["lang"] == "ja" and soup.find("form", method="post")
    assert (await Invitation.select().where(Invitation.id == invitation["id"]).first())["response"] == "needs-action"

    tampered = links["accept"][:-2] + ("AA" if not links["accept"].endswith("AA") else "BB")
    for url in (
        tampered,
        links["accept"].replace("/accept?", "/decline?"),
        f"/invitations/{invitation['id'] + 999}/accept?token=x",
    ):
        assert (await client.get(url)).status_code == 404
        response = await client.post(url, data={"_csrf_token": csrf_token(page.text)})
        assert response.status_code == 404
    assert (await Invitation.select().where(Invitation.id == invitation["id"]).first())["response"] == "needs-action"

    refused = await client.post(links["accept"], data={"note": "駐車場は北側へ"})  # no CSRF token: refused
    assert refused.status_code == 403
    answer = await client.post(
        links["accept"], data={"note": "駐車場は北側へ", "_csrf_token": csrf_token(page.text)}, follow_redirects=False
    )
    assert answer.status_code == 303
    done = await client.get(answer.headers["location"])
    assert done.status_code == 200 and BeautifulSoup(done.text, "html.parser").find(id="answer-recorded")
    row = await Invitation.select().where(Invitation.id == invitation["id"]).first()
    assert (row["response"], row["response_note"]) == ("accepted", "駐車場は北側へ") and row["responded_at"]
    audit = await AuditEvent.select().where(AuditEvent.object_type == "invitation")
    assert [(e["action"], e["object_id"]) for e in audit] == [("invitation.accepted", str(invitation["id"]))]

    again = await client.post(links["accept"], data={"_csrf_token": csrf_token(page.text)})
    assert again.status_code == 409 and BeautifulSoup(again.text, "html.parser").find(id="answer-message")
    other = await client.post(links["decline"], data={"_csrf_token": csrf_token(page.text)})
    assert other.status_code == 409  # one answer per version of the booth
    assert (await Invitation.select().where(Invitation.id == invitation["id"]).first())["response"] == "accepted"
    assert await AuditEvent.count().where(AuditEvent.object_type == "invitation") == 1
    with pytest.raises(NotFound):
        await invitations.answer_invitation(invitation["id"], "accept", None)


async def test_a_decline_notifies_the_contractor_and_staff_see_every_answer(city, people, client):
    version = await approved_plan(people)
    mail = await partner_mail()
    declined_mail, accepted_mail = mail[0], mail[1]
    before = await last_id()
    links = answer_links(declined_mail["body"])
    page = await client.get(links["decline"])
    response = await client.post(
        links["decline"], data={"note": "館内工事のため", "_csrf_token": csrf_token(page.text)}, follow_redirects=False
    )
    assert response.status_code == 303
    accept_path = answer_links(accepted_mail["body"])["accept"]
    _path, query = accept_path.split("?")
    invitation_id = int(accept_path.split("/")[2])
    await invitations.answer_invitation(invitation_id, "accept", query.removeprefix("token="))

    notices = await OutboxMessage.select().where(
        (OutboxMessage.id > before) & (OutboxMessage.kind == invitations.DECLINE_KIND)
    )
    staff, lead = people[Role.contractor_staff], people[Role.contractor_lead]
    assert sorted(n["recipient"] for n in notices) == sorted(
        [f"{staff.username}@example.jp", f"{lead.username}@example.jp"]
    )
    assert all(
        "館内工事のため" in n["body"] and f"/staff/plans/{version['plan']}/invitations" in n["body"] for n in notices
    )
    others = await OutboxMessage.count().where(
        (OutboxMessage.id > before) & (OutboxMessage.kind != invitations.DECLINE_KIND)
    )
    assert others == 0  # an accept tells nobody

    assert (await sign_in(client, people[Role.city_reviewer].username)).status_code == 303
    plan_page = await client.get(f"/staff/plans/{version['plan']}")
    link = BeautifulSoup(plan_page.text, "html.parser").find(id="invitations-link")
    assert link and link["href"] == f"/staff/plans/{version['plan']}/invitations"
    answers = await client.get(link["href"])
    assert answers.status_code == 200
    rows = BeautifulSoup(answers.text, "html.parser").select("#booth-answers-table tbody tr")
    states = Counter(row["data-response"] for row in rows)
    booths = await Session.count().where(Session.version == version["id"])
    assert sum(states.values()) == booths
    assert states["declined"] == 1 and states["accepted"] == 1
    assert states["needs-action"] == await Invitation.count() - 2
    assert states["none"] == booths - await Invitation.count()
    assert "館内工事のため" in answers.text


async def test_the_answers_page_is_for_staff_only(city, people, client):
    version = await approved_plan(people, partners=False)
    assert await Invitation.count() == 0 and await partner_mail() == []
    response = await client.get(f"/staff/plans/{version['plan']}/invitations", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/login")


async def test_a_partner_email_added_after_publication_is_shown_and_the_partner_invited(city, people, client):
    """The page said 「パートナーのメールなし」 after an email was added, and offered no way to invite the partner."""
    version = await approved_plan(people)
    venue_id = version["no_partner"]
    await Venue.update({Venue.partner_email: "new-partner@example.jp", Venue.partner_name: "新 館長"}).where(
        Venue.venue_id == venue_id
    )
    theirs = [
        s.id for s in await services.sessions_of(version["id"]) if s.venue_id == venue_id and s.state == "published"
    ]
    url = f"/staff/plans/{version['plan']}/invitations"
    assert (await sign_in(client, people[Role.city_reviewer].username)).status_code == 303
    page = BeautifulSoup((await client.get(url)).text, "html.parser")
    assert page.select_one("#invite-missing form") is None  # the contractor sends invitations, not the city
    assert (await sign_in(client, people[Role.contractor_lead].username)).status_code == 303
    page = BeautifulSoup((await client.get(url)).text, "html.parser")
    ready = page.select("tr[data-invite=ready]")
    assert [row["id"] for row in ready] == [f"booth-{sid}" for sid in theirs]
    partner = ready[0].select_one(".partner").get_text()
    assert "new-partner@example.jp" in partner and "メールなし" not in partner
    assert page.select_one("[data-count=to-invite]").get_text() == str(len(theirs))
    before = await last_id()
    response = await client.post(
        page.select_one("#invite-missing form")["action"], data={"_csrf_token": csrf_token(str(page))}
    )
    assert response.status_code == 200
    done = BeautifulSoup(response.text, "html.parser")
    assert str(len(theirs)) in done.select_one("#invited-notice").get_text()
    assert done.select("tr[data-invite=ready]") == [] and done.select_one("#invite-missing") is None
    mail = await partner_mail(before)
    assert [m["recipient"] for m in mail] == ["new-partner@example.jp"] * len(theirs)
    assert all(m["calendar_method"] == "REQUEST" for m in mail)
    invited = await Invitation.select().where(Invitation.session.is_in(theirs))
    assert sorted(i["session"] for i in invited) == sorted(theirs)
    assert {i["uid"] for i in invited} == {await booth_uid(sid) for sid in theirs}
    (event,) = await AuditEvent.select().where(AuditEvent.action == "invitations.sent")
    assert event["actor_name"] == people[Role.contractor_lead].username
    assert await invitations.invite_missing_partners(people[Role.contractor_lead], version["plan"]) == 0  # once


async def test_booths_that_have_begun_are_not_invited_late(city, people):
    version = await approved_plan(people)
    await Venue.update({Venue.partner_email: "new-partner@example.jp"}).where(Venue.venue_id == version["no_partner"])
    first = (await services.sessions_of(version["id"]))[0]
    with clock.frozen(dt.datetime.combine(first.date, first.start, clock.JST) + dt.timedelta(hours=1)):
        later = [
            s
            for s in await services.sessions_of(version["id"])
            if s.venue_id == version["no_partner"] and s.date > first.date
        ]
        assert await invitations.invite_missing_partners(people[Role.contractor_staff], version["plan"]) == len(later)
    assert await Invitation.count().where(Invitation.session == first.id) == 0
