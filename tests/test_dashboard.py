"""The signed-in home page: the citizen's dashboard (absher/dashboard.py, templates/dashboard/).

The selectors are tested without HTTP; the page through the test client in both languages, with its
SQL queries counted for a family of one and of ten. Birth dates come from the run's `today`
(civil_affairs.demo: years_ago, and the exact anniversaries for the edges), never from the real date.
"""

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, translation
from django.utils.html import escape

from absher import dashboard
from accounts.models import AccountState
from accounts.rules import ADULT_AGE
from civil_affairs import ages, demo
from civil_affairs.templatetags.calendars import dual_date, hijri_date
from dependents import eligibility
from passports.rules import iqama as iqama_rules
from passports.rules import passport as passport_rules

pytestmark = pytest.mark.django_db

#: QUALITY.md, "Speed": SQL queries per page at most 8, the same with 1 or 1,000 rows behind it.
MAX_QUERIES = 8


# --- the family ------------------------------------------------------------------------------


@pytest.fixture
def staff(user_factory):
    return user_factory(state=AccountState.ACTIVE, is_staff=True, is_superuser=True, mobile="+966500009998")


@pytest.fixture
def citizen(person_factory, user_factory, today):
    person = person_factory(sex="M", birth_date=demo.years_ago(today, 45, days=30), name_en="Saad Harbi",
                            name_ar="سعد الحربي")
    return user_factory(state=AccountState.ACTIVE, person=person, username="SaadHarbi01", mobile="+966500000201")


def child_of(person_factory, parent, *, birth_date, sex="M", prefix="1", **fields):
    values = {"sex": sex, "birth_date": birth_date, "father": parent, "national_id_issued": False,
              "name_en": "Child Harbi", "name_ar": "طفل الحربي"}
    if prefix == "2":
        values.update(nationality="EG", iqama_expiry=fields.pop("iqama_expiry", None))
    values.update(fields)
    return person_factory(prefix=prefix, **values)


def worker_of(person_factory, sponsor, staff, today, *, iqama_days=300, name_en="Maria Cruz"):
    from passports import services

    worker = person_factory(prefix="2", sex="F", birth_date=demo.years_ago(today, 32, days=10), nationality="PH",
                            iqama_expiry=today + timedelta(days=iqama_days), name_en=name_en, name_ar="ماريا كروز")
    services.sponsorship_start(sponsor=sponsor, worker=worker, occupation_ar="عاملة منزلية", occupation_en="Housemaid",
                               started_on=today - timedelta(days=400), actor=staff)
    services.iqama_record_register(holder=worker, sponsor=sponsor, occupation_ar="عاملة منزلية",
                                   occupation_en="Housemaid", issued_on=today - timedelta(days=400), actor=staff)
    return worker


def passport_of(person, staff, *, expires_on, country="SA"):
    from passports import services

    return services.passport_record(holder=person, number=services.new_passport_number(), country=country,
                                    issued_on=expires_on - timedelta(days=5 * 365), expires_on=expires_on,
                                    actor=staff, validity_years=5)


def request_waiting_for(user, staff):
    from civil_affairs import services
    from civil_affairs.models import RequestType

    request = services.request_submit(applicant=user, request_type=RequestType.objects.get(code="general_inquiry"),
                                      data={}, description="A question", submission_key=uuid.uuid4())
    services.request_take(request=request, actor=staff)
    return services.request_ask_citizen(request=request, actor=staff, body="Send the family record")


def board_for(user, today, language="en"):
    with translation.override(language):
        return dashboard.dashboard_for(user, today=today, language=language)


def page_of(client, user, language="en"):
    client.force_login(user)
    client.cookies["absher_language"] = language
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response


# --- the account and its next step ---------------------------------------------------------------


def test_signed_out_home_is_the_public_catalogue_with_register(client):
    client.cookies["absher_language"] = "en"
    page = client.get(reverse("home"))
    html = page.content.decode()
    assert page.status_code == 200 and "dashboard" not in page.context
    assert f'href="{reverse("accounts:register")}"' in html and "Service catalogue" in html


def test_signed_out_home_costs_no_query(client, django_assert_num_queries):
    client.get(reverse("home"))  # the catalogue's fragment rendered once
    with django_assert_num_queries(0):
        assert client.get(reverse("home")).status_code == 200


