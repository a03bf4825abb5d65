"""The facts the rules read, gathered once for a holder (passports.selectors.HolderFacts): read with the
person on a page (annotations of the query that finds them, the visas and unpaid fines with the documents
the page lists) they are the same facts a submission reads fresh, at every edge the rules look at."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from civil_affairs.models import Person
from passports import selectors, services
from passports.models import AbscondingReport, Fine, TravelPermit, Visa

pytestmark = pytest.mark.django_db

RULE_FACTS = ("passport_holder", "iqama_holder", "iqama_state", "traveller", "child", "worker", "open_visa")


def _page_facts(user, person, today):
    acting = selectors.acting_person(user, person.national_id, today=today, queryset_hook=selectors.person_page_hook(today))
    documents = selectors.person_documents(acting.person)
    return selectors.HolderFacts.annotated(acting.person, today=today, held_visas=documents["held_visas"],
                                           unpaid_fines=documents["unpaid_fines"])


def _assert_same(user, person, today):
    page = _page_facts(user, person, today)
    fresh = selectors.holder_facts(Person.objects.get(pk=person.pk), today=today)
    for name in RULE_FACTS:
        assert getattr(page, name)() == getattr(fresh, name)(), name
    assert page.unpaid_fines == fresh.unpaid_fines
    assert sorted(v.pk for v in page.held_visas) == sorted(v.pk for v in fresh.held_visas)
    return page


def test_a_workers_facts_on_the_page_are_the_facts_read_fresh(world, staff, today, passport_of):
    page = _assert_same(world.father, world.worker, today)
    assert page.passport_valid_until == today + timedelta(days=900) and page.fingerprint_on_file
    assert not page.has_unpaid_fines and not page.reported_absent and not page.abroad and not page.open_visa()
    assert page.iqama_state().issued and page.iqama_state().late_renewals == 0

    # A fine, an open visa, an exit on it, a report: each one seen the same way by both reads.
    services.fine_record(person=world.worker, amount=Decimal("100"), reason_ar="م", reason_en="f", issued_on=today,
                         actor=staff)
    visa = services.visa_record(holder=world.worker, kind=Visa.Kind.SINGLE, issued_on=today, months=2, actor=staff)
    page = _assert_same(world.father, world.worker, today)
    assert page.has_unpaid_fines and page.open_visa()
    services.crossing_record(holder=world.worker, direction="exit", port="RUH", on=today, actor=staff)
    page = _assert_same(world.father, world.worker, today)
    assert page.abroad and page.worker().abroad_on_valid_visa
    Visa.objects.filter(pk=visa.pk).update(status=Visa.Status.CANCELLED)
    page = _assert_same(world.father, world.worker, today)
    assert not page.open_visa() and not page.held_visas
    services.absconding_report_record(worker=world.worker, sponsor=world.father.person, reported_on=today,
                                      last_seen_on=today - timedelta(days=1), actor=staff)
    page = _assert_same(world.father, world.worker, today)
    assert page.reported_absent and page.worker().already_reported
    AbscondingReport.objects.filter(worker=world.worker).update(status=AbscondingReport.Status.CANCELLED)
    page = _assert_same(world.father, world.worker, today)
    assert not page.reported_absent and page.worker().already_reported
    # A resident's passport is any country's; a citizen's only a Saudi one.
    passport_of(world.worker, country="IN", expires_on=today + timedelta(days=1000))
    assert _assert_same(world.father, world.worker, today).passport_valid_until == today + timedelta(days=1000)


def test_a_childs_facts_on_the_page_are_the_facts_read_fresh(world, staff, today, passport_of):
    page = _assert_same(world.father, world.son, today)
    assert page.passport_valid_until is None and not page.child().has_active_permit
    passport_of(world.son, country="EG", expires_on=today + timedelta(days=400))
    assert _assert_same(world.father, world.son, today).passport_valid_until is None  # not Saudi: not his
    passport_of(world.son, expires_on=today + timedelta(days=300))
    assert _assert_same(world.father, world.son, today).passport_valid_until == today + timedelta(days=300)
    # A permit counts while active up to and including its last day.
    permit = services.travel_permit_record(holder=world.son, granted_by=world.father.person, valid_from=today,
                                           valid_until=today, actor=staff)
    assert _assert_same(world.father, world.son, today).child().has_active_permit
    assert not _assert_same(world.father, world.son, today + timedelta(days=1)).child().has_active_permit
    TravelPermit.objects.filter(pk=permit.pk).update(status=TravelPermit.Status.CANCELLED)
    assert not _assert_same(world.father, world.son, today).child().has_active_permit


def test_the_persons_page_lists_the_latest_and_the_rules_see_every_one(world, staff, today):
    """The page lists the latest 20 visas and fines; the rules see every visa not cancelled and the
    way forward every unpaid fine (up to 20, oldest first), however many rows are behind them."""
    old = services.visa_record(holder=world.worker, kind=Visa.Kind.MULTIPLE, issued_on=today - timedelta(days=30),
                               months=3, actor=staff)
    unpaid = services.fine_record(person=world.worker, amount=Decimal("10"), reason_ar="م", reason_en="f",
                                  issued_on=today - timedelta(days=400), actor=staff)
    for i in range(22):
        visa = services.visa_record(holder=world.worker, kind=Visa.Kind.SINGLE, issued_on=today - timedelta(days=i),
                                    months=1, actor=staff)
        Visa.objects.filter(pk=visa.pk).update(status=Visa.Status.CANCELLED)
        fine = services.fine_record(person=world.worker, amount=Decimal("10"), reason_ar="م", reason_en="f",
                                    issued_on=today - timedelta(days=i), actor=staff)
        Fine.objects.filter(pk=fine.pk).update(paid_at=timezone.now())
    documents = selectors.person_documents(world.worker)
    assert [v.pk for v in documents["visas"]] == list(
        Visa.objects.filter(holder=world.worker).order_by("-issued_on", "-id").values_list("pk", flat=True)[:20])
    assert old.pk not in {v.pk for v in documents["visas"]}
    assert [v.pk for v in documents["held_visas"]] == [old.pk]
    listed = list(Fine.objects.filter(person=world.worker).order_by("paid_at", "-issued_on").values_list("pk", flat=True)[:20])
    assert sorted(f.pk for f in documents["fines"]) == sorted(listed)
    assert [f.pk for f in documents["unpaid_fines"]] == [unpaid.pk] == [f.pk for f in selectors.unpaid_fines_of(world.worker)]
    assert _page_facts(world.father, world.worker, today).open_visa()


def test_late_renewals_are_counted_for_the_iqama_state(world, staff, today):
    from passports.models import IqamaRecord, IqamaRenewal

    record = IqamaRecord.objects.get(holder=world.worker)
    for late in (True, True, False):
        IqamaRenewal.objects.create(iqama=record, renewed_on=today, previous_expiry=today, new_expiry=today, years=1,
                                    late=late, amount=Decimal("1"))
    assert _assert_same(world.father, world.worker, today).iqama_state().late_renewals == 2
