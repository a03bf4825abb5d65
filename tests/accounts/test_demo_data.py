from datetime import date, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from accounts.management.commands.load_demo_data import DEMO_ACCOUNTS, DEMO_PASSWORD
from accounts.models import AccountState, AccountStateChange, User
from accounts.services import registration_check
from civil_affairs import ages
from civil_affairs.demo import NEWCOMER, demo_people, demo_people_by_key
from civil_affairs.identity import validate_id_number
from civil_affairs.models import Person
from civil_affairs.registry_import import registry_check, registry_csv
from civil_affairs.selectors import person_age

DOC = Path(settings.BASE_DIR) / "docs" / "demo-data.md"
# Ordinary days, both sides of 29 February, and days round the ends of Hijri months
# (1 Ramadan 1447 AH is 2026-02-18; 30 Rajab 1447 AH is 2026-01-19, a day no 18th Hijri birthday falls on).
DAYS = [
    date(2026, 1, 18), date(2026, 1, 19), date(2026, 1, 20), date(2026, 2, 17), date(2026, 2, 18),
    date(2027, 2, 28), date(2027, 3, 1), date(2028, 2, 28), date(2028, 2, 29), date(2028, 3, 1),
    date(2026, 12, 31), date(2027, 1, 1),
]


@pytest.fixture
def loaded(db):
    call_command("load_demo_data", stdout=StringIO())


def demo_person(key, today):
    return Person.objects.get(national_id=demo_people_by_key(today=today)[key].national_id)


def unsaved(demo):
    return Person(national_id=demo.national_id, birth_date=demo.birth_date)


# --- the list itself (no database) -------------------------------------------------------


@pytest.mark.parametrize("day", DAYS)
def test_the_edge_ages_hold_whatever_the_day(day):
    people = demo_people_by_key(today=day)
    tomorrow = day + timedelta(days=1)
    hijri = settings.AGE_CALENDAR_CITIZEN

    turned = people["turned_18_today"].birth_date
    assert ages.age_in_years(turned, day, calendar=hijri) == 18
    assert ages.age_in_years(turned, day - timedelta(days=2), calendar=hijri) == 17
    turns = people["turns_18_tomorrow"].birth_date
    assert ages.age_in_years(turns, day, calendar=hijri) == 17
    assert ages.anniversary(turns, years=18, calendar=hijri) <= tomorrow + timedelta(days=1)
    assert ages.age_in_years(people["aged_17"].birth_date, day, calendar=hijri) == 17

    today_child = people["ghamdi_daughter_14y10m_today"].birth_date
    assert ages.has_reached(today_child, day, years=14, months=10, calendar=hijri)
    tomorrow_child = people["harbi_son_14y10m_tomorrow"].birth_date
    assert not ages.has_reached(tomorrow_child, day, years=14, months=10, calendar=hijri)
    assert ages.anniversary(tomorrow_child, years=14, months=10, calendar=hijri) <= tomorrow + timedelta(days=1)
    month_past = people["qurashi_son_14y11m"].birth_date
    assert ages.has_reached(month_past, day, years=14, months=11, calendar=hijri)

    gregorian = settings.AGE_CALENDAR_RESIDENT
    assert ages.anniversary(people["mostafa_son_14y10m_tomorrow"].birth_date, years=14, months=10, calendar=gregorian) > day
    assert ages.has_reached(people["menon_daughter_14y10m_today"].birth_date, day, years=14, months=10, calendar=gregorian)

    assert people["iqama_expired"].iqama_expiry == day - timedelta(days=1)
    assert people["iqama_expires_today"].iqama_expiry == day


def test_on_a_usual_day_the_edges_fall_exactly_today_and_tomorrow():
    day = date(2026, 3, 10)
    people = demo_people_by_key(today=day)
    hijri = settings.AGE_CALENDAR_CITIZEN
    assert ages.anniversary(people["turned_18_today"].birth_date, years=18, calendar=hijri) == day
    assert ages.anniversary(people["turns_18_tomorrow"].birth_date, years=18, calendar=hijri) == day + timedelta(days=1)
    assert ages.anniversary(people["ghamdi_daughter_14y10m_today"].birth_date, years=14, months=10, calendar=hijri) == day
    assert ages.anniversary(
        people["harbi_son_14y10m_tomorrow"].birth_date, years=14, months=10, calendar=hijri
    ) == day + timedelta(days=1)


@pytest.mark.parametrize("day", DAYS)
def test_the_demo_people_pass_the_registry_checks(day):
    people = demo_people(today=day)
    ids = [person.national_id for person in people]
    assert len(ids) == len(set(ids))
    assert len({person.key for person in people}) == len(people)
    for person in people:
        validate_id_number(person.national_id)
    _records, errors = registry_check(registry_csv(p.record() for p in people), today=day, registry={})
    assert errors == []


def test_the_ids_do_not_depend_on_the_day():
    first = [p.national_id for p in demo_people(today=date(2026, 1, 1))]
    assert first == [p.national_id for p in demo_people(today=date(2031, 7, 15))]


def test_the_demo_accounts_hold_people_of_their_own_who_are_not_newcomers():
    people = demo_people_by_key(today=date(2026, 3, 10))
    keys = [spec.person_key for spec in DEMO_ACCOUNTS if spec.person_key]
    assert len(keys) == len(set(keys))
    assert all(people[key].group != NEWCOMER for key in keys)


