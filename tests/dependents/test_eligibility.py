"""The add-dependent rule as a table, at its edge days, in both calendars (no database)."""

from datetime import date, timedelta

import pytest

from civil_affairs.ages import GREGORIAN, HIJRI, anniversary
from dependents import eligibility as e

FATHER_ID, MOTHER_ID, UNCLE_ID = "1000000001", "1000000002", "1000000003"
DAY = timedelta(days=1)

# Ordinary birthdays, a 29 February, and the 30th of a Hijri month (1430-02-30).
BIRTHS = [date(2010, 3, 15), date(2008, 2, 29), date(2009, 2, 25)]
CALENDARS = [HIJRI, GREGORIAN]


def candidate(*, sex=e.MALE, birth=BIRTHS[0], calendar=HIJRI, **facts):
    values = {
        "national_id": "1000000010" if calendar == HIJRI else "2000000010",
        "sex": sex,
        "birth_date": birth,
        "age_calendar": calendar,
        "living": True,
        "national_id_issued": False,
        "has_account": False,
        "father_national_id": FATHER_ID,
        "mother_national_id": MOTHER_ID,
    }
    values.update(facts)
    return e.Candidate(**values)


def decide(person, *, today, guardian=FATHER_ID, already_added=False, open_request=False):
    return e.decide(
        candidate=person, guardian_national_id=guardian, already_added=already_added, open_request=open_request,
        today=today,
    )


def min_age(birth, calendar):
    return anniversary(birth, years=14, months=10, calendar=calendar)


def eighteen(birth, calendar):
    return anniversary(birth, years=18, calendar=calendar)


# (sex, which day, reasons): each day computed from the birth date in the candidate's calendar.
AGE_TABLE = [
    (e.MALE, lambda b, c: min_age(b, c) - DAY, (e.TOO_YOUNG,)),
    (e.MALE, lambda b, c: min_age(b, c), ()),
    (e.FEMALE, lambda b, c: min_age(b, c) - DAY, (e.TOO_YOUNG,)),
    (e.FEMALE, lambda b, c: min_age(b, c), ()),
    (e.MALE, lambda b, c: eighteen(b, c) - DAY, ()),
    (e.MALE, lambda b, c: eighteen(b, c), (e.MALE_18_OR_OVER,)),
    (e.MALE, lambda b, c: anniversary(b, years=25, calendar=c), (e.MALE_18_OR_OVER,)),
    (e.FEMALE, lambda b, c: eighteen(b, c) - DAY, ()),
    (e.FEMALE, lambda b, c: eighteen(b, c), ()),
    (e.FEMALE, lambda b, c: anniversary(b, years=30, calendar=c), ()),
    (e.MALE, lambda b, c: b, (e.TOO_YOUNG,)),
]
AGE_IDS = [
    "male-14y10m-minus-1-day",
    "male-on-14y10m",
    "female-14y10m-minus-1-day",
    "female-on-14y10m",
    "male-18-minus-1-day",
    "male-on-18th-birthday",
    "male-25",
    "female-18-minus-1-day",
    "female-on-18th-birthday",
    "female-30",
    "male-newborn",
]


@pytest.mark.parametrize("calendar", CALENDARS)
@pytest.mark.parametrize("birth", BIRTHS, ids=str)
@pytest.mark.parametrize(("sex", "day", "reasons"), AGE_TABLE, ids=AGE_IDS)
def test_age_edges(calendar, birth, sex, day, reasons):
    today = day(birth, calendar)
    decision = decide(candidate(sex=sex, birth=birth, calendar=calendar), today=today)
    assert decision.reasons == reasons
    assert decision.allowed is (reasons == ())
    assert decision.relation == e.FATHER
    if reasons == (e.TOO_YOUNG,):
        assert decision.eligible_from == min_age(birth, calendar)
        assert decide(candidate(sex=sex, birth=birth, calendar=calendar), today=decision.eligible_from).allowed
    else:
        assert decision.eligible_from is None
    assert decision.eligible_until == (eighteen(birth, calendar) if sex == e.MALE else None)


def test_the_calendar_is_the_candidates():
    """On the Hijri edge day a Hijri-counted child is in; a Gregorian-counted one, born the same day, is not yet."""
    birth = BIRTHS[0]
    hijri_day = min_age(birth, HIJRI)
    assert hijri_day < min_age(birth, GREGORIAN)
    assert decide(candidate(birth=birth, calendar=HIJRI), today=hijri_day).allowed
    assert decide(candidate(birth=birth, calendar=GREGORIAN), today=hijri_day).reasons == (e.TOO_YOUNG,)
    # And the other way round at 18: a Hijri-counted son reaches it first.
    hijri_18 = eighteen(birth, HIJRI)
    assert decide(candidate(birth=birth, calendar=HIJRI), today=hijri_18).reasons == (e.MALE_18_OR_OVER,)
    assert decide(candidate(birth=birth, calendar=GREGORIAN), today=hijri_18).allowed


