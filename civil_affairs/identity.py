"""Saudi ID and iqama numbers: 10 digits, 1 = citizen, 2 = resident, standard Luhn check digit.

Pure rules (no ORM); see alhazmy13/Saudi-ID-Validator for the public algorithm.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CITIZEN = "citizen"
RESIDENT = "resident"
KIND_BY_PREFIX = {"1": CITIZEN, "2": RESIDENT}


def luhn_valid(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def luhn_check_digit(first_nine: str) -> str:
    """The digit that completes nine digits into a valid number (for demo and test data)."""
    for digit in "0123456789":
        if luhn_valid(first_nine + digit):
            return digit
    raise AssertionError("unreachable")  # pragma: no cover


def id_kind(number: str) -> str:
    return KIND_BY_PREFIX[number[0]]


def validate_id_number(number: str) -> str:
    """Return the kind of a well-formed number or raise ValidationError with a code."""
    if len(number) != 10 or not number.isascii() or not number.isdigit():
        raise ValidationError(_("An ID or iqama number has exactly 10 digits."), code="id_format")
    if number[0] not in KIND_BY_PREFIX:
        raise ValidationError(
            _("An ID number starts with 1 (citizens) and an iqama number with 2 (residents)."), code="id_prefix"
        )
    if not luhn_valid(number):
        raise ValidationError(_("This number is not a valid ID or iqama number: check its digits."), code="id_check_digit")
    return id_kind(number)
