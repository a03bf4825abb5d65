"""Account rules as plain functions (no ORM, no clock): username, mobile, who may register."""

import re
from dataclasses import dataclass
from datetime import date

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from civil_affairs import ages
from civil_affairs.identity import CITIZEN

USERNAME_MIN = 8
USERNAME_MAX = 30
ADULT_AGE = 18


def validate_username(value: str) -> None:
    """English letters and digits, starting with a letter, 8-30 long, with upper, lower and digit."""
    if not re.fullmatch(r"[A-Za-z0-9]+", value):
        raise ValidationError(_("A username has English letters and digits only."), code="username_charset")
    if not value[0].isalpha():
        raise ValidationError(_("A username starts with a letter."), code="username_start")
    if not USERNAME_MIN <= len(value) <= USERNAME_MAX:
        raise ValidationError(
            _("A username has %(min)d to %(max)d characters.") % {"min": USERNAME_MIN, "max": USERNAME_MAX},
            code="username_length",
        )
    if not (re.search(r"[A-Z]", value) and re.search(r"[a-z]", value) and re.search(r"[0-9]", value)):
        raise ValidationError(
            _("A username has an upper-case letter, a lower-case letter and a digit."), code="username_composition"
        )


def normalize_mobile(raw: str) -> str:
    """A Saudi mobile as typed (5XXXXXXXX, or with 0, +966 or 00966) in E.164, or ValidationError."""
    digits = re.sub(r"[\s\-()]", "", raw)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if not re.fullmatch(r"\+?[0-9]+", digits):
        raise ValidationError(_("Enter the mobile number in digits, e.g. 5XXXXXXXX."), code="mobile_format")
    if not digits.startswith("+") and not (len(digits) == 9 or (len(digits) == 10 and digits.startswith("0"))):
        raise ValidationError(
            _("Enter the 9 digits of the mobile number without the leading zero, e.g. 5XXXXXXXX."), code="mobile_format"
        )
    try:
        number = phonenumbers.parse(digits, "SA")
    except phonenumbers.NumberParseException:
        raise ValidationError(_("Enter a valid Saudi mobile number."), code="mobile_format") from None
    if number.country_code != 966 or not phonenumbers.is_valid_number(number):
        raise ValidationError(_("Enter a valid Saudi mobile number."), code="mobile_format")
    if phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE:
        raise ValidationError(_("This is not a mobile number: enter a mobile that starts with 5."), code="mobile_not_mobile")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_mobile(e164: str) -> str:
    """+966501234567 -> 05XXXXX567: what a page may show of a number."""
    if not e164:
        return ""
    local = "0" + e164[4:] if e164.startswith("+966") else e164
    return local[:2] + "\u2022" * (len(local) - 5) + local[-3:]


@dataclass(frozen=True)
class RegistrantFacts:
    """What the registry says of the person an ID number names (None: not in the registry)."""

    kind: str
    status: str  # the registry's: living, deceased, id_cancelled
    birth_date: date
    national_id_issued: bool
    iqama_expiry: date | None
    has_account: bool  # an account past the SMS confirmation (a pending registration is none)
    age_calendar: str
    # The account is confirmed but not activated: whoever registered it, the ID's owner can
    # claim it at a kiosk, where the finger proves the ID.
    account_claimable: bool = False


@dataclass(frozen=True)
class RegistrationDecision:
    allowed: bool
    code: str = ""
    eligible_from: date | None = None


def registration_decision(facts: RegistrantFacts | None, *, today: date) -> RegistrationDecision:
    """The seed's checks on the ID number, in order."""
    if facts is None:
        return RegistrationDecision(False, "not_in_registry")
    if facts.status == "id_cancelled":
        return RegistrationDecision(False, "id_cancelled")
    if facts.status != "living":
        return RegistrationDecision(False, "not_living")
    adult_on = ages.anniversary(facts.birth_date, years=ADULT_AGE, calendar=facts.age_calendar)
    if today < adult_on:
        return RegistrationDecision(False, "under_18", adult_on)
    if facts.kind == CITIZEN and not facts.national_id_issued:
        return RegistrationDecision(False, "no_national_id_card")
    if facts.kind != CITIZEN and (facts.iqama_expiry is None or facts.iqama_expiry < today):
        return RegistrationDecision(False, "iqama_expired")
    if facts.has_account and facts.account_claimable:
        return RegistrationDecision(False, "claim_at_kiosk")
    if facts.has_account:
        return RegistrationDecision(False, "already_registered")
    return RegistrationDecision(True)


REFUSAL_MESSAGES = {
    "not_in_registry": _("This ID number is not in the civil registry. Check the number, or visit a civil affairs office."),
    "not_living": _("An account cannot be opened for this ID number. Visit a civil affairs office."),
    "id_cancelled": _("This ID number was cancelled. Visit a civil affairs office to have your identity document reissued."),
    "under_18": _("You can register from your 18th birthday, on %(date)s."),
    "no_national_id_card": _("A citizen registers with a national ID card. Issue your card at civil affairs first."),
    "iqama_expired": _("Your iqama has expired. Renew it first, then register."),
    "already_registered": _("This ID number already has an account. Sign in, or reset your password if you forgot it."),
    "claim_at_kiosk": _(
        "An account was registered for this ID number but is not activated yet. If it is not yours, or you cannot "
        "sign in to it, activate it at a self-service kiosk with your fingerprint: the account becomes yours, with "
        "your own mobile number."
    ),
}
