"""The passports rules as tables, at their edge days (no database)."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from civil_affairs.ages import GREGORIAN, HIJRI, anniversary
from passports.rules import Decision, absconding, add_months, authority, fines, iqama, travel_permit, visas
from passports.rules import passport as passport_rules

DAY = timedelta(days=1)
TODAY = date(2026, 6, 15)
FEES = {
    "passport_5y": Decimal("300"), "passport_10y": Decimal("600"),
    "exit_reentry_single": Decimal("200"), "exit_reentry_single_extra_month": Decimal("100"),
    "exit_reentry_multiple": Decimal("500"), "exit_reentry_multiple_extra_month": Decimal("200"),
    "final_exit": Decimal("0"), "iqama_year": Decimal("650"), "iqama_late_first": Decimal("500"),
    "iqama_late_repeat": Decimal("1000"),
}


# --- helpers -------------------------------------------------------------------------------


def test_add_months_clamps_to_the_month_end():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2026, 6, 15), -6) == date(2025, 12, 15)


def test_a_decision_sums_its_fee_lines():
    decision = Decision(reasons=(), fee_lines=(fines.FeeLine("a", 1, Decimal("200")), fines.FeeLine("b", 3, Decimal("300"))))
    assert decision.allowed and decision.fee == Decimal("500")
    assert not Decision(reasons=("x",)).allowed


# --- who may act for whom ------------------------------------------------------------------

ME, OTHER = "1000000001", "1000000002"


def holder(**facts):
    values = {"national_id": "1000000010", "birth_date": date(2016, 1, 1), "age_calendar": HIJRI,
              "father_national_id": None, "mother_national_id": None, "sponsor_national_id": None}
    values.update(facts)
    return authority.Holder(**values)


CITIZEN = authority.Actor(national_id=ME, citizen=True)
RESIDENT_ACTOR = authority.Actor(national_id="2000000001", citizen=False)


@pytest.mark.parametrize(
    ("actor", "facts", "expected"),
    [
        (CITIZEN, {"national_id": ME}, authority.SELF),
        (CITIZEN, {"father_national_id": ME}, authority.CHILD),
        (CITIZEN, {"mother_national_id": ME}, authority.CHILD),
        (CITIZEN, {"father_national_id": OTHER}, None),
        (CITIZEN, {"national_id": "2000000010", "sponsor_national_id": ME, "age_calendar": GREGORIAN}, authority.WORKER),
        (CITIZEN, {"national_id": "2000000010", "sponsor_national_id": OTHER}, None),
        (RESIDENT_ACTOR, {"national_id": "2000000010", "father_national_id": "2000000001", "age_calendar": GREGORIAN},
         authority.CHILD),
        # A resident acts for their family, not for a worker they sponsor.
        (RESIDENT_ACTOR, {"national_id": "2000000010", "sponsor_national_id": "2000000001"}, None),
        (authority.Actor(national_id="", citizen=True), {"national_id": ""}, None),
    ],
)
def test_relation_table(actor, facts, expected):
    assert authority.relation(actor, holder(**facts), today=TODAY) == expected


@pytest.mark.parametrize("calendar", [HIJRI, GREGORIAN])
def test_a_parent_acts_for_a_child_until_the_21st_birthday(calendar):
    child = holder(father_national_id=ME, birth_date=date(2005, 3, 10), age_calendar=calendar)
    turns_21 = anniversary(child.birth_date, years=21, calendar=calendar)
    assert authority.relation(CITIZEN, child, today=turns_21 - DAY) == authority.CHILD
    assert authority.relation(CITIZEN, child, today=turns_21) is None


# --- passports -----------------------------------------------------------------------------


def passport_holder(birth=date(1990, 1, 1), **facts):
    values = {"citizen": True, "living": True, "birth_date": birth, "age_calendar": HIJRI, "national_id_issued": True}
    values.update(facts)
    return passport_rules.PassportHolder(**values)


def decide_passport(*, holder_facts=None, relation=authority.SELF, current=None, fines_unpaid=False, years=10, today=TODAY):
    return passport_rules.decide(holder=holder_facts or passport_holder(), relation=relation, current_expiry=current,
                                 unpaid_fines=fines_unpaid, years=years, fees=FEES, today=today)


EXPIRY = date(2026, 12, 1)
OPENS = EXPIRY - timedelta(days=180)


@pytest.mark.parametrize(
    ("today", "reasons"),
    [
        (OPENS - DAY, (passport_rules.TOO_EARLY,)),  # the day before the window opens
        (OPENS, ()),  # its first day
        (EXPIRY, ()),  # the last day of validity
        (EXPIRY + DAY, ()),  # an expired passport is renewed
        (EXPIRY + timedelta(days=3650), ()),
    ],
)
def test_renewal_window(today, reasons):
    decision = decide_passport(current=EXPIRY, today=today)
    assert decision.reasons == reasons
    assert decision.allowed_from == (OPENS if reasons else None)
    assert decision.outcome["mode"] == passport_rules.RENEW


def test_first_issue_has_no_window():
    decision = decide_passport(current=None)
    assert decision.allowed and decision.outcome["mode"] == passport_rules.ISSUE
    assert decision.outcome["expires_on"] == date(2036, 6, 15)


@pytest.mark.parametrize(("years", "fee"), [(5, Decimal("300")), (10, Decimal("600"))])
def test_fee_of_each_validity(years, fee):
    decision = decide_passport(years=years)
    assert decision.fee == fee and decision.allowed
    assert [line.code for line in decision.fee_lines] == [passport_rules.FEE_CODES[years]]


def test_a_validity_other_than_5_or_10_is_refused():
    decision = decide_passport(years=7)
    assert decision.reasons == (passport_rules.BAD_VALIDITY,) and decision.fee == 0


def _born_years_before(today, years):
    return anniversary(today, years=-years, calendar=HIJRI)


@pytest.mark.parametrize(
    ("age_shift", "relation", "years", "id_card", "reasons"),
    [
        # Under 15: the family rules (the parent applies, no ID card of one's own).
        (14, authority.CHILD, 5, False, ()),
        (14, authority.SELF, 5, False, (passport_rules.GUARDIAN_MUST_APPLY,)),
        (14, authority.CHILD, 10, False, (passport_rules.TEN_YEARS_FROM_21,)),
        # From 15 the holder's own ID card is needed.
        (15, authority.CHILD, 5, False, (passport_rules.NEEDS_ID_CARD,)),
        (15, authority.CHILD, 5, True, ()),
        # 20: still the parent's application, 5 years only.
        (20, authority.CHILD, 5, True, ()),
        (20, authority.SELF, 5, True, (passport_rules.GUARDIAN_MUST_APPLY,)),
        (20, authority.CHILD, 10, True, (passport_rules.TEN_YEARS_FROM_21,)),
        # 21: one's own application, 10 years allowed.
        (21, authority.SELF, 10, True, ()),
        (21, authority.SELF, 5, True, ()),
    ],
)
def test_family_rules_by_age(age_shift, relation, years, id_card, reasons):
    birth = _born_years_before(TODAY, age_shift)
    decision = decide_passport(holder_facts=passport_holder(birth, national_id_issued=id_card), relation=relation,
                               years=years)
    assert decision.reasons == reasons


def test_the_15th_and_21st_birthdays_are_the_edges():
    birth = date(2005, 4, 20)
    fifteen = anniversary(birth, years=15, calendar=HIJRI)
    twenty_one = anniversary(birth, years=21, calendar=HIJRI)
    no_card = passport_holder(birth, national_id_issued=False)
    assert decide_passport(holder_facts=no_card, relation=authority.CHILD, years=5, today=fifteen - DAY).allowed
    assert decide_passport(holder_facts=no_card, relation=authority.CHILD, years=5, today=fifteen).reasons == (
        passport_rules.NEEDS_ID_CARD,)
    card = passport_holder(birth)
    assert decide_passport(holder_facts=card, years=10, today=twenty_one - DAY).reasons == (
        passport_rules.GUARDIAN_MUST_APPLY, passport_rules.TEN_YEARS_FROM_21)
    assert decide_passport(holder_facts=card, years=10, today=twenty_one).allowed


def test_every_passport_reason_is_listed():
    decision = decide_passport(
        holder_facts=passport_holder(_born_years_before(TODAY, 16), citizen=False, living=False, national_id_issued=False),
        relation=authority.WORKER, current=EXPIRY + timedelta(days=365), fines_unpaid=True, years=10,
    )
    assert decision.reasons == (passport_rules.NOT_CITIZEN, passport_rules.NOT_LIVING, passport_rules.GUARDIAN_MUST_APPLY,
                                passport_rules.TEN_YEARS_FROM_21, passport_rules.NEEDS_ID_CARD, passport_rules.TOO_EARLY,
                                passport_rules.UNPAID_FINES)
    assert decision.allowed_from is None  # waiting alone would not fix it


# --- iqamas --------------------------------------------------------------------------------


def iqama_holder(**facts):
    values = {"resident": True, "living": True, "birth_date": date(1990, 1, 1), "age_calendar": GREGORIAN,
              "fingerprint_on_file": True}
    values.update(facts)
    return iqama.IqamaHolder(**values)


def iqama_state(**facts):
    values = {"issued": True, "expiry": EXPIRY, "passport_valid_until": date(2030, 1, 1), "unpaid_fines": False,
              "reported_absent": False, "late_renewals": 0}
    values.update(facts)
    return iqama.IqamaState(**values)


def decide_iqama(*, holder_facts=None, relation=authority.WORKER, state=None, years=1, today=TODAY):
    return iqama.decide(holder=holder_facts or iqama_holder(), relation=relation, state=state or iqama_state(), years=years,
                        fees=FEES, today=today)


@pytest.mark.parametrize(
    ("today", "late", "fee"),
    [
        (EXPIRY - timedelta(days=180), False, Decimal("650")),  # the window's first day
        (EXPIRY, False, Decimal("650")),  # the last day of validity
        (EXPIRY + timedelta(days=3), False, Decimal("650")),  # the last day of grace
        (EXPIRY + timedelta(days=4), True, Decimal("1150")),  # the day after: the late fee
    ],
)
def test_iqama_grace_and_late_fee(today, late, fee):
    decision = decide_iqama(today=today)
    assert decision.allowed
    assert decision.outcome["late"] is late and decision.fee == fee
    assert decision.outcome["new_expiry"] == date(2027, 12, 1)  # counted from the old expiry


def test_iqama_renewal_window_opens_180_days_before_expiry():
    decision = decide_iqama(today=EXPIRY - timedelta(days=181))
    assert decision.reasons == (iqama.TOO_EARLY,) and decision.allowed_from == EXPIRY - timedelta(days=180)


@pytest.mark.parametrize(("late_before", "fee_code", "late_fee"), [
    (0, iqama.FEE_LATE_FIRST, Decimal("500")), (1, iqama.FEE_LATE_REPEAT, Decimal("1000")),
    (2, iqama.FEE_LATE_REPEAT, Decimal("1000")),
])
def test_late_fee_first_and_repeat(late_before, fee_code, late_fee):
    decision = decide_iqama(state=iqama_state(late_renewals=late_before), today=EXPIRY + timedelta(days=30))
    assert [line.code for line in decision.fee_lines] == [iqama.FEE_YEAR, fee_code]
    assert decision.fee == Decimal("650") + late_fee


@pytest.mark.parametrize(("years", "fee"), [(1, Decimal("650")), (2, Decimal("1300"))])
def test_iqama_fee_of_each_period(years, fee):
    assert decide_iqama(years=years).fee == fee


def test_a_very_late_renewal_must_reach_past_today():
    long_expired = iqama_state(expiry=TODAY - timedelta(days=500))
    assert decide_iqama(state=long_expired, years=1).reasons == (iqama.YEARS_TOO_FEW,)
    assert decide_iqama(state=long_expired, years=2).allowed


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"state": {"unpaid_fines": True}}, iqama.UNPAID_FINES),
        ({"state": {"reported_absent": True}}, iqama.REPORTED_ABSENT),
        ({"state": {"passport_valid_until": None}}, iqama.NO_VALID_PASSPORT),
        ({"state": {"passport_valid_until": TODAY - DAY}}, iqama.NO_VALID_PASSPORT),  # an expired passport
        ({"holder": {"fingerprint_on_file": False}}, iqama.NEEDS_FINGERPRINT),
        ({"holder": {"resident": False}}, iqama.NOT_RESIDENT),
        ({"holder": {"living": False}}, iqama.NOT_LIVING),
        ({"relation": authority.SELF}, iqama.SPONSOR_MUST_APPLY),
        ({"years": 3}, iqama.BAD_YEARS),
    ],
)
def test_iqama_refusals(change, reason):
    decision = decide_iqama(
        holder_facts=iqama_holder(**change.get("holder", {})), state=iqama_state(**change.get("state", {})),
        relation=change.get("relation", authority.WORKER), years=change.get("years", 1),
    )
    assert decision.reasons == (reason,)


def test_a_valid_passport_on_its_last_day_is_enough():
    assert decide_iqama(state=iqama_state(passport_valid_until=TODAY)).allowed


def test_fingerprint_is_needed_from_the_6th_birthday():
    birth = date(2020, 6, 15)
    sixth = anniversary(birth, years=6, calendar=GREGORIAN)
    child = iqama_holder(birth_date=birth, fingerprint_on_file=False)
    state = iqama_state(expiry=sixth + timedelta(days=30))
    assert decide_iqama(holder_facts=child, relation=authority.CHILD, state=state, today=sixth - DAY).allowed
    assert decide_iqama(holder_facts=child, relation=authority.CHILD, state=state, today=sixth).reasons == (
        iqama.NEEDS_FINGERPRINT,)


def test_first_issue_counts_from_today_without_late_fee():
    decision = decide_iqama(state=iqama_state(issued=False, expiry=None))
    assert decision.allowed and decision.outcome == {"mode": iqama.ISSUE, "years": 1, "new_expiry": date(2027, 6, 15),
                                                     "late": False}


@pytest.mark.parametrize(("expiry", "today", "valid"), [
    (TODAY, TODAY, True), (TODAY, TODAY + DAY, False), (None, TODAY, False), (TODAY + DAY, TODAY, True),
])
def test_iqama_validity_inquiry(expiry, today, valid):
    assert iqama.is_valid(expiry, today) is valid


# --- exit/re-entry and final exit visas ----------------------------------------------------


def traveller(**facts):
    values = {"resident": True, "living": True, "birth_date": date(1990, 1, 1), "age_calendar": GREGORIAN,
              "fingerprint_on_file": True, "iqama_expiry": date(2027, 6, 15), "passport_valid_until": date(2030, 1, 1),
              "reported_absent": False, "abroad": False, "unpaid_fines": False}
    values.update(facts)
    return visas.Traveller(**values)


def decide_visa(*, kind=visas.SINGLE, months=2, who=None, relation=authority.WORKER, open_visa=False, today=TODAY):
    return visas.exit_reentry_decide(traveller=who or traveller(), relation=relation, open_visa=open_visa, kind=kind,
                                     months=months, fees=FEES, today=today)


@pytest.mark.parametrize(
    ("kind", "months", "fee"),
    [
        (visas.SINGLE, 1, 200), (visas.SINGLE, 2, 200), (visas.SINGLE, 3, 300), (visas.SINGLE, 6, 600),
        (visas.SINGLE, 12, 1200),
        (visas.MULTIPLE, 1, 500), (visas.MULTIPLE, 3, 500), (visas.MULTIPLE, 4, 700), (visas.MULTIPLE, 6, 1100),
        (visas.MULTIPLE, 12, 2300),
    ],
)
def test_exit_reentry_fee_of_each_duration(kind, months, fee):
    decision = decide_visa(kind=kind, months=months)
    assert decision.allowed and decision.fee == Decimal(fee)
    assert decision.outcome["travel_by"] == TODAY + timedelta(days=90)


@pytest.mark.parametrize("months", [0, 13])
def test_exit_reentry_durations_outside_1_to_12_are_refused(months):
    assert decide_visa(months=months).reasons == (visas.BAD_DURATION,)


@pytest.mark.parametrize(
    ("iqama_expiry", "months", "reasons"),
    [
        (add_months(TODAY, 3), 3, ()),  # the iqama covers the duration to the day
        (add_months(TODAY, 3) - DAY, 3, (visas.IQAMA_DOES_NOT_COVER,)),
        (TODAY, 1, (visas.IQAMA_DOES_NOT_COVER,)),
        (TODAY - DAY, 1, (visas.IQAMA_EXPIRED,)),
    ],
)
def test_the_iqama_must_cover_the_visa(iqama_expiry, months, reasons):
    assert decide_visa(months=months, who=traveller(iqama_expiry=iqama_expiry)).reasons == reasons


@pytest.mark.parametrize(("valid_until", "reasons"), [
    (TODAY + timedelta(days=90), ()), (TODAY + timedelta(days=89), (visas.PASSPORT_VALIDITY_SHORT,)),
    (None, (visas.PASSPORT_VALIDITY_SHORT,)),
])
def test_the_passport_must_be_valid_90_days(valid_until, reasons):
    assert decide_visa(who=traveller(passport_valid_until=valid_until)).reasons == reasons


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"reported_absent": True}, visas.REPORTED_ABSENT),
        ({"abroad": True}, visas.ABROAD),
        ({"fingerprint_on_file": False}, visas.NEEDS_FINGERPRINT),
        ({"resident": False}, visas.NOT_RESIDENT),
    ],
)
def test_exit_reentry_refusals(change, reason):
    assert decide_visa(who=traveller(**change)).reasons == (reason,)


def test_an_open_visa_and_the_sponsor_rule():
    assert decide_visa(open_visa=True).reasons == (visas.VISA_OPEN,)
    assert decide_visa(relation=authority.SELF).reasons == (visas.SPONSOR_MUST_APPLY,)
    assert decide_visa(relation=authority.CHILD).allowed


def visa(**facts):
    values = {"kind": visas.SINGLE, "status": visas.ISSUED, "issued_on": TODAY, "travel_by": TODAY + timedelta(days=90),
              "months": 2, "return_by": None, "holder_abroad_on_it": False}
    values.update(facts)
    return visas.VisaFacts(**values)


ABROAD_UNTIL = date(2026, 7, 1)
ABROAD = visa(status=visas.USED, return_by=ABROAD_UNTIL, holder_abroad_on_it=True)


@pytest.mark.parametrize(
    ("facts", "today", "status", "is_open"),
    [
        ({}, TODAY, visas.ISSUED, True),
        ({}, TODAY + timedelta(days=90), visas.ISSUED, True),  # the last day to travel on it
        ({}, TODAY + timedelta(days=91), visas.EXPIRED, False),
        ({"status": visas.CANCELLED}, TODAY, visas.CANCELLED, False),
        ({"status": visas.USED, "return_by": ABROAD_UNTIL, "holder_abroad_on_it": True}, ABROAD_UNTIL, visas.USED, True),
        ({"status": visas.USED, "return_by": ABROAD_UNTIL, "holder_abroad_on_it": True}, ABROAD_UNTIL + DAY, visas.EXPIRED,
         False),
        ({"status": visas.USED, "return_by": ABROAD_UNTIL, "holder_abroad_on_it": False}, TODAY, visas.USED, False),
        ({"kind": visas.MULTIPLE, "status": visas.USED, "return_by": ABROAD_UNTIL}, TODAY, visas.USED, True),
        ({"kind": visas.MULTIPLE, "status": visas.USED, "return_by": ABROAD_UNTIL}, ABROAD_UNTIL + DAY, visas.EXPIRED,
         False),
        ({"kind": visas.FINAL_EXIT, "status": visas.ISSUED, "months": None}, TODAY, visas.ISSUED, True),
        ({"kind": visas.FINAL_EXIT, "status": visas.USED, "months": None}, TODAY, visas.USED, False),
    ],
)
def test_visa_status_over_time(facts, today, status, is_open):
    assert visas.effective_status(visa(**facts), today) == status
    assert visas.is_open(visa(**facts), today) is is_open


@pytest.mark.parametrize(
    ("today", "reasons"),
    [
        (ABROAD_UNTIL, ()),
        (ABROAD_UNTIL + timedelta(days=60), ()),  # the last day an expired visa can be extended
        (ABROAD_UNTIL + timedelta(days=61), (visas.EXTENSION_TOO_LATE,)),
    ],
)
def test_extension_within_60_days_of_expiry(today, reasons):
    decision = visas.extension_decide(visa=ABROAD, traveller=traveller(abroad=True), relation=authority.WORKER, months=3,
                                      fees=FEES, today=today)
    assert decision.reasons == reasons
    assert decision.outcome["return_by"] == date(2026, 10, 1)
    assert decision.fee == Decimal("300")


@pytest.mark.parametrize(
    ("travelled_on", "months", "extended", "extra", "expected"),
    [
        # Travel on 29 November, 3 months: back by 28 February; 2 more months: 29 April (5 from travel).
        (date(2026, 11, 29), 3, 0, 2, date(2027, 4, 29)),
        (date(2026, 11, 30), 3, 0, 2, date(2027, 4, 30)),
        (date(2026, 12, 31), 2, 0, 2, date(2027, 4, 30)),
        # 31 January 2028, 1 month: 29 February (leap year); one more: 31 March, never 29 March.
        (date(2028, 1, 31), 1, 0, 1, date(2028, 3, 31)),
        # A second extension counts every month already added.
        (date(2028, 1, 31), 1, 1, 1, date(2028, 4, 30)),
        (date(2027, 8, 31), 6, 0, 12, date(2029, 2, 28)),
    ],
)
def test_extension_counts_every_month_from_the_day_of_travel(travelled_on, months, extended, extra, expected):
    facts = visa(status=visas.USED, months=months, holder_abroad_on_it=True, travelled_on=travelled_on,
                 extended_months=extended, return_by=add_months(travelled_on, months + extended))
    decision = visas.extension_decide(visa=facts, traveller=traveller(iqama_expiry=date(2099, 1, 1), abroad=True),
                                      relation=authority.WORKER, months=extra, fees=FEES, today=travelled_on)
    assert decision.allowed and decision.outcome["return_by"] == expected


def test_two_extensions_of_a_month_equal_one_of_two():
    travelled_on = date(2026, 11, 29)
    base = visa(status=visas.USED, months=3, holder_abroad_on_it=True, travelled_on=travelled_on,
                return_by=date(2027, 2, 28))
    once = visas.extended_return_by(base, 2)
    first = visas.extended_return_by(base, 1)
    twice = visas.extended_return_by(replace(base, return_by=first, extended_months=1), 1)
    assert once == twice == date(2027, 4, 29)


def test_a_visa_with_no_recorded_travel_is_extended_from_its_return_date():
    facts = visa(status=visas.USED, months=3, holder_abroad_on_it=True, return_by=date(2027, 2, 28))
    assert visas.extended_return_by(facts, 2) == date(2027, 4, 28)
    assert visas.extended_return_by(visa(), 2) is None


def test_extension_fees_and_refusals():
    multiple = replace(ABROAD, kind=visas.MULTIPLE)
    assert visas.extension_decide(visa=multiple, traveller=traveller(), relation=authority.WORKER, months=2, fees=FEES,
                                  today=TODAY).fee == Decimal("400")
    at_home = visa(status=visas.USED, return_by=ABROAD_UNTIL, holder_abroad_on_it=False)
    assert visas.extension_decide(visa=at_home, traveller=traveller(), relation=authority.WORKER, months=1, fees=FEES,
                                  today=TODAY).reasons == (visas.NOT_ABROAD_ON_VISA,)
    assert visas.extension_decide(visa=visa(), traveller=traveller(), relation=authority.WORKER, months=1, fees=FEES,
                                  today=TODAY).reasons == (visas.NOT_ABROAD_ON_VISA,)
    short_iqama = traveller(iqama_expiry=date(2026, 8, 1))
    assert visas.extension_decide(visa=ABROAD, traveller=short_iqama, relation=authority.WORKER, months=2, fees=FEES,
                                  today=TODAY).reasons == (visas.IQAMA_DOES_NOT_COVER,)
    final = visa(kind=visas.FINAL_EXIT, status=visas.USED, months=None)
    assert visas.NOT_EXIT_REENTRY in visas.extension_decide(visa=final, traveller=traveller(), relation=authority.WORKER,
                                                            months=1, fees=FEES, today=TODAY).reasons
    late = ABROAD_UNTIL + timedelta(days=45)
    assert visas.extension_decide(visa=ABROAD, traveller=traveller(), relation=authority.WORKER, months=1, fees=FEES,
                                  today=late).reasons == (visas.EXTENSION_TOO_SHORT,)


@pytest.mark.parametrize(
    ("facts", "today", "reasons"),
    [
        ({}, TODAY, ()),
        ({}, TODAY + timedelta(days=90), ()),
        ({}, TODAY + timedelta(days=91), (visas.VISA_EXPIRED,)),
        ({"status": visas.USED, "return_by": ABROAD_UNTIL, "holder_abroad_on_it": True}, TODAY, (visas.VISA_USED,)),
        ({"status": visas.USED, "return_by": ABROAD_UNTIL}, TODAY, (visas.VISA_USED,)),
        ({"status": visas.CANCELLED}, TODAY, (visas.VISA_CANCELLED,)),
    ],
)
def test_cancellation_only_while_unused(facts, today, reasons):
    assert visas.cancellation_decide(visa=visa(**facts), relation=authority.WORKER, today=today).reasons == reasons


@pytest.mark.parametrize(
    ("change", "open_visa", "reasons"),
    [
        ({}, False, ()),
        ({"passport_valid_until": TODAY + timedelta(days=60)}, False, ()),
        ({"passport_valid_until": TODAY + timedelta(days=59)}, False, (visas.PASSPORT_VALIDITY_SHORT,)),
        ({"abroad": True}, False, (visas.ABROAD,)),
        ({"unpaid_fines": True}, False, (visas.UNPAID_FINES,)),
        ({"reported_absent": True}, False, (visas.REPORTED_ABSENT,)),
        ({}, True, (visas.VISA_OPEN,)),
    ],
)
def test_final_exit(change, open_visa, reasons):
    decision = visas.final_exit_decide(traveller=traveller(**change), relation=authority.WORKER, open_visa=open_visa,
                                       fees=FEES, today=TODAY)
    assert decision.reasons == reasons
    assert decision.fee == 0 and decision.outcome["travel_by"] == TODAY + timedelta(days=60)


# --- travel permits ------------------------------------------------------------------------


def child(birth=date(2012, 1, 1), **facts):
    values = {"citizen": True, "living": True, "birth_date": birth, "age_calendar": HIJRI,
              "passport_valid_until": date(2029, 1, 1), "has_active_permit": False}
    values.update(facts)
    return travel_permit.Child(**values)


def test_permit_edges_passport_and_21st_birthday():
    young = child()
    passport_end = young.passport_valid_until
    assert travel_permit.decide(child=young, relation=authority.CHILD, valid_until=passport_end, today=TODAY).allowed
    assert travel_permit.decide(child=young, relation=authority.CHILD, valid_until=passport_end + DAY,
                                today=TODAY).reasons == (travel_permit.BEYOND_PASSPORT,)
    assert travel_permit.decide(child=young, relation=authority.CHILD, valid_until=TODAY, today=TODAY).reasons == (
        travel_permit.UNTIL_NOT_AFTER_TODAY,)
    older = child(birth=date(2007, 1, 1), passport_valid_until=date(2031, 1, 1))
    limit = travel_permit.turns_21(older)
    assert travel_permit.decide(child=older, relation=authority.CHILD, valid_until=limit - DAY, today=TODAY).allowed
    assert travel_permit.decide(child=older, relation=authority.CHILD, valid_until=limit, today=TODAY).reasons == (
        travel_permit.BEYOND_21,)
    assert travel_permit.decide(child=older, relation=authority.CHILD, valid_until=limit + DAY, today=limit).reasons == (
        travel_permit.AGE_21_OR_OVER,)


@pytest.mark.parametrize(
    ("facts", "relation", "reason"),
    [
        ({"has_active_permit": True}, authority.CHILD, travel_permit.PERMIT_ACTIVE),
        ({"passport_valid_until": None}, authority.CHILD, travel_permit.NO_VALID_PASSPORT),
        ({"passport_valid_until": TODAY - DAY}, authority.CHILD, travel_permit.NO_VALID_PASSPORT),
        ({"citizen": False}, authority.CHILD, travel_permit.NOT_CITIZEN),
        ({}, authority.SELF, travel_permit.NOT_PARENT),
        ({}, authority.WORKER, travel_permit.NOT_PARENT),
    ],
)
def test_permit_refusals(facts, relation, reason):
    decision = travel_permit.decide(child=child(**facts), relation=relation, valid_until=TODAY + timedelta(days=30),
                                    today=TODAY)
    assert decision.reasons == (reason,)


def test_permit_cancellation():
    assert travel_permit.cancellation_decide(relation=authority.CHILD, active=True).allowed
    assert travel_permit.cancellation_decide(relation=authority.CHILD, active=False).reasons == (
        travel_permit.PERMIT_NOT_ACTIVE,)


# --- absence reports -----------------------------------------------------------------------


def worker(**facts):
    values = {"iqama_expiry": TODAY + timedelta(days=100), "already_reported": False, "final_exit_issued": False,
              "abroad_on_valid_visa": False}
    values.update(facts)
    return absconding.Worker(**values)


@pytest.mark.parametrize(
    ("facts", "relation", "reasons"),
    [
        ({}, authority.WORKER, ()),
        ({"iqama_expiry": TODAY}, authority.WORKER, ()),
        ({"iqama_expiry": TODAY - DAY}, authority.WORKER, (absconding.IQAMA_EXPIRED,)),
        ({"already_reported": True}, authority.WORKER, (absconding.ALREADY_REPORTED,)),
        ({"final_exit_issued": True}, authority.WORKER, (absconding.FINAL_EXIT_ISSUED,)),
        ({"abroad_on_valid_visa": True}, authority.WORKER, (absconding.ABROAD_ON_VISA,)),
        ({}, authority.CHILD, (absconding.NOT_SPONSOR,)),
    ],
)
def test_absconding_report(facts, relation, reasons):
    decision = absconding.decide(worker=worker(**facts), relation=relation, today=TODAY)
    assert decision.reasons == reasons
    assert decision.outcome["cancellable_until"] == TODAY + timedelta(days=15)


@pytest.mark.parametrize(
    ("status", "today", "reasons"),
    [
        (absconding.ACTIVE, TODAY + timedelta(days=15), ()),  # the last day it can be cancelled
        (absconding.ACTIVE, TODAY + timedelta(days=16), (absconding.CANCEL_WINDOW_CLOSED,)),
        (absconding.CANCELLED, TODAY, (absconding.REPORT_NOT_ACTIVE,)),
    ],
)
def test_absconding_cancellation_window(status, today, reasons):
    assert absconding.cancellation_decide(status=status, reported_on=TODAY, today=today).reasons == reasons


def test_an_active_report_blocks_the_workers_services():
    assert absconding.blocks(absconding.ACTIVE) and not absconding.blocks(absconding.CANCELLED)


# --- fines ---------------------------------------------------------------------------------


def test_a_fine_is_paid_once_for_its_own_amount():
    decision = fines.decide(relation=authority.WORKER, paid=False, amount=Decimal("300"))
    assert decision.allowed and decision.fee == Decimal("300")
    assert fines.decide(relation=authority.WORKER, paid=True, amount=Decimal("300")).reasons == (fines.FINE_PAID,)
    assert fines.decide(relation=None, paid=False, amount=Decimal("300")).reasons == (fines.NOT_ACTING,)
