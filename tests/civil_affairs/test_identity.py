import pytest
from django.core.exceptions import ValidationError

from civil_affairs.identity import CITIZEN, RESIDENT, luhn_check_digit, luhn_valid, validate_id_number
from tests.conftest import make_id


@pytest.mark.parametrize(
    "number, kind",
    [
        ("1000000008", CITIZEN),  # published-style example: Luhn over ten digits
        (make_id("1", 12345), CITIZEN),
        (make_id("2", 98765), RESIDENT),
    ],
)
def test_valid_numbers_give_their_kind(number, kind):
    assert validate_id_number(number) == kind


def test_one_digit_off_fails_the_check_digit():
    good = make_id("1", 4242)
    for position in range(10):
        digit = int(good[position])
        bad = good[:position] + str((digit + 1) % 10) + good[position + 1 :]
        if bad[0] not in "12":
            continue
        with pytest.raises(ValidationError) as error:
            validate_id_number(bad)
        assert error.value.code == "id_check_digit"


@pytest.mark.parametrize(
    "number, code",
    [
        ("123456789", "id_format"),
        ("12345678901", "id_format"),
        ("12345abcde", "id_format"),
        ("", "id_format"),
        ("١٠٠٠٠٠٠٠٠٨", "id_format"),  # Arabic-Indic digits are normalised by the form, not here
        ("3000000006", "id_prefix"),
        ("0000000000", "id_prefix"),
    ],
)
def test_malformed_numbers(number, code):
    with pytest.raises(ValidationError) as error:
        validate_id_number(number)
    assert error.value.code == code


def test_check_digit_completes_any_nine_digits():
    for first_nine in ("100000000", "212345678", "199999999"):
        assert luhn_valid(first_nine + luhn_check_digit(first_nine))
