"""The password rule for staff accounts: long enough, not common, not the username (zxcvbn judges how guessable)."""

from __future__ import annotations

from typing import NoReturn

from zxcvbn import zxcvbn

from core.errors import ValidationFailed
from core.i18n import gettext as _

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 128  # Argon2 takes any length; this only bounds the work a form can ask for
# zxcvbn's score (0-4) from its estimate of the guesses needed, with the 30,000 most common leaked passwords, English
# words, names and keyboard patterns in its lists; 3 is "safely unguessable" against an offline attack on a slow hash.
MIN_SCORE = 3
_ZXCVBN_MAX_LENGTH = 72  # zxcvbn refuses longer input; a longer password is judged by its first 72 characters


def check_password(password: str, *, username: str, display_name: str = "") -> None:
    """Raise ValidationFailed (field ``password``) unless the password is at least MIN_PASSWORD_LENGTH characters,
    not the username, and not common or easy to guess (its score, counting the username and name as known words)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        refuse(_("The password must be at least {n} characters.").format(n=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        refuse(_("The password must be at most {n} characters.").format(n=MAX_PASSWORD_LENGTH))
    if username.strip() and username.strip().casefold() in password.casefold():
        refuse(_("The password must not contain the username."))
    known = [word for word in (username.strip(), display_name.strip()) if word]
    if zxcvbn(password[:_ZXCVBN_MAX_LENGTH], user_inputs=known)["score"] < MIN_SCORE:
        refuse(
            _(
                "This password is too common or too easy to guess. Use a longer phrase of several unrelated words, "
                "or letters, digits and symbols mixed."
            )
        )


def refuse(message: str) -> NoReturn:
    raise ValidationFailed(message, {"password": message})
