"""Booking codes (80 random bits in Crockford base 32) and the digest an Idempotency-Key is kept with."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict

from booking.bookings import BookingRequest, request_digest, validate
from booking.codes import ALPHABET, CODE_LENGTH, key_digest, new_code, normalize_code
from booking.schemas import Needs


def test_codes_use_every_symbol_in_every_position_and_survive_typing():
    codes = [new_code() for _ in range(3000)]
    assert len(set(codes)) == len(codes)
    assert all(len(code) == CODE_LENGTH and normalize_code(code.lower()) == code for code in codes)
    for position in range(CODE_LENGTH):
        seen = Counter(code[position] for code in codes)
        assert set(seen) == set(ALPHABET)  # 32 symbols, each about 94 times: none missing, none extra
        assert max(seen.values()) < 200


def test_the_idempotency_digest_is_the_same_text_as_before():
    """Keys stored before an upgrade must still match their retries: the digest is sha256 of the sorted JSON of
    the request as dataclasses.asdict gives it."""
    request = validate(
        BookingRequest(
            slot_id=7,
            name_kana="かなざわ はなこ",
            phone="090-1111-2222",
            email="Hanako@Example.jp",
            party_size=3,
            language="en",
            needs=Needs(wheelchair=True, large_print=False, interpreter="vi"),
            readiness={"photo_id": True, "guardian": False},
            source="aeon-board",
        )
    )
    assert request_digest(request) == key_digest(json.dumps(asdict(request), sort_keys=True, default=str))
