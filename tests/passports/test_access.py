"""QUALITY figure 12 for the passports routes: every object URL, enumerated from the URL resolver,
answers 404 to a user who may not act for the person the object belongs to."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import URLResolver, get_resolver, reverse

from passports import billing, services
from passports.models import Service

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.passports.urls")]


def passports_routes() -> dict[str, list[str]]:
    """{route name: its URL keyword arguments} for every passports route that names an object."""
    found = {}

    def walk(resolver, namespace=""):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                walk(entry, entry.namespace or namespace)
            elif namespace == "passports" and entry.pattern.converters:
                found[f"passports:{entry.name}"] = sorted(entry.pattern.converters)

    walk(get_resolver("tests.passports.urls"))
    return found


@pytest.fixture
def others(world, staff, passport_of, today):
    """Objects of people the father may not act for: the stranger's family and worker, his adult son."""
    stranger = world.stranger
    passport_of(world.stranger_child, expires_on=today + timedelta(days=20))
    visa = services.visa_record(holder=world.stranger_worker, kind="exit_reentry_single", issued_on=today, months=2,
                                actor=staff)
    permit = services.travel_permit_record(holder=world.stranger_child, granted_by=stranger.person, valid_from=today,
                                           valid_until=today + timedelta(days=30), actor=staff)
    fine = services.fine_record(person=world.stranger_worker, amount=Decimal("100"), reason_ar="مخالفة",
                                reason_en="Violation", issued_on=today, actor=staff)
    bill = services.service_order(service=Service.PASSPORT, actor=stranger, holder=world.stranger_child,
                                  params={"years": 5}, submission_key=uuid.uuid4())
    billing.bill_pay(bill=bill, payment_reference="SIM", actor=stranger)
    receipt = services.bill_fulfil(bill=bill, actor=stranger)
    unpaid = services.service_order(service=Service.FINE, actor=stranger, holder=world.stranger_worker,
                                    params={"fine": fine.reference}, submission_key=uuid.uuid4())
    people = [world.stranger_child.national_id, world.stranger_worker.national_id, stranger.person.national_id,
              world.adult_son.national_id, world.mother_person.national_id, "2999999990"]
    return {
        "national_id": people,
        "visa": [visa.number, "6000000000"],
        "permit": [permit.number],
        "fine": [fine.reference],
        "bill": [bill.number, unpaid.number],
        "receipt": [receipt.reference],
    }


# Which of the objects above each route takes, by route name (a new route must be added here).
ARGUMENTS = {
    "passports:person-detail": ("national_id", "national_id"),
    "passports:passport-apply": ("national_id", "national_id"),
    "passports:iqama-apply": ("national_id", "national_id"),
    "passports:exit-reentry-apply": ("national_id", "national_id"),
    "passports:final-exit-apply": ("national_id", "national_id"),
    "passports:travel-permit-apply": ("national_id", "national_id"),
    "passports:absconding-report": ("national_id", "national_id"),
    "passports:visa-detail": ("number", "visa"),
    "passports:visa-extend": ("number", "visa"),
    "passports:visa-cancel": ("number", "visa"),
    "passports:travel-permit-cancel": ("number", "permit"),
    "passports:fine-pay": ("reference", "fine"),
    "passports:bill-detail": ("number", "bill"),
    "passports:bill-pay": ("number", "bill"),
    "passports:payment-simulated": ("number", "bill"),
    "passports:payment-return": ("number", "bill"),
    "passports:bill-complete": ("number", "bill"),
    "passports:bill-refund": ("number", "bill"),
    "passports:receipt-detail": ("reference", "receipt"),
    "passports:receipt-pdf": ("reference", "receipt"),
}


POST_ONLY = {"passports:visa-cancel", "passports:travel-permit-cancel", "passports:fine-pay", "passports:bill-pay",
             "passports:bill-complete", "passports:bill-refund"}