ALLOWED_DAY = anniversary(BIRTHS[0], years=16, calendar=HIJRI)


@pytest.mark.parametrize(
    ("guardian", "facts", "already_added", "reasons", "relation"),
    [
        (FATHER_ID, {}, False, (), e.FATHER),
        (MOTHER_ID, {}, False, (), e.MOTHER),
        (UNCLE_ID, {}, False, (e.NOT_PARENT,), None),
        ("", {"father_national_id": None, "mother_national_id": None}, False, (e.NOT_PARENT,), None),
        (MOTHER_ID, {"mother_national_id": None}, False, (e.NOT_PARENT,), None),
        (FATHER_ID, {"national_id_issued": True}, False, (e.HOLDS_NATIONAL_ID,), e.FATHER),
        (FATHER_ID, {}, True, (e.ALREADY_ADDED,), e.FATHER),
        (FATHER_ID, {"has_account": True}, False, (e.HAS_ACCOUNT,), e.FATHER),
        (MOTHER_ID, {"living": False}, False, (e.NOT_LIVING,), e.MOTHER),
    ],
    ids=["father", "mother", "uncle", "no-parents-recorded", "mother-not-recorded", "holds-national-id",
         "added-before", "has-account", "deceased"],
)
def test_relation_documents_account_and_life(guardian, facts, already_added, reasons, relation):
    decision = decide(candidate(**facts), today=ALLOWED_DAY, guardian=guardian, already_added=already_added)
    assert decision.reasons == reasons
    assert decision.allowed is (reasons == ())
    assert decision.relation == relation
    assert decision.eligible_from is None


def test_every_reason_is_reported_at_once():
    person = candidate(living=False, national_id_issued=True, has_account=True)
    decision = decide(
        person, today=eighteen(BIRTHS[0], HIJRI), guardian=UNCLE_ID, already_added=True, open_request=True
    )
    assert decision.reasons == (
        e.NOT_PARENT, e.NOT_LIVING, e.MALE_18_OR_OVER, e.HOLDS_NATIONAL_ID, e.HAS_ACCOUNT, e.ALREADY_ADDED,
        e.PENDING_REQUEST,
    )
    assert not decision.allowed


@pytest.mark.parametrize("guardian", [FATHER_ID, MOTHER_ID], ids=["father", "mother"])
@pytest.mark.parametrize(
    ("open_request", "reasons"),
    [(False, ()), (True, (e.PENDING_REQUEST,))],
    ids=["no-open-request", "one-open-request"],
)
def test_one_open_request_per_child(guardian, open_request, reasons):
    """An open request for the child, whoever filed it, stands in the way of either parent's;
    once it is closed (open_request False again) the same parent, or the other, may file."""
    decision = decide(candidate(), today=ALLOWED_DAY, guardian=guardian, open_request=open_request)
    assert decision.reasons == reasons
    assert decision.allowed is (reasons == ())
    assert decision.eligible_from is None


@pytest.mark.parametrize("calendar", CALENDARS)
def test_an_open_request_at_the_age_edges(calendar):
    """The open request is reported alongside the age, and hides the 'eligible from' date:
    turning 14 years and 10 months does not close the other request."""
    birth = BIRTHS[0]
    on_the_day = decide(candidate(birth=birth, calendar=calendar), today=min_age(birth, calendar), open_request=True)
    assert on_the_day.reasons == (e.PENDING_REQUEST,)
    day_before = decide(
        candidate(birth=birth, calendar=calendar), today=min_age(birth, calendar) - DAY, open_request=True
    )
    assert day_before.reasons == (e.TOO_YOUNG, e.PENDING_REQUEST) and day_before.eligible_from is None
    last_day = decide(candidate(birth=birth, calendar=calendar), today=eighteen(birth, calendar) - DAY, open_request=True)
    assert last_day.reasons == (e.PENDING_REQUEST,) and last_day.eligible_until == eighteen(birth, calendar)


def test_too_young_with_another_reason_gives_no_date():
    """Time fixes the age, not the other reason: no 'eligible from' date that would mislead."""
    person = candidate(national_id_issued=True)
    decision = decide(person, today=min_age(BIRTHS[0], HIJRI) - DAY)
    assert decision.reasons == (e.TOO_YOUNG, e.HOLDS_NATIONAL_ID)
    assert decision.eligible_from is None
    decision = decide(candidate(), today=min_age(BIRTHS[0], HIJRI) - DAY, guardian=UNCLE_ID)
    assert decision.reasons == (e.NOT_PARENT, e.TOO_YOUNG) and decision.eligible_from is None


def test_the_decision_is_frozen():
    decision = decide(candidate(), today=ALLOWED_DAY)
    with pytest.raises(AttributeError):
        decision.allowed = False  # type: ignore[misc]