@pytest.mark.parametrize("language", ["ar", "en"])
def test_a_signed_in_citizen_sees_the_dashboard_and_is_not_offered_register(client, citizen, language):
    page = page_of(client, citizen, language)
    html = page.content.decode()
    assert page.context["dashboard"].name == citizen.person.display_name(language)
    assert citizen.person.display_name(language) in html
    assert reverse("accounts:register") not in html  # neither the hero's button nor the catalogue's card
    assert 'id="dash-waiting-title"' in html and 'id="dash-documents-title"' in html and 'id="catalogue-title"' in html


def test_the_public_catalogue_still_offers_register_after_a_signed_in_visit(client, citizen):
    page_of(client, citizen)  # the signed-in rendering of the catalogue is kept apart from the public one
    client.logout()
    assert f'href="{reverse("accounts:register")}"' in client.get(reverse("home")).content.decode()


def test_not_activated_the_next_step_is_a_kiosk_with_the_centres(client, user_factory, person_factory):
    user = user_factory(state=AccountState.REGISTERED, person=person_factory(name_en="Haifa Shahrani"))
    board = dashboard.dashboard_for(user, today=date(2030, 1, 1), language="en")
    assert board.next_step == dashboard.STEP_ACTIVATE and not board.active and board.name == "Haifa Shahrani"
    html = page_of(client, user).content.decode()
    assert reverse("biometrics:centre-list") in html and reverse("accounts:activation-help") in html
    assert 'id="dash-documents-title"' not in html  # e-services wait for activation


def test_a_suspended_account_is_told_so(client, user_factory):
    user = user_factory(state=AccountState.SUSPENDED)
    assert dashboard.next_step(user) == dashboard.STEP_SUSPENDED
    html = page_of(client, user).content.decode()
    assert "Your account is suspended" in html and reverse("contact") in html


@pytest.mark.parametrize("language", ["ar", "en"])
def test_staff_and_accounts_without_a_registry_person_get_a_page(client, user_factory, language):
    staff = user_factory(state=AccountState.ACTIVE, is_staff=True, person=None, username="StaffOnly01", mobile=None)
    staff.person = None
    staff.save()
    page = page_of(client, staff, language)
    board = page.context["dashboard"]
    assert not board.linked and board.name == "StaffOnly01" and board.documents == [] and board.children == []
    assert reverse("admin:index") in page.content.decode()
    plain = user_factory(state=AccountState.ACTIVE, username="NoPerson0001", mobile="+966500000777")
    plain.person = None
    plain.save()
    assert page_of(client, plain, language).context["dashboard"].linked is False


# --- documents and what waits ------------------------------------------------------------------


def test_documents_expiring_first_come_first_with_days_left(citizen, person_factory, staff, today):
    me = citizen.person
    son = child_of(person_factory, me, birth_date=demo.years_ago(today, 10, days=40))
    worker = worker_of(person_factory, me, staff, today, iqama_days=100)
    passport_of(me, staff, expires_on=today + timedelta(days=900))
    passport_of(son, staff, expires_on=today - timedelta(days=3))  # expired
    foreign = passport_of(worker, staff, expires_on=today + timedelta(days=400), country="PH")
    board = board_for(citizen, today)
    kinds = [(doc.kind, doc.holder.pk) for doc in board.documents]
    assert kinds == [("passport", son.pk), ("iqama", worker.pk), ("passport", worker.pk), ("passport", me.pk)]
    son_passport, worker_iqama, worker_passport, _mine = board.documents
    assert son_passport.expired and son_passport.days_left == -3 and son_passport.to_renew
    assert son_passport.action_url == reverse("passports:passport-apply", args=[son.national_id])
    assert worker_iqama.days_left == 100 and worker_iqama.to_renew and not worker_iqama.expired
    assert worker_iqama.action_url == reverse("passports:iqama-apply", args=[worker.national_id])
    assert worker_passport.record == foreign and not worker_passport.to_renew
    assert worker_passport.action_url == reverse("passports:person-detail", args=[worker.national_id])


@pytest.mark.parametrize("rule, kind", [(passport_rules, "passport"), (iqama_rules, "iqama")])
def test_renewal_window_edges_are_the_rules_own(citizen, person_factory, staff, today, rule, kind):
    me = citizen.person
    window = rule.RENEWAL_WINDOW.days
    inside = worker_of(person_factory, me, staff, today, iqama_days=window, name_en="Inside")
    outside = worker_of(person_factory, me, staff, today, iqama_days=window + 1, name_en="Outside")
    if kind == "passport":
        passport_of(inside, staff, expires_on=today + timedelta(days=window), country="PH")
        passport_of(outside, staff, expires_on=today + timedelta(days=window + 1), country="PH")
    due = {doc.holder.pk: doc.to_renew for doc in board_for(citizen, today).documents if doc.kind == kind}
    assert due == {inside.pk: True, outside.pk: False}