def test_every_object_route_is_in_the_table():
    routes = passports_routes()
    assert set(routes) == set(ARGUMENTS), "a passports route names an object: add it to ARGUMENTS"
    for name, (kwarg, _kind) in ARGUMENTS.items():
        assert routes[name] == [kwarg], name


def test_no_object_of_another_person_is_reachable(client, world, others):
    client.force_login(world.father)
    checked = 0
    for name, (kwarg, kind) in ARGUMENTS.items():
        for value in others[kind]:
            url = reverse(name, kwargs={kwarg: value})
            response = client.post(url, {"outcome": "pay", "years": "5", "delivery": "post", "confirm": "on"})
            assert response.status_code == 404, (name, value, "POST", response.status_code)
            # A form-only route answers GET with 405 whatever the object: it tells nothing either.
            expected = 405 if name in POST_ONLY else 404
            assert client.get(url).status_code == expected, (name, value, "GET")
            checked += 1
    assert checked >= 40
    # Nothing changed hands.
    from passports.models import Bill, Fine

    assert not Bill.objects.filter(payer=world.father).exists()
    assert not Fine.objects.filter(paid_at__isnull=False).exists()


def test_the_same_routes_answer_for_ones_own_people(client, world, staff, passport_of, pay, today):
    """The 404s above come from the rule, not from a broken route: the father's own objects open."""
    passport_of(world.son, expires_on=today + timedelta(days=20))
    visa = services.visa_record(holder=world.worker, kind="exit_reentry_single", issued_on=today, months=2, actor=staff)
    bill = services.service_order(service=Service.PASSPORT, actor=world.father, holder=world.son, params={"years": 5},
                                  submission_key=uuid.uuid4())
    receipt = pay(bill, world.father)
    client.force_login(world.father)
    for url in (
        reverse("passports:person-detail", args=[world.son.national_id]),
        reverse("passports:person-detail", args=[world.father.person.national_id]),
        reverse("passports:passport-apply", args=[world.daughter.national_id]),
        reverse("passports:iqama-apply", args=[world.worker.national_id]),
        reverse("passports:exit-reentry-apply", args=[world.worker.national_id]),
        reverse("passports:final-exit-apply", args=[world.worker.national_id]),
        reverse("passports:travel-permit-apply", args=[world.son.national_id]),
        reverse("passports:absconding-report", args=[world.worker.national_id]),
        reverse("passports:visa-detail", args=[visa.number]),
        reverse("passports:visa-extend", args=[visa.number]),
        reverse("passports:bill-detail", args=[bill.number]),
        reverse("passports:receipt-detail", args=[receipt.reference]),
    ):
        assert client.get(url).status_code == 200, url


def test_the_stranger_reaches_none_of_the_fathers_records(client, world, staff, passport_of, today):
    passport_of(world.son, expires_on=today + timedelta(days=20))
    client.force_login(world.stranger)
    for national_id in (world.son.national_id, world.worker.national_id, world.father.person.national_id):
        for name in ("passports:person-detail", "passports:passport-apply", "passports:iqama-apply"):
            assert client.get(reverse(name, args=[national_id])).status_code == 404
    home = client.get(reverse("passports:home")).content.decode()
    assert world.son.national_id not in home and world.worker.national_id not in home


def test_a_resident_acts_for_family_only(client, world):
    client.force_login(world.resident)
    assert client.get(reverse("passports:person-detail", args=[world.resident_child.national_id])).status_code == 200
    assert client.get(reverse("passports:person-detail", args=[world.worker.national_id])).status_code == 404


def test_sign_in_and_activation_are_required(client, user_factory, world):
    from accounts.models import AccountState

    url = reverse("passports:person-detail", args=[world.son.national_id])
    response = client.get(url)
    assert response.status_code == 302 and reverse("accounts:login") in response.url
    client.force_login(user_factory(state=AccountState.REGISTERED, person=world.son))
    assert client.get(reverse("passports:home")).status_code == 403
