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


# --- QUALITY 30: the gateway's notifications and refunds under concurrency ------------------------


def _paid_at_the_gateway(world, passport_of, today):
    from passports.payments import get_backend

    passport_of(world.son, expires_on=today + timedelta(days=20))
    bill = services.service_order(service=Service.PASSPORT, actor=world.father, holder=world.son, params={"years": 5},
                                  submission_key=uuid.uuid4())
    return bill, get_backend().pay(bill=bill)


def _signed(bill, payment, notification_id):
    from django.utils import timezone

    from passports.payments import notification_key, signing

    body = signing.encode(notification_id=notification_id, bill_number=bill.number, status="paid",
                          payment_reference=payment.reference, amount=bill.amount, at=timezone.now())
    return body, signing.sign(body, key=notification_key())


def test_ten_concurrent_copies_of_one_notification_make_one_passport(world, passport_of, today):
    require_postgres("row locks and a unique index under concurrency")
    from passports import settlement

    bill, payment = _paid_at_the_gateway(world, passport_of, today)
    body, signature = _signed(bill, payment, f"N-{uuid.uuid4().hex}")
    results, errors = run_together(10, lambda: settlement.payment_notification_receive(body=body, signature=signature))
    assert not errors and sorted(answer.status for answer in results) == ["duplicate"] * 9 + ["fulfilled"]
    assert Receipt.objects.filter(bill=bill).count() == 1
    assert Passport.objects.filter(holder=world.son, status=Passport.Status.VALID).count() == 1


def test_ten_concurrent_notifications_and_returns_of_one_payment_make_one_passport(world, passport_of, today):
    require_postgres("row locks")
    from passports import settlement
    from passports.models import PaymentNotification

    bill, payment = _paid_at_the_gateway(world, passport_of, today)
    signed = [_signed(bill, payment, f"N-{n}-{uuid.uuid4().hex}") for n in range(6)]
    calls = [lambda pair=pair: settlement.payment_notification_receive(body=pair[0], signature=pair[1]).status
             for pair in signed]
    calls += [lambda: services.payment_confirm(bill=bill, payment=payment, actor=world.father, source="browser_return").outcome
              for _ in range(4)]
    queue = iter(calls)
    results, errors = run_together(10, lambda: next(queue)())
    assert not errors and sorted(results) == ["already_fulfilled"] * 9 + ["fulfilled"]
    assert Receipt.objects.filter(bill=bill).count() == 1 and PaymentNotification.objects.count() == 6
    assert Passport.objects.filter(holder=world.son, status=Passport.Status.VALID).count() == 1


def test_ten_concurrent_refunds_of_one_bill_refund_once(world, passport_of, today):
    require_postgres("row locks and a unique index under concurrency")
    from absher.models import AuditEvent
    from passports.models import SimulatedGatewayEntry

    bill, payment = _paid_at_the_gateway(world, passport_of, today)
    billing.bill_pay(bill=bill, payment_reference=payment.reference, actor=world.father)
    results, errors = run_together(10, lambda: billing.bill_refund(bill=bill, actor=world.father))
    assert {error.code for error in errors} <= {"bill_refunded"}
    assert all(result.status == Bill.Status.REFUNDED for result in results)
    bill.refresh_from_db()
    assert bill.status == Bill.Status.REFUNDED
    assert SimulatedGatewayEntry.objects.filter(kind="refund", bill_number=bill.number).count() == 1
    assert AuditEvent.objects.filter(action="passport_bill_refunded").count() == 1