def test_an_iqama_is_valid_through_its_expiry_day(citizen, person_factory, staff, today):
    me = citizen.person
    last_day = worker_of(person_factory, me, staff, today, iqama_days=0, name_en="Last")
    gone = worker_of(person_factory, me, staff, today, iqama_days=-1, name_en="Gone")
    docs = {doc.holder.pk: doc for doc in board_for(citizen, today).documents if doc.kind == "iqama"}
    assert not docs[last_day.pk].expired and docs[last_day.pk].expires_today
    assert docs[gone.pk].expired and docs[gone.pk].days_left == -1


def test_open_visas_of_workers_are_listed_and_spent_ones_are_not(citizen, person_factory, staff, today):
    from passports import services
    from passports.models import Visa

    worker = worker_of(person_factory, citizen.person, staff, today)
    open_visa = services.visa_record(holder=worker, kind=Visa.Kind.SINGLE, issued_on=today - timedelta(days=10),
                                     months=2, actor=staff)
    services.visa_record(holder=worker, kind=Visa.Kind.SINGLE, issued_on=today - timedelta(days=400), months=2,
                         actor=staff)  # never used, its travel date long past: expired
    visas = [doc for doc in board_for(citizen, today).documents if doc.kind == "visa"]
    assert [doc.number for doc in visas] == [open_visa.number]
    assert visas[0].on == open_visa.travel_by and visas[0].date_kind == dashboard.TRAVEL_BY
    assert visas[0].url == reverse("passports:visa-detail", args=[open_visa.number])


def test_what_waits_a_reply_a_bill_fines_and_renewals_each_with_its_link(citizen, person_factory, staff, today):
    from passports import services
    from passports.models import Bill, Service

    me = citizen.person
    son = child_of(person_factory, me, birth_date=demo.years_ago(today, 9, days=20))
    passport_of(son, staff, expires_on=today + timedelta(days=20))
    bill = services.service_order(service=Service.PASSPORT, actor=citizen, holder=son, params={"years": 5},
                                  submission_key=uuid.uuid4())
    assert isinstance(bill, Bill) and bill.status == Bill.Status.UNPAID
    waiting = request_waiting_for(citizen, staff)
    services.fine_record(person=me, amount=Decimal("150"), reason_ar="مخالفة", reason_en="Violation",
                         issued_on=today - timedelta(days=5), actor=staff)
    services.fine_record(person=me, amount=Decimal("50.50"), reason_ar="مخالفة", reason_en="Violation",
                         issued_on=today - timedelta(days=2), actor=staff)
    items = {item.kind: item for item in board_for(citizen, today).waiting}
    assert items["reply"].url == reverse("civil_affairs:request-detail", args=[waiting.reference])
    assert items["bill"].url == reverse("passports:bill-detail", args=[bill.number])
    assert items["fines"].item.unpaid_fines == 2 and items["fines"].item.unpaid_fines_total == Decimal("200.50")
    assert items["fines"].url.startswith(reverse("passports:person-detail", args=[me.national_id]))
    assert items["renew"].item.holder == son
    assert [item.kind for item in board_for(citizen, today).waiting] == ["reply", "bill", "fines", "renew"]


def test_nothing_waits_says_so(client, citizen):
    page = page_of(client, citizen)
    assert page.context["dashboard"].waiting == []
    assert "Nothing waits for you" in page.content.decode()


def test_the_latest_notices_of_every_service_link_to_their_place(citizen, staff, today):
    from absher.notifications.models import Notice

    waiting = request_waiting_for(citizen, staff)
    Notice.objects.create(source="passports", user=citizen, kind="paid", params={"bill": "123456789012", "amount": "1"})
    notices = board_for(citizen, today).notices
    assert len(notices) == dashboard.NOTICE_LIMIT or len(notices) == Notice.objects.filter(user=citizen).count()
    assert notices[0].source == "passports"
    assert notices[0].dashboard_url == reverse("passports:bill-detail", args=["123456789012"])
    assert any(n.dashboard_url == reverse("civil_affairs:request-detail", args=[waiting.reference]) for n in notices)
    odd = Notice(source="civil_affairs", kind="status", params={"reference": "not a reference"})
    assert dashboard.notice_url(odd) == ""


# --- children and the dates that matter -----------------------------------------------------------


def _child_row(citizen, today, child):
    return next(row for row in board_for(citizen, today).children if row.person.pk == child.pk)


