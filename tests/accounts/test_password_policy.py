"""The password policy table (QUALITY 1), through the validators listed in settings."""

import pytest
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError

from accounts.models import User


def codes_for(password, username="Mohammed1990"):
    try:
        password_validation.validate_password(password, User(username=username, email="m@example.com"))
    except ValidationError as errors:
        return {e.code for e in errors.error_list}
    return set()


@pytest.mark.parametrize(
    "password, codes",
    [
        ("Riyadh2026x", set()),
        ("Rydh2026", set()),  # exactly 8
        ("Rydh202", {"password_too_short"}),  # 7
        ("riyadh2026x", {"password_composition"}),
        ("RIYADH2026X", {"password_composition"}),
        ("RiyadhJeddah", {"password_composition"}),
        ("Password1", {"password_too_common"}),
        ("Aaaaaaaaa1b", {"password_repeated"}),
        ("Mohammed1990x", {"password_username"}),  # one rule, one message (not Django's similarity too)
        ("Mohammed1990", {"password_username"}),  # the password is the username
        ("Example2026x", {"password_too_similar"}),  # the e-mail's domain: Django's rule still looks at it
        ("Xy9" + "q" * 125, {"password_repeated"}),
    ],
)
def test_policy_rows(password, codes):
    assert codes_for(password) == codes


def test_length_is_counted_in_characters_up_to_128():
    ok_128 = ("Ab1" + "خ" * 2 + "xyzPQR") * 11 + "Ab1" + "cdefghijklmnopq"[:4]
    ok_128 = ok_128[:128]
    assert len(ok_128) == 128 and codes_for(ok_128) == set()
    assert "password_too_long" in codes_for(ok_128 + "Z")


@pytest.mark.parametrize(
    "password",
    [
        "Sunny day in Riyadh 2026 with friends and a long walk by the sea!",  # spaces, 64+
        "كلمةسر قوية Aa1 مع مسافات",  # Arabic with spaces
        "Ünïcödé Pässwörd 2026 ✓",
    ],
)
def test_unicode_and_spaces_are_accepted_and_not_truncated(password):
    assert codes_for(password) == set()
    hashed = make_password(password)
    assert check_password(password, hashed)
    assert not check_password(password[:-1], hashed)
    assert not check_password(password + "x", hashed)


def test_every_common_password_of_django_is_refused():
    from django.contrib.auth.password_validation import CommonPasswordValidator

    validator = CommonPasswordValidator()
    sample = sorted(validator.passwords)[:200]
    for common in sample:
        with pytest.raises(ValidationError):
            validator.validate(common)
    # Case does not rescue a common password.
    with pytest.raises(ValidationError):
        validator.validate("PASSWORD1")


def test_argon2_is_the_production_hasher():
    from django.conf import settings

    from absher.settings import base

    assert base.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert settings.AUTH_PASSWORD_VALIDATORS  # the list the test above exercises