def test_the_documentation_lists_every_demo_person_and_login():
    text = DOC.read_text(encoding="utf-8")
    for person in demo_people(today=date(2026, 3, 10)):
        assert person.national_id in text, person.key
    for spec in DEMO_ACCOUNTS:
        assert spec.username in text


# --- the command --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_runs_twice_without_duplicating_anything():
    call_command("load_demo_data", stdout=StringIO())
    counts = (Person.objects.count(), User.objects.count(), AccountStateChange.objects.count())

    out = StringIO()
    call_command("load_demo_data", stdout=out)

    assert (Person.objects.count(), User.objects.count(), AccountStateChange.objects.count()) == counts
    assert "created 0, updated 0" in out.getvalue()


def test_every_account_state_has_a_demo_login(loaded):
    states = set(User.objects.filter(username__in=[s.username for s in DEMO_ACCOUNTS]).values_list("state", flat=True))
    # A closed account has no sign-in left to show (accounts.closure): every other state has one.
    assert states == set(AccountState.values) - {AccountState.CLOSED}
    for spec in DEMO_ACCOUNTS:
        user = User.objects.get(username=spec.username)
        assert user.state == spec.state
        assert user.check_password(DEMO_PASSWORD)
        assert user.mobile == spec.mobile


def test_the_history_of_each_account_is_recorded(loaded):
    suspended = User.objects.get(username="DemoSuspended1")
    moves = list(suspended.state_changes.order_by("id").values_list("from_state", "to_state"))
    assert moves == [
        ("", AccountState.PENDING_PHONE),
        (AccountState.PENDING_PHONE, AccountState.REGISTERED),
        (AccountState.REGISTERED, AccountState.ACTIVE),
        (AccountState.ACTIVE, AccountState.SUSPENDED),
    ]
    assert suspended.state_changes.filter(to_state=AccountState.SUSPENDED).get().actor.username == "StaffAdmin1"
    assert not suspended.is_active
    pending = User.objects.get(username="DemoPending1")
    assert list(pending.state_changes.values_list("from_state", "to_state")) == [("", AccountState.PENDING_PHONE)]


def test_the_staff_account_is_an_active_superuser(loaded):
    staff = User.objects.get(username="StaffAdmin1")
    assert staff.is_staff and staff.is_superuser and staff.is_active
    assert staff.state == AccountState.ACTIVE
    assert staff.mobile


def test_the_demo_parent_is_active_and_has_children(loaded, today):
    parent = User.objects.get(username="DemoParent1")
    assert parent.state == AccountState.ACTIVE
    assert parent.person == demo_person("harbi_father", today)
    assert parent.person.children_as_father.count() == 3


def test_turned_18_today_is_18_and_turns_18_tomorrow_is_not(loaded, today):
    assert person_age(demo_person("turned_18_today", today), today=today) == 18
    assert person_age(demo_person("turns_18_tomorrow", today), today=today) == 17
    assert person_age(demo_person("aged_17", today), today=today) == 17
    assert person_age(demo_person("turns_18_tomorrow", today), today=today + timedelta(days=2)) == 18


def test_the_newcomers_may_register(loaded, today):
    newcomers = [person for person in demo_people(today=today) if person.group == NEWCOMER]
    assert sum(1 for p in newcomers if p.national_id.startswith("1") and p.key != "turned_18_today") >= 3
    assert sum(1 for p in newcomers if p.national_id.startswith("2") and p.key != "iqama_expires_today") >= 2
    for person in newcomers:
        decision = registration_check(national_id=person.national_id, today=today)
        assert decision.allowed, (person.key, decision.code)


@pytest.mark.parametrize(
    ("key", "code"),
    [
        ("iqama_expired", "iqama_expired"),
        ("aged_17", "under_18"),
        ("turns_18_tomorrow", "under_18"),
        ("no_id_card", "no_national_id_card"),
        ("deceased", "not_living"),
        ("id_cancelled", "id_cancelled"),
        ("account_active", "already_registered"),
        ("harbi_father", "already_registered"),
    ],
)
def test_the_refused_people_are_refused_for_their_reason(loaded, today, key, code):
    person = demo_people_by_key(today=today)[key]
    decision = registration_check(national_id=person.national_id, today=today)
    assert not decision.allowed
    assert decision.code == code


def test_a_demo_person_whose_account_was_taken_is_left_alone(db, person_factory, today):
    # Someone registered the active demo person's ID with the demo mobile before the command ran.
    call_command("load_demo_data", stdout=StringIO())
    User.objects.filter(username="DemoActive1").update(username="SomeoneElse1")

    out = StringIO()
    call_command("load_demo_data", stdout=out)

    assert "DemoActive1: skipped" in out.getvalue()
    assert not User.objects.filter(username="DemoActive1").exists()
    assert User.objects.get(username="SomeoneElse1").person == demo_person("account_active", today)


def test_the_pending_demo_login_holds_nothing_and_is_sent_to_its_code(loaded, client, today):
    from django.urls import reverse

    pending = User.objects.get(username="DemoPending1")
    assert pending.person is None and pending.pending_person is not None
    # Its ID's owner may still register: an unconfirmed registration holds nothing (QUALITY 26).
    assert registration_check(national_id=pending.pending_person.national_id, today=today).allowed
    response = client.post(reverse("accounts:login"), {"identifier": "DemoPending1", "password": DEMO_PASSWORD})
    assert response.status_code == 302 and response.url == reverse("accounts:register-confirm")
