"""The access log never carries a booking's code or manage token."""

import logging

from core.logs import RedactSecrets, redact, uvicorn_log_config


def test_codes_and_tokens_are_redacted_from_request_lines():
    assert redact("/bookings/7KQ2M9XD4TRBW8HN?token=abcDEF_123&new=1") == "/bookings/[code]?token=[redacted]&new=1"
    assert redact("/api/bookings/7KQ2M9XD4TRBW8HN/cancel?token=x") == "/api/bookings/[code]/cancel?token=[redacted]"
    assert redact("/bookings/find") == "/bookings/find"
    assert redact("/api/sessions?near=36.5,136.6") == "/api/sessions?near=36.5,136.6"
    assert redact("/tickets/7KQ2M9XD4TRBW8HN/live") == "/tickets/[code]/live"  # a queue ticket's page
    assert redact("/api/tickets/7kq2-m9xd-4trb-w8hn") == "/api/tickets/[code]"
    assert redact("/offices/1/board/live") == "/offices/1/board/live"
    assert redact("/waitlist/7KQ2M9XD4TRBW8HN/accept?token=x") == "/waitlist/[code]/accept?token=[redacted]"
    assert redact("/booths/1/waitlist?slot=3") == "/booths/1/waitlist?slot=3"
    assert (
        redact("/api/waitlist/7KQ2M9XD4TRBW8HN/accept?token=s3cret") == "/api/waitlist/[code]/accept?token=[redacted]"
    )
    assert redact("/waitlist/7KQ2M9XD4TRBW8HN?token=s3cret") == "/waitlist/[code]?token=[redacted]"  # the email's link
    assert redact("/api/waitlist") == "/api/waitlist"


def test_codes_in_any_typed_form_and_tokens_however_spelled_are_redacted():
    assert redact("/bookings/bnfa-tkzd-zjda-3axx") == "/bookings/[code]"
    assert redact("/bookings/BNFA TKZD ZJDA\u30003AXX/slip.pdf") == "/bookings/[code]/slip.pdf"
    assert redact('"GET /bookings/BNFA TKZD ZJDA 3AXX HTTP/1.1" 200') == '"GET /bookings/[code] HTTP/1.1" 200'
    assert redact("/bookings/bnfa-tkzd-zjda-3axx/cancel?%74oken=s3cret") == "/bookings/[code]/cancel?%74oken=[redacted]"
    assert redact("/bookings/x;token=s3cret") == "/bookings/[code];token=[redacted]"
    assert redact("/api/bookings/7KQ2M9XD4TRBW8HN?a=1&TOKEN=s3cret") == "/api/bookings/[code]?a=1&TOKEN=[redacted]"
    assert redact("/venues/V1/calendar.ics?t%6Fken=s3cret") == "/venues/V1/calendar.ics?t%6Fken=[redacted]"
    assert redact("/bookings/find?code=x") == "/bookings/find?code=x"
    assert redact("/booths/1/book?slot=3&src=flyer") == "/booths/1/book?slot=3&src=flyer"


def test_the_uvicorn_access_log_uses_the_filter():
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/bookings/7KQ2M9XD4TRBW8HN?token=secret", "1.1", 200),
        None,
    )
    RedactSecrets().filter(record)
    assert "secret" not in record.getMessage() and "7KQ2M9XD4TRBW8HN" not in record.getMessage()
    assert uvicorn_log_config()["handlers"]["access"]["filters"] == ["redact_secrets"]


async def test_without_smtp_the_console_shows_messages_without_addresses_or_tokens(caplog, monkeypatch):
    import dataclasses

    from core import outbox
    from core.settings import get_settings

    monkeypatch.setattr(outbox, "get_settings", lambda: dataclasses.replace(get_settings(), smtp_url=None))
    await outbox.queue_email(
        "hanako@example.jp", "予約", "http://x/bookings/7KQ2M9XD4TRBW8HN?token=s3cret", kind="booking.confirmed"
    )
    with caplog.at_level(logging.INFO, logger="outreach.outbox"):
        assert await outbox.send_pending() == 1
    shown = caplog.text
    assert "予約" in shown and "h***@example.jp" in shown
    assert "hanako@" not in shown and "s3cret" not in shown and "7KQ2M9XD4TRBW8HN" not in shown