def test_14_years_10_months_a_day_before_and_on_the_day(citizen, person_factory, today, settings):
    me = citizen.person
    calendar = settings.AGE_CALENDAR_CITIZEN
    tomorrow = child_of(person_factory, me, birth_date=demo.born_reaching_on_or_after(
        today + timedelta(days=1), years=14, months=10, calendar=calendar), name_en="Tomorrow")
    on_the_day = child_of(person_factory, me, birth_date=demo.born_reaching_on_or_before(
        today, years=14, months=10, calendar=calendar), name_en="Today")
    before = _child_row(citizen, today, tomorrow)
    add = before.milestones[0]
    assert before.add_state == dashboard.ADD_LATER and add.code == "add" and not add.reached
    assert add.on == ages.anniversary(tomorrow.birth_date, years=14, months=10, calendar=calendar) > today
    row = _child_row(citizen, today, on_the_day)
    assert row.add_state == dashboard.ADD_NOW and row.milestones[0].reached
    assert row.add_url == reverse("civil_affairs:request-new", args=["add_dependent"])


def test_a_resident_child_counts_in_gregorian_years(citizen, person_factory, today, settings):
    me = citizen.person
    calendar = settings.AGE_CALENDAR_RESIDENT
    child = child_of(person_factory, me, prefix="2", iqama_expiry=today + timedelta(days=300),
                     birth_date=demo.born_reaching_on_or_after(today + timedelta(days=1), years=14, months=10,
                                                               calendar=calendar))
    row = _child_row(citizen, today, child)
    assert row.add_state == dashboard.ADD_LATER
    assert [m.code for m in row.milestones] == ["add", "own_account"]  # no national ID card for a resident
    assert row.milestones[0].on == ages.anniversary(child.birth_date, years=14, months=10, calendar=calendar)


def test_the_id_card_at_15_and_the_own_account_at_18(citizen, person_factory, today, settings):
    me = citizen.person
    calendar = settings.AGE_CALENDAR_CITIZEN
    young = child_of(person_factory, me, birth_date=demo.years_ago(today, 9, days=100), sex="F")
    row = _child_row(citizen, today, young)
    by_code = {m.code: m for m in row.milestones}
    assert by_code["id_card"].on == ages.anniversary(young.birth_date, years=15, calendar=calendar)
    assert by_code["own_account"].on == ages.anniversary(young.birth_date, years=ADULT_AGE, calendar=calendar)
    assert not any(m.reached for m in row.milestones) and row.next_date == by_code["add"].on
    assert by_code["own_account"].days_left == (by_code["own_account"].on - today).days


def test_a_son_the_day_before_and_on_his_18th_birthday(citizen, person_factory, today, settings):
    me = citizen.person
    calendar = settings.AGE_CALENDAR_CITIZEN
    eve = child_of(person_factory, me, birth_date=demo.born_reaching_on_or_after(
        today + timedelta(days=1), years=18, calendar=calendar), name_en="Eve")
    birthday = child_of(person_factory, me, birth_date=demo.born_reaching_on_or_before(
        today, years=18, calendar=calendar), name_en="Birthday")
    before = _child_row(citizen, today, eve)
    own = before.milestones[-1]
    assert before.add_state == dashboard.ADD_NOW and own.code == "own_account" and not own.reached
    assert own.days_left >= 1
    # On his 18th birthday every date has passed and he is nobody's dependent: nothing to say.
    assert birthday.pk not in {row.person.pk for row in board_for(citizen, today).children}
    decision = eligibility.decide(candidate=dashboard._candidate(_annotated(citizen, birthday, today)),
                                  guardian_national_id=me.national_id, already_added=False, open_request=False,
                                  today=today)
    assert eligibility.MALE_18_OR_OVER in decision.reasons


def _annotated(user, person, today):
    from passports import selectors

    people = selectors.acting_people(user, today=today, queryset_hook=dashboard._people_hook(user))
    return next(acting.person for acting in people if acting.person.pk == person.pk)


def test_children_who_hold_an_id_card_or_are_dependents_already(citizen, person_factory, staff, today):
    from dependents.models import GuardianLink

    me = citizen.person
    carded = child_of(person_factory, me, birth_date=demo.years_ago(today, 16, days=50), sex="F",
                      national_id_issued=True)
    added = child_of(person_factory, me, birth_date=demo.years_ago(today, 16, days=80), sex="F")
    GuardianLink.objects.create(guardian=me, dependent=added, guardian_account=citizen, relation="father",
                                created_by=staff)
    rows = {row.person.pk: row for row in board_for(citizen, today).children}
    assert rows[carded.pk].add_state == dashboard.ADD_NOT_POSSIBLE
    assert eligibility.HOLDS_NATIONAL_ID in rows[carded.pk].add_reasons and rows[carded.pk].id_card_issued
    assert rows[added.pk].add_state == dashboard.ADD_DONE


