"""Booking codes and manage tokens: a code is 80 random bits (Crockford base32, read aloud or typed from the slip);
the token that opens the manage page is an HMAC of the code, so only the resident's link carries it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from core.settings import get_settings

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
_CONFUSABLE = str.maketrans(
    {"O": "0", "I": "1", "L": "1", "U": "V", "-": None, " ": None, "　": None, "－": None, "‐": None, "ー": None}
)
CODE_LENGTH = 16


_BASE32_TO_CROCKFORD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", ALPHABET)


def new_code() -> str:
    """A fresh booking code: 16 symbols of 5 bits = 80 random bits (ten random bytes in base 32, each 5-bit group
    written with the Crockford symbol of its value; one call for randomness instead of sixteen)."""
    return base64.b32encode(secrets.token_bytes(CODE_LENGTH * 5 // 8)).decode("ascii").translate(_BASE32_TO_CROCKFORD)


def normalize_code(text: str) -> str:
    """The canonical form of a typed code ("7kq2-m9xd-4trb-w8hn", full-width, O for 0...), or "" if malformed."""
    import unicodedata

    code = unicodedata.normalize("NFKC", text or "").upper().translate(_CONFUSABLE)
    return code if len(code) == CODE_LENGTH and all(ch in ALPHABET for ch in code) else ""


def display_code(code: str) -> str:
    """A code in groups of four, as printed on the slip: 7KQ2-M9XD-4TRB-W8HN."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def manage_token(code: str) -> str:
    """The secret of a booking's manage link (128 bits of an HMAC keyed with SECRET_KEY)."""
    digest = hmac.new(get_settings().secret_key.encode(), b"manage:" + code.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def token_matches(code: str, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(manage_token(code), token or "")


def manage_url(code: str) -> str:
    """The resident's link to view, move or cancel the booking."""
    return f"{get_settings().base_url}/bookings/{code}?token={manage_token(code)}"


def key_digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
