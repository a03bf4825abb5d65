"""Account rules at their edges, without a database."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from absher.forms import normalize_digits
from accounts.rules import RegistrantFacts, mask_mobile, normalize_mobile, registration_decision, validate_username
from civil_affairs.ages import GREGORIAN, HIJRI, anniversary
from civil_affairs.identity import CITIZEN, RESIDENT

TODAY = date(2026, 11, 24)


def facts(**overrides):
    values = {
        "kind": CITIZEN,
        "status": "living",
        "birth_date": date(1990, 1, 1),
        "national_id_issued": True,
        "iqama_expiry": None,
        "has_account": False,
        "age_calendar": HIJRI,
    }
    values.update(overrides)
    return RegistrantFacts(**values)


# --- who may register ---


def test_adult_citizen_with_card_may_register():
    assert registration_decision(facts(), today=TODAY).allowed


@pytest.mark.parametrize(
    "registrant, code",
    [
        (None, "not_in_registry"),
        (facts(status="deceased"), "not_living"),
        (facts(status="id_cancelled"), "id_cancelled"),
        (facts(national_id_issued=False), "no_national_id_card"),
        (facts(has_account=True), "already_registered"),
        # Confirmed but not activated: the ID's owner is sent to a kiosk to claim it.
        (facts(has_account=True, account_claimable=True), "claim_at_kiosk"),
        (facts(kind=RESIDENT, age_calendar=GREGORIAN, iqama_expiry=None), "iqama_expired"),
    ],
)
def test_refusals(registrant, code):
    decision = registration_decision(registrant, today=TODAY)
    assert not decision.allowed and decision.code == code


@pytest.mark.parametrize("calendar", [HIJRI, GREGORIAN])
def test_18th_birthday_edge_in_each_calendar(calendar):
    birth = date(2008, 6, 15)
    eighteen = anniversary(birth, years=18, calendar=calendar)
    kind = CITIZEN if calendar == HIJRI else RESIDENT
    extra = {} if kind == CITIZEN else {"iqama_expiry": date(2099, 1, 1)}
    before = registration_decision(facts(birth_date=birth, kind=kind, age_calendar=calendar, **extra), today=eighteen - timedelta(days=1))
    on_the_day = registration_decision(facts(birth_date=birth, kind=kind, age_calendar=calendar, **extra), today=eighteen)
    assert (before.allowed, before.code, before.eligible_from) == (False, "under_18", eighteen)
    assert on_the_day.allowed


def test_citizens_count_in_hijri_so_they_reach_18_before_the_gregorian_birthday():
    birth = date(2008, 6, 15)
    hijri_18 = anniversary(birth, years=18, calendar=HIJRI)
    assert hijri_18 < date(2026, 6, 15)
    assert registration_decision(facts(birth_date=birth), today=hijri_18).allowed


@pytest.mark.parametrize(
    "expiry, allowed",
    [(TODAY, True), (TODAY - timedelta(days=1), False), (TODAY + timedelta(days=1), True)],
)
def test_iqama_expiring_today_is_still_valid_yesterday_is_not(expiry, allowed):
    decision = registration_decision(facts(kind=RESIDENT, age_calendar=GREGORIAN, iqama_expiry=expiry), today=TODAY)
    assert decision.allowed is allowed
    if not allowed:
        assert decision.code == "iqama_expired"


def test_checks_come_in_the_seed_order():
    # Deceased and under age and already registered: the first check speaks.
    everything_wrong = facts(status="deceased", birth_date=TODAY, national_id_issued=False, has_account=True)
    assert registration_decision(everything_wrong, today=TODAY).code == "not_living"
    assert registration_decision(facts(birth_date=TODAY, has_account=True), today=TODAY).code == "under_18"


# --- username policy ---


@pytest.mark.parametrize("username", ["Abcdefg1", "Mohammed1990", "a" * 27 + "B12", "zZ345678"])
def test_good_usernames(username):
    validate_username(username)


@pytest.mark.parametrize(
    "username, code",
    [
        ("Abcdef1", "username_length"),  # 7
        ("A" + "b" * 28 + "12", "username_length"),  # 31
        ("1Abcdefgh", "username_start"),
        ("Abc_defg1", "username_charset"),
        ("Abc defg1", "username_charset"),
        ("محمدAbc12", "username_charset"),
        ("abcdefgh1", "username_composition"),
        ("ABCDEFGH1", "username_composition"),
        ("Abcdefghi", "username_composition"),
    ],
)
def test_bad_usernames(username, code):
    with pytest.raises(ValidationError) as error:
        validate_username(username)
    assert error.value.code == code


# --- mobile numbers ---


@pytest.mark.parametrize(
    "typed",
    ["501234567", "0501234567", "+966501234567", "00966501234567", "50 123 4567", normalize_digits("٥٠١٢٣٤٥٦٧")],
)
def test_mobile_forms_that_normalise_to_e164(typed):
    assert normalize_mobile(typed) == "+966501234567"


@pytest.mark.parametrize(
    "typed, code",
    [
        ("50123456", "mobile_format"),  # 8 digits
        ("5012345678", "mobile_format"),  # 10 digits without the leading zero
        ("401234567", "mobile_format"),  # no Saudi number starts so
        ("114618666", "mobile_not_mobile"),  # a Riyadh landline
        ("+201001234567", "mobile_format"),  # an Egyptian mobile
        ("50-abc-4567", "mobile_format"),
        ("٥٠١٢٣٤٥٦٧", "mobile_format"),  # not normalised: the form does that first
    ],
)
def test_bad_mobiles(typed, code):
    with pytest.raises(ValidationError) as error:
        normalize_mobile(typed)
    assert error.value.code == code


def test_mask_mobile_shows_only_the_ends():
    assert mask_mobile("+966501234567") == "05•••••567"
