"""Booking codes and manage tokens: a code is 80 random bits (Crockford base32, read aloud or typed from the slip);
the token that opens the manage page is a separate secret of 128 bits that only the resident's link carries. The
database keeps its SHA-256 (``manage_token_hash``), never the token, and re-issuing it replaces the hash, so the old
link stops working.

Bookings made before tokens were stored have no hash: their link carries ``legacy_token`` (an HMAC of the code) and
keeps working until the resident re-issues it."""

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


def _hmac_token(message: bytes) -> str:
    digest = hmac.new(get_settings().secret_key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def legacy_token(code: str) -> str:
    """The manage token of a booking made before tokens were stored (an HMAC of the code keyed with SECRET_KEY)."""
    return _hmac_token(b"manage:" + code.encode())


def new_manage_token(code: str, idempotency_key: str | None = None) -> str:
    """A fresh manage token (128 bits). With the client's Idempotency-Key it is derived from that key and the code
    (an HMAC keyed with SECRET_KEY), so that a repeated request gets the same link back although only its hash is
    stored; without one it is random."""
    if idempotency_key:
        return _hmac_token(b"manage-token:" + idempotency_key.encode() + b":" + code.encode())
    return secrets.token_urlsafe(16)


def token_hash(token: str) -> str:
    """What the database keeps of a manage token."""
    return key_digest(token)


def token_matches(code: str, token: str | None, stored_hash: str) -> bool:
    """Whether ``token`` opens the booking: its hash is the stored one (or, for a booking that has none yet, it is
    the legacy token)."""
    if not token:
        return False
    if stored_hash:
        return hmac.compare_digest(token_hash(token), stored_hash)
    return hmac.compare_digest(legacy_token(code), token)


def manage_url(code: str, token: str) -> str:
    """The resident's link to view, move or cancel the booking."""
    return f"{get_settings().base_url}/bookings/{code}?token={token}"


def find_url(code: str = "") -> str:
    """The page where a resident gets a new manage link with the booking code and the phone or email (予約を探す)."""
    return f"{get_settings().base_url}/bookings/find" + (f"?code={code}" if code else "")


def key_digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
