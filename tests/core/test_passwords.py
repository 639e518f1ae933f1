"""The password rule: long enough, not a common password, not the username; refused with a message in Japanese."""

from __future__ import annotations

import pytest

from core.errors import ValidationFailed
from core.i18n import set_locale
from core.passwords import check_password
from core.tables import Role
from core.users import create_user, set_password
from tests.conftest import PASSWORD


@pytest.fixture(autouse=True)
def japanese():
    set_locale("ja")
    yield
    set_locale("ja")


@pytest.mark.parametrize(
    "password",
    ["password123", "1234567890", "qwertyuiop", "iloveyou12", "P@ssw0rd2026", "abcabcabcabc", "aaaaaaaaaaaa"],
)
def test_common_and_patterned_passwords_are_refused(password):
    with pytest.raises(ValidationFailed) as refused:
        check_password(password, username="tanaka")
    assert "推測" in refused.value.fields["password"]


def test_short_and_username_passwords_are_refused_with_the_reason():
    with pytest.raises(ValidationFailed) as short:
        check_password("x7#kQ2", username="tanaka")
    assert "10文字以上" in short.value.fields["password"]
    with pytest.raises(ValidationFailed) as named:
        check_password("Tanaka-Kanazawa-2027!", username="tanaka")
    assert "ユーザー名" in named.value.fields["password"]
    with pytest.raises(ValidationFailed) as long:
        check_password("x" * 129, username="tanaka")
    assert "128文字以内" in long.value.fields["password"]


@pytest.mark.parametrize("password", [PASSWORD, "a-brand-new-password", "緑の窓口で朝ごはんを食べる", "x7#kQ2!vLm9p"])
def test_long_uncommon_passwords_are_accepted(password):
    check_password(password, username="tanaka", display_name="田中 花子")


async def test_accounts_cannot_be_created_or_given_a_weak_password():
    with pytest.raises(ValidationFailed):
        await create_user("suzuki", "password1234", Role.admin)
    await create_user("suzuki", PASSWORD, Role.admin)
    with pytest.raises(ValidationFailed):
        await set_password("suzuki", "suzuki2027!")
