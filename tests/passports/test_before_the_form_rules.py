"""Issue 11's pure pieces: what refuses a service whatever the answers, the office of a passport
collected from an office, a date typed in either calendar, the safe way back after a detour."""

from datetime import date

import pytest

from passports import dates, returns
from passports.reasons import PAY_FINES, RENEW_IQAMA, RENEW_PASSPORT, ways_forward
from passports.rules import Decision, passport_delivery, standing_refusal

# --- standing_refusal ----------------------------------------------------------------------------


def test_no_answer_no_refusal():
    assert standing_refusal([]).allowed


def test_only_the_reasons_every_answer_meets_stand():
    one_year = Decision(reasons=("unpaid_fines", "years_too_few"))
    two_years = Decision(reasons=("unpaid_fines",))
    assert standing_refusal([one_year, two_years]).reasons == ("unpaid_fines",)


def test_a_reason_one_answer_escapes_does_not_stand():
    assert standing_refusal([Decision(reasons=("ten_years_from_21",)), Decision(reasons=())]).allowed


def test_the_order_is_the_rules():
    first = Decision(reasons=("a", "b", "c"))
    assert standing_refusal([first, Decision(reasons=("c", "a"))]).reasons == ("a", "c")


def test_waiting_gives_the_earliest_day_an_answer_is_allowed():
    five = Decision(reasons=("too_early",), allowed_from=date(2027, 3, 1))
    ten = Decision(reasons=("ten_years_from_21", "too_early"))
    standing = standing_refusal([five, ten])
    assert standing.reasons == ("too_early",)
    assert standing.allowed_from == date(2027, 3, 1)


def test_no_day_when_more_than_time_stands_in_the_way():
    standing = standing_refusal([Decision(reasons=("too_early", "unpaid_fines")),
                                 Decision(reasons=("too_early", "unpaid_fines"))])
    assert standing.allowed_from is None


# --- the office of a passport collected from an office -------------------------------------------


@pytest.mark.parametrize(("delivery", "office", "problem"), [
    ("collection", "", passport_delivery.OFFICE_REQUIRED),
    ("collection", "   ", passport_delivery.OFFICE_REQUIRED),
    ("collection", "riyadh", None),
    ("post", "", None),
    ("post", "riyadh", None),
])
def test_an_office_is_required_exactly_when_collection_is_chosen(delivery, office, problem):
    assert passport_delivery.office_problem(delivery, office) == problem
    assert passport_delivery.office_required(delivery) == (delivery == "collection")


def test_the_post_keeps_no_office():
    assert passport_delivery.office_kept("post", "riyadh") == ""
    assert passport_delivery.office_kept("collection", "riyadh") == "riyadh"


def test_the_rule_names_the_models_choices():
    from passports.models import Passport

    assert passport_delivery.COLLECTION == Passport.Delivery.COLLECTION
    assert passport_delivery.POST == Passport.Delivery.POST


# --- a date in either calendar ---------------------------------------------------------------------


@pytest.mark.parametrize(("text", "day", "calendar"), [
    ("2026-11-30", date(2026, 11, 30), "gregorian"),
    ("2028-02-29", date(2028, 2, 29), "gregorian"),
    ("2026/12/31", date(2026, 12, 31), "gregorian"),
    ("1447-05-20", date(2025, 11, 11), "hijri"),
    ("1447-5-20", date(2025, 11, 11), "hijri"),
    ("١٤٤٧-٠٥-٢٠", date(2025, 11, 11), "hijri"),
    ("1343-01-01", date(1924, 8, 1), "hijri"),
    (" 1500-12-29 ", None, "hijri"),
])
def test_the_year_tells_the_calendar(text, day, calendar):
    found, used = dates.parse_either(text)
    assert used == calendar
    if day is not None:
        assert found == day


def test_a_hijri_date_and_its_gregorian_day_are_one():
    from civil_affairs import ages

    day, _ = dates.parse_either("1448-09-01")  # the first of Ramadan 1448
    assert (ages.to_hijri(day).year, ages.to_hijri(day).month, ages.to_hijri(day).day) == (1448, 9, 1)


@pytest.mark.parametrize(("text", "code"), [
    ("", dates.INVALID),
    ("yesterday", dates.INVALID),
    ("2027-02-29", dates.INVALID),
    ("2026-13-01", dates.INVALID),
    ("1447-13-01", dates.INVALID),
    ("1447-02-30", dates.INVALID),  # Safar 1447 has 29 days
    ("30-11-2026", dates.INVALID),
    ("1342-12-29", dates.HIJRI_OUT_OF_RANGE),
    ("1501-01-01", dates.HIJRI_OUT_OF_RANGE),
    ("1599-01-01", dates.HIJRI_OUT_OF_RANGE),
])
def test_a_date_not_understood_is_said_so(text, code):
    with pytest.raises(dates.DateNotUnderstood) as caught:
        dates.parse_either(text)
    assert caught.value.code == code


# --- the safe way back -------------------------------------------------------------------------------


@pytest.mark.urls("tests.passports.urls")
@pytest.mark.parametrize(("value", "kept"), [
    ("/services/passports/people/2000000001/iqama/", True),
    ("/services/passports/", True),
    ("/", True),
    (None, False),
    ("", False),
    ("//evil.example/", False),
    ("https://evil.example/services/passports/", False),
    ("/\\evil.example", False),
    ("javascript:alert(1)", False),
    ("services/passports/", False),
    ("/no-such-page/", False),
])
def test_only_the_portals_own_paths_are_a_way_back(value, kept):
    found = returns.safe_return_path(value, host="testserver", secure=False)
    assert found == (value if kept else None)


def test_the_way_back_is_kept_per_bill_and_taken_once():
    session = {}
    returns.remember(session, bill_number="111", path="/a/")
    returns.remember(session, bill_number="222", path="/b/")
    assert returns.take(session, bill_number="111") == "/a/"
    assert returns.take(session, bill_number="111") is None
    assert returns.take(session, bill_number="222") == "/b/"


# --- ways forward ---------------------------------------------------------------------------------------


def test_ways_forward_follow_the_reasons():
    decision = Decision(reasons=("iqama_does_not_cover", "unpaid_fines", "iqama_expired"))
    assert ways_forward(decision, citizen=False) == [RENEW_IQAMA, PAY_FINES]
    assert ways_forward(Decision(reasons=("no_valid_passport",)), citizen=True) == [RENEW_PASSPORT]
    # A resident's passport is their country's: no renewal here.
    assert ways_forward(Decision(reasons=("no_valid_passport",)), citizen=False) == []
    assert ways_forward(Decision(reasons=("too_early",)), citizen=True) == []


@pytest.mark.parametrize(("sex", "label"), [("M", "Your son"), ("F", "Your daughter"), ("", "Your son or daughter")])
def test_a_child_is_named_a_son_or_a_daughter_where_the_registry_says_which(sex, label):
    from django.utils import translation

    from passports.rules import authority
    from passports.templatetags.passports_extras import relation_label

    with translation.override("en"):
        assert relation_label(authority.CHILD, sex) == label
        assert relation_label(authority.WORKER, sex) == "Worker you sponsor"