@pytest.mark.parametrize("language", ["ar", "en"])
def test_dates_read_in_both_calendars_on_the_page(client, citizen, person_factory, staff, today, language):
    me = citizen.person
    child = child_of(person_factory, me, birth_date=demo.years_ago(today, 12, days=15))
    passport = passport_of(me, staff, expires_on=today + timedelta(days=30))
    html = page_of(client, citizen, language).content.decode()
    with translation.override(language):
        for day in (passport.expires_on, child.birth_date,
                    ages.anniversary(child.birth_date, years=15, calendar=ages.HIJRI)):
            gregorian, hijri = formats.date_format(day, "DATE_FORMAT"), hijri_date(day)
            assert dual_date(day) == f"{gregorian} ({hijri})"  # both calendars, as dual_date writes them
            assert f'{escape(gregorian)}</span> <span class="text-nowrap">({escape(hijri)})</span>' in html
    assert f'<bdi dir="ltr" class="dash-ref">{passport.number}</bdi>' in html


# --- SQL queries: bounded, the same for a family of 1 and of 10 --------------------------------------


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    return len(queries)


def _grow(citizen, person_factory, staff, today, n):
    """n more of everything: children (dependents or not), workers with iqamas and visas, passports,
    requests waiting for a reply, bills, fines and notices."""
    from absher.notifications.models import Notice
    from passports import services
    from passports.models import Service, Visa

    me = citizen.person
    for i in range(n):
        child = child_of(person_factory, me, birth_date=demo.years_ago(today, 3 + i, days=20 + i))
        passport_of(child, staff, expires_on=today + timedelta(days=10 + i))
        services.service_order(service=Service.PASSPORT, actor=citizen, holder=child, params={"years": 5},
                               submission_key=uuid.uuid4())
        worker = worker_of(person_factory, me, staff, today, iqama_days=20 + i, name_en=f"Worker {i}")
        passport_of(worker, staff, expires_on=today + timedelta(days=700 + i), country="PH")
        services.visa_record(holder=worker, kind=Visa.Kind.SINGLE, issued_on=today - timedelta(days=i), months=2,
                             actor=staff)
        services.fine_record(person=worker, amount=Decimal("10"), reason_ar="م", reason_en="f", issued_on=today,
                             actor=staff)
        request_waiting_for(citizen, staff)
        Notice.objects.create(source="passports", user=citizen, kind="paid", params={"bill": str(i), "amount": "1"})


@pytest.mark.parametrize("language", ["ar", "en"])
def test_queries_are_few_and_the_same_for_a_family_of_1_and_of_10(client, citizen, person_factory, staff, today,
                                                                   language):
    passport_of(citizen.person, staff, expires_on=today + timedelta(days=900))
    client.force_login(citizen)
    client.cookies["absher_language"] = language
    client.get(reverse("home"))  # the session's first touch and the catalogue's fragment are not the page's cost
    alone = _queries(client)
    _grow(citizen, person_factory, staff, today, 10)
    board = board_for(citizen, today)
    assert len(board.children) == 10 and len([d for d in board.documents if d.kind == "visa"]) == 10
    family = _queries(client)
    assert alone == family <= MAX_QUERIES, (alone, family)


@pytest.mark.django_db
def test_the_latest_notices_are_a_top_n_read_of_their_index_on_postgres(citizen):
    """However many notices a citizen has, the dashboard reads the newest few from the index, unsorted."""
    from absher.notifications.models import Notice

    if connection.vendor != "postgresql":
        pytest.skip("the plan of the query on PostgreSQL")
    for number in range(3):
        Notice.objects.create(source="passports", user=citizen, kind="paid", params={"bill": str(number), "amount": "1"})
    plans = []

    def explain(execute, sql, params, many, context):
        if sql.startswith("SELECT") and "absher_notice" in sql:
            with connection.connection.cursor() as cursor:
                cursor.execute("EXPLAIN " + sql, params)
                plans.append("\n".join(row[0] for row in cursor.fetchall()))
        return execute(sql, params, many, context)

    with connection.cursor() as cursor:  # a tiny table: make the planner take what a big one would
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
    with connection.execute_wrapper(explain):
        assert len(dashboard.latest_notices(citizen)) == 3
    assert len(plans) == 1 and "notice_user_at" in plans[0] and "Sort" not in plans[0], plans
