"""Concurrent submissions (PostgreSQL row locks): one bill per submission key, one use per bill."""

import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connection

from passports import billing, services
from passports.exceptions import PassportsError
from passports.models import Bill, Passport, Receipt, Service
from tests.conftest import require_postgres

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def run_together(count, call):
    barrier = threading.Barrier(count)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(call())
        except PassportsError as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def test_ten_payments_returns_of_one_bill_make_one_passport(world, passport_of, today):
    require_postgres("row locks")
    passport_of(world.son, expires_on=today + timedelta(days=20))
    bill = services.service_order(service=Service.PASSPORT, actor=world.father, holder=world.son, params={"years": 5},
                                  submission_key=uuid.uuid4())
    billing.bill_pay(bill=bill, payment_reference="SIM", actor=world.father)
    results, errors = run_together(10, lambda: services.bill_fulfil(bill=bill, actor=world.father))
    assert Receipt.objects.count() == 1
    assert {receipt.pk for receipt in results} == {Receipt.objects.get().pk} and not errors
    assert Passport.objects.filter(holder=world.son, status=Passport.Status.VALID).count() == 1


def test_ten_duplicate_submissions_make_one_bill(world, passport_of, today):
    require_postgres("unique constraint under concurrency")
    passport_of(world.son, expires_on=today + timedelta(days=20))
    key = uuid.uuid4()
    results, errors = run_together(10, lambda: services.service_order(
        service=Service.PASSPORT, actor=world.father, holder=world.son, params={"years": 5}, submission_key=key))
    assert Bill.objects.count() == 1 and not errors
    assert {bill.pk for bill in results} == {Bill.objects.get().pk}


def test_two_payments_of_one_bill_are_one(world, passport_of, today):
    require_postgres("row locks")
    passport_of(world.son, expires_on=today + timedelta(days=20))
    bill = services.service_order(service=Service.PASSPORT, actor=world.father, holder=world.son, params={"years": 5},
                                  submission_key=uuid.uuid4())
    results, errors = run_together(5, lambda: billing.bill_pay(bill=bill, payment_reference="SIM", actor=world.father))
    assert len(results) == 1 and len(errors) == 4
    assert {error.code for error in errors} == {"bill_already_paid"}
