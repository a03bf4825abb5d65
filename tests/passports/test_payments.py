"""QUALITY figure 30, money is never lost: the gateway's signed server-to-server notification, the
browser's return in either order, reconciliation, and refunds in three steps that survive a crash
at any of them. The concurrent cases (PostgreSQL) are in test_concurrency.py."""

import json
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from absher.models import AuditEvent
from absher.notifications.models import Notice
from passports import billing, checks, services, settlement
from passports.exceptions import (
    BillAlreadyUsed,
    BillMoveNotAllowed,
    BillRefunded,
    BillRefundPending,
    RefundDeclined,
)
from passports.models import (
    Bill,
    Passport,
    PaymentNotification,
    Receipt,
    Service,
    SimulatedGatewayEntry,
)
from passports.notifications import Kind
from passports.payments import DECLINED, PAID, UNPAID, PaymentStatus, get_backend, notification_key, signing, simulated

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.passports.urls")]
ROOT = Path(__file__).resolve().parents[2]
NOTIFY = "/services/passports/payments/notify/"


@pytest.fixture(autouse=True)
def gateway_failures():
    simulated.fail_next.clear()
    yield simulated.fail_next
    simulated.fail_next.clear()


@pytest.fixture
def gateway():
    return get_backend()


@pytest.fixture
def bill(world, passport_of, today):
    """An unpaid passport bill: the father renews his son's passport (300 SAR)."""
    passport_of(world.son, expires_on=today + timedelta(days=20))
    return services.service_order(service=Service.PASSPORT, actor=world.father, holder=world.son, params={"years": 5},
                                  submission_key=uuid.uuid4())


def body_for(bill, *, status=PAID, reference="GW-REF-1", amount=None, at=None, notification_id=None) -> bytes:
    return signing.encode(notification_id=notification_id or f"N-{uuid.uuid4().hex}", bill_number=bill.number,
                          status=status, payment_reference=reference if status == PAID else "",
                          amount=bill.amount if amount is None else amount, at=at or timezone.now())


def post_notification(client, body: bytes, *, signature=None):
    """What the gateway does: a POST with the raw JSON body and its signature, no session, no CSRF token."""
    headers = {} if signature == "" else {signing.SIGNATURE_HEADER: signature or signing.sign(body, key=notification_key())}
    return client.post(NOTIFY, data=body, content_type="application/json", headers=headers)


def fulfilled_once(bill, son):
    bill.refresh_from_db()
    assert bill.status == Bill.Status.USED
    assert Receipt.objects.filter(bill=bill).count() == 1
    assert Passport.objects.filter(holder=son, status=Passport.Status.VALID).count() == 1
    assert AuditEvent.objects.filter(action="passport_bill_paid", details__bill=bill.number).count() == 1
    assert AuditEvent.objects.filter(action="passport_issued", details__bill=bill.number).count() == 1


def signed_in(client, user):
    client.force_login(user)
    client.cookies["absher_language"] = "en"
    return client


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


# --- the notification alone: the payer closed the tab --------------------------------------------


def test_paid_with_the_tab_closed_is_fulfilled_once_by_the_notification(client, world, bill, gateway, committed,
                                                                         sms_outbox):
    signed_in(client, world.father)
    start = client.post(reverse("passports:bill-pay", args=[bill.number]))
    assert start.url == reverse("passports:payment-simulated", args=[bill.number])
    with committed():
        paid = client.post(start.url, {"outcome": "pay"})
    # The gateway sends the payer back, but the tab is closed: the redirect is never followed.
    assert paid.url == reverse("passports:payment-return", args=[bill.number])
    fulfilled_once(bill, world.son)
    record = PaymentNotification.objects.get()
    assert record.bill == bill and record.outcome == services.FULFILLED and record.status == PAID
    assert bill.payment_reference == gateway.status(bill_number=bill.number).reference
    assert [n.kind for n in Notice.objects.filter(source="passports", user=world.father).order_by("id")] == [
        Kind.BILL, Kind.PAID, Kind.DOCUMENT]
    assert len(sms_outbox) == 2  # paid and done (the bill's own SMS was sent before this block)


def test_a_gateways_notification_alone_fulfils_the_bill_once(world, bill, gateway, committed, sms_outbox):
    payment = gateway.pay(bill=bill)
    client = Client(enforce_csrf_checks=True)  # no session, no CSRF token: the signature is the proof
    with committed():
        response = post_notification(client, body_for(bill, reference=payment.reference))
    assert response.status_code == 200 and response.json() == {"status": "fulfilled"}
    fulfilled_once(bill, world.son)
    audit = AuditEvent.objects.get(action="passport_bill_paid")
    assert audit.actor is None and audit.details["source"] == "gateway_notification"
    assert len(sms_outbox) == 2


def test_a_declined_notification_closes_the_attempt_and_the_bill_stays_payable(client, world, bill):
    billing.bill_payment_start(bill=bill, actor=world.father)
    response = post_notification(client, body_for(bill, status=DECLINED))
    assert response.status_code == 200 and response.json() == {"status": "declined"}
    bill.refresh_from_db()
    assert bill.status == Bill.Status.UNPAID and bill.payment_started_at is None and not Receipt.objects.exists()
    assert AuditEvent.objects.filter(action="passport_bill_payment_failed").count() == 1


def test_a_paid_bill_the_rule_now_refuses_stays_paid_and_refundable(client, world, bill, staff, today):
    services.fine_record(person=world.son, amount=Decimal("150"), reason_ar="مخالفة", reason_en="Violation",
                         issued_on=today, actor=staff)
    response = post_notification(client, body_for(bill))
    assert response.status_code == 200 and response.json() == {"status": "paid_not_fulfilled"}
    bill.refresh_from_db()
    assert bill.status == Bill.Status.PAID and not Receipt.objects.exists()
    assert billing.bill_refund(bill=bill, actor=world.father).status == Bill.Status.REFUNDED


# --- the notification and the browser's return, in both orders -----------------------------------


def test_notification_first_then_the_browser_return_fulfils_once(client, world, bill, gateway):
    payment = gateway.pay(bill=bill)
    assert post_notification(Client(), body_for(bill, reference=payment.reference)).json() == {"status": "fulfilled"}
    signed_in(client, world.father)
    back = client.get(reverse("passports:payment-return", args=[bill.number]), follow=True)
    receipt = Receipt.objects.get()
    assert back.redirect_chain[-1][0] == reverse("passports:receipt-detail", args=[receipt.reference])
    assert messages_of(back) == [f"Paid and done. Your receipt number is {receipt.reference}."]
    fulfilled_once(bill, world.son)


def test_browser_return_first_then_the_notification_fulfils_once(client, world, bill, gateway):
    payment = gateway.pay(bill=bill)
    signed_in(client, world.father)
    back = client.get(reverse("passports:payment-return", args=[bill.number]), follow=True)
    receipt = Receipt.objects.get()
    assert back.redirect_chain[-1][0] == reverse("passports:receipt-detail", args=[receipt.reference])
    response = post_notification(Client(), body_for(bill, reference=payment.reference))
    assert response.status_code == 200 and response.json() == {"status": "already_fulfilled"}
    fulfilled_once(bill, world.son)
    assert AuditEvent.objects.get(action="passport_bill_paid").details["source"] == "browser_return"


def test_the_browser_return_says_what_became_of_the_bill(client, world, bill, gateway, staff, today):
    signed_in(client, world.father)
    url = reverse("passports:payment-return", args=[bill.number])
    gateway.pay(bill=bill)
    # The gateway took another amount: nothing is carried out, staff are told through the audit trail.
    SimulatedGatewayEntry.objects.filter(bill_number=bill.number).update(amount=Decimal("3.00"))
    response = client.get(url, follow=True)
    assert messages_of(response) == [
        "The amount paid does not match the bill. Nothing was carried out; the passports department will contact you."]
    bill.refresh_from_db()
    assert bill.status == Bill.Status.UNPAID
    assert AuditEvent.objects.filter(action="passport_bill_amount_mismatch").count() == 1
    # The right amount, but the rule refuses the service today: paid, refundable, and said so.
    SimulatedGatewayEntry.objects.filter(bill_number=bill.number).update(amount=bill.amount)
    services.fine_record(person=world.son, amount=Decimal("150"), reason_ar="مخالفة", reason_en="Violation",
                         issued_on=today, actor=staff)
    response = client.get(url, follow=True)
    assert messages_of(response)[0].startswith("The bill is paid, but the service cannot go ahead today:")
    bill.refresh_from_db()
    assert bill.status == Bill.Status.PAID
    # Refunded since: coming back again says so and does nothing.
    billing.bill_refund(bill=bill, actor=world.father)
    response = client.get(url, follow=True)
    assert messages_of(response) == ["This bill was refunded: it can no longer be paid or used."]
    assert not Receipt.objects.exists()


def test_the_browser_says_paid_but_the_gateway_does_not(client, world, bill):
    """The return page asks the gateway: a forged "paid" from the browser records nothing."""
    signed_in(client, world.father)
    response = client.post(reverse("passports:payment-return", args=[bill.number]), {"outcome": "pay"}, follow=True)
    assert messages_of(response) == ["The payment was declined. The bill is still waiting for payment."]
    bill.refresh_from_db()
    assert bill.status == Bill.Status.UNPAID and not Receipt.objects.exists()


# --- replays and forgeries ---------------------------------------------------------------------------


def test_a_replayed_notification_changes_nothing(client, world, bill, gateway, committed, sms_outbox):
    body = body_for(bill, reference=gateway.pay(bill=bill).reference)
    with committed():
        assert post_notification(client, body).json() == {"status": "fulfilled"}
    sent = len(sms_outbox)
    with committed():
        again = post_notification(client, body)
    assert again.status_code == 200 and again.json() == {"status": "duplicate"}
    # The gateway retrying under a new id is taken, and does nothing twice either.
    with committed():
        retry = post_notification(client, body_for(bill, reference=bill.payment_reference or "GW-REF-1"))
    assert retry.status_code == 200 and retry.json()["status"] == "already_fulfilled"
    fulfilled_once(bill, world.son)
    assert len(sms_outbox) == sent
    assert PaymentNotification.objects.count() == 2


def test_an_old_notification_is_refused_even_with_a_new_id(client, bill, settings):
    at = timezone.now() - settings.PAYMENT_NOTIFICATION_WINDOW - timedelta(seconds=1)
    response = post_notification(client, body_for(bill, at=at))
    assert response.status_code == 403 and response.json() == {"status": signing.STALE}
    future = timezone.now() + settings.PAYMENT_NOTIFICATION_WINDOW + timedelta(seconds=5)
    assert post_notification(client, body_for(bill, at=future)).json() == {"status": signing.STALE}
    bill.refresh_from_db()
    assert bill.status == Bill.Status.UNPAID and not PaymentNotification.objects.exists()


@pytest.mark.parametrize(("case", "http_status", "code"), [
    ("missing signature", 403, signing.MISSING_SIGNATURE),
    ("signed with another key", 403, signing.BAD_SIGNATURE),
    ("body changed after signing", 403, signing.BAD_SIGNATURE),
    ("signature not hex", 403, signing.BAD_SIGNATURE),
    ("not JSON", 400, signing.MALFORMED),
    ("a list", 400, signing.MALFORMED),
    ("bad status", 400, signing.MALFORMED),
    ("paid without a reference", 400, signing.MALFORMED),
    ("timestamp as text", 400, signing.MALFORMED),
    ("timestamp true", 400, signing.MALFORMED),
    ("timestamp out of range", 403, signing.STALE),
    ("bill number with a NUL", 400, signing.MALFORMED),
    ("too large", 413, signing.TOO_LARGE),
    ("unknown bill", 404, settlement.UNKNOWN_BILL),
    ("another amount", 409, services.AMOUNT_MISMATCH),
])
def test_a_bad_notification_is_refused_and_changes_nothing(client, bill, case, http_status, code):
    key = notification_key()
    good = json.loads(body_for(bill))
    body, signature = body_for(bill), None

    def signed(data):
        raw = json.dumps(data).encode()
        return raw, signing.sign(raw, key=key)

    if case == "missing signature":
        signature = ""
    elif case == "signed with another key":
        signature = signing.sign(body, key=b"not-the-gateway-key")
    elif case == "body changed after signing":
        signature = signing.sign(body, key=key)
        body = body.replace(b'"status":"paid"', b'"status":"paid" ')
    elif case == "signature not hex":
        signature = "sha256=" + "\u202e" * 64
    elif case == "not JSON":
        body = b"\xff{not json"
    elif case == "a list":
        body, signature = signed([good])
    elif case == "bad status":
        body, signature = signed({**good, "status": "refunded"})
    elif case == "paid without a reference":
        body, signature = signed({**good, "payment_reference": ""})
    elif case == "timestamp as text":
        body, signature = signed({**good, "timestamp": str(good["timestamp"])})
    elif case == "timestamp true":
        body, signature = signed({**good, "timestamp": True})
    elif case == "timestamp out of range":
        body, signature = signed({**good, "timestamp": 10**20})
    elif case == "bill number with a NUL":
        body, signature = signed({**good, "bill_number": bill.number[:6] + "\x00" + bill.number[6:]})
    elif case == "too large":
        body, signature = signed({**good, "padding": "x" * signing.MAX_BODY_BYTES})
    elif case == "unknown bill":
        body, signature = signed({**good, "bill_number": "100000000008"})
    elif case == "another amount":
        body, signature = signed({**good, "amount": "1.00"})
    response = post_notification(client, body, signature=signature)
    assert response.status_code == http_status, case
    assert response.json() == {"status": code}
    bill.refresh_from_db()
    assert bill.status == Bill.Status.UNPAID and not bill.paid_at
    assert not PaymentNotification.objects.exists() and not Receipt.objects.exists()
    if case == "another amount":
        assert AuditEvent.objects.get(action="passport_bill_amount_mismatch").details["gateway_amount"] == "1.00"


def test_the_notification_route_takes_only_post(client):
    assert client.get(NOTIFY).status_code == 405
    assert client.put(NOTIFY, data=b"{}", content_type="application/json").status_code == 405


@pytest.mark.parametrize(("seconds", "taken"), [(0, True), (300, True), (-300, True), (301, False), (-301, False)])
def test_the_timestamp_window_edges(bill, settings, seconds, taken):
    assert timedelta(minutes=5) == settings.PAYMENT_NOTIFICATION_WINDOW
    now = timezone.now().replace(microsecond=0)
    body = body_for(bill, at=now + timedelta(seconds=seconds))
    if taken:
        assert signing.verified(body, signing.sign(body, key=b"k"), key=b"k", now=now,
                                window=settings.PAYMENT_NOTIFICATION_WINDOW).bill_number == bill.number
    else:
        with pytest.raises(signing.NotificationRejected) as caught:
            signing.verified(body, signing.sign(body, key=b"k"), key=b"k", now=now, window=settings.PAYMENT_NOTIFICATION_WINDOW)
        assert caught.value.code == signing.STALE


# --- reconciliation ----------------------------------------------------------------------------------


def test_reconciliation_confirms_a_paid_but_unnotified_bill_once(world, bill, gateway, committed, sms_outbox):
    billing.bill_payment_start(bill=bill, actor=world.father)
    gateway.pay(bill=bill)  # paid at the gateway; neither the notification nor the browser came back
    now = timezone.now()
    # Too early: the payer may still be on the gateway's page.
    assert settlement.payments_reconcile(now=now).confirmed == 0
    with committed():
        counts = settlement.payments_reconcile(now=now + timedelta(minutes=6))
    assert counts.confirmed == 1 and counts.waiting == 0
    fulfilled_once(bill, world.son)
    assert AuditEvent.objects.get(action="passport_bill_paid").details["source"] == "reconciliation"
    sent = len(sms_outbox)
    with committed():
        again = settlement.payments_reconcile(now=now + timedelta(minutes=12))
    assert again.confirmed == 0
    fulfilled_once(bill, world.son)
    assert len(sms_outbox) == sent


def test_reconciliation_closes_declined_and_lapsed_attempts_and_leaves_the_rest(world, bill, gateway, passport_of,
                                                                                 gateway_failures):
    declined = bill
    billing.bill_payment_start(bill=declined, actor=world.father)
    gateway.decline(bill=declined)
    waiting = services.service_order(service=Service.EXIT_REENTRY, actor=world.father, holder=world.worker,
                                     params={"kind": "exit_reentry_single", "months": 2}, submission_key=uuid.uuid4())
    billing.bill_payment_start(bill=waiting, actor=world.father)
    now = timezone.now()
    counts = settlement.payments_reconcile(now=now + timedelta(minutes=10))
    assert (counts.confirmed, counts.closed, counts.waiting) == (0, 1, 1)
    declined.refresh_from_db()
    waiting.refresh_from_db()
    assert declined.status == Bill.Status.UNPAID and declined.payment_started_at is None
    assert waiting.payment_started_at is not None
    # The gateway cannot be asked: nothing changes, it is asked again next time.
    gateway_failures.append("unreachable")
    assert settlement.payments_reconcile(now=now + timedelta(minutes=20)).unreachable == 1
    # Still unknown a day later: the attempt is closed; the bill stays payable.
    counts = settlement.payments_reconcile(now=now + timedelta(days=1, minutes=1))
    assert counts.closed == 1
    waiting.refresh_from_db()
    assert waiting.status == Bill.Status.UNPAID and waiting.payment_started_at is None


def test_the_reconcile_command_runs_and_says_what_it_did(world, bill, gateway):
    billing.bill_payment_start(bill=bill, actor=world.father)
    Bill.objects.filter(pk=bill.pk).update(payment_started_at=timezone.now() - timedelta(minutes=30))
    gateway.pay(bill=bill)
    from io import StringIO

    out = StringIO()
    call_command("reconcile_payments", stdout=out)
    assert "payments confirmed: 1" in out.getvalue()
    fulfilled_once(bill, world.son)
    out = StringIO()
    call_command("reconcile_payments", "--minutes", "0", stdout=out)
    assert "payments confirmed: 0" in out.getvalue()


# --- refunds in three steps ----------------------------------------------------------------------------


@pytest.fixture
def refundable(world, bill, gateway):
    """A paid, unused bill (paid at the gateway and recorded, the service not carried out yet)."""
    payment = gateway.pay(bill=bill)
    return billing.bill_pay(bill=bill, payment_reference=payment.reference, actor=world.father)


def refunds_at_the_gateway(bill) -> int:
    return SimulatedGatewayEntry.objects.filter(kind=SimulatedGatewayEntry.Kind.REFUND, bill_number=bill.number).count()


def test_a_refund_goes_through_its_three_steps(world, refundable, committed, sms_outbox):
    bill = billing.bill_refund_start(bill=refundable, actor=world.father)
    assert bill.status == Bill.Status.REFUND_PENDING and len(bill.refund_key) == 32
    with pytest.raises(BillRefundPending) as caught:
        services.bill_fulfil(bill=bill, actor=world.father)  # a bill being refunded is not used
    assert caught.value.code == "bill_refund_pending"
    answer = billing.bill_refund_send(bill=bill)
    assert answer.outcome == billing.REFUNDED and answer.key == bill.refund_key
    with committed():
        bill = billing.bill_refund_finish(bill=bill, answer=answer, actor=world.father)
    assert bill.status == Bill.Status.REFUNDED and bill.refund_reference == answer.reference
    assert refunds_at_the_gateway(bill) == 1
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="passport_bill_refund").order_by("id")] == [
        "passport_bill_refund_requested", "passport_bill_refunded"]
    assert Notice.objects.filter(source="passports", kind=Kind.REFUNDED).count() == 1
    assert bill.number in sms_outbox[-1].body


def test_every_refund_step_is_safe_to_repeat(world, refundable):
    first = billing.bill_refund_start(bill=refundable, actor=world.father)
    again = billing.bill_refund_start(bill=refundable, actor=world.father)
    assert again.refund_key == first.refund_key
    one = billing.bill_refund_send(bill=first)
    two = billing.bill_refund_send(bill=first)
    assert one == two and refunds_at_the_gateway(first) == 1  # same key: refunded once
    billing.bill_refund_finish(bill=first, answer=one)
    billing.bill_refund_finish(bill=first, answer=two)
    assert billing.bill_refund_send(bill=first) is None  # nothing pending any more
    assert AuditEvent.objects.filter(action="passport_bill_refunded").count() == 1
    assert Notice.objects.filter(source="passports", kind=Kind.REFUNDED).count() == 1


def test_a_refund_asked_twice_refunds_once(world, refundable):
    billing.bill_refund(bill=refundable, actor=world.father)
    with pytest.raises(BillRefunded) as caught:
        billing.bill_refund(bill=refundable, actor=world.father)
    assert caught.value.code == "bill_refunded"
    assert refunds_at_the_gateway(refundable) == 1


def test_a_refund_whose_commit_fails_after_the_gateway_call_is_finished_by_resume_once(world, refundable, monkeypatch,
                                                                                       committed, sms_outbox):
    """The crash of the old code: the gateway refunded, then the transaction recording it failed."""
    real_notify = billing.notifications.notify

    def crash(*args, **kwargs):
        raise RuntimeError("the database went away during the commit")

    monkeypatch.setattr(billing.notifications, "notify", crash)
    with pytest.raises(RuntimeError):
        billing.bill_refund(bill=refundable, actor=world.father)
    refundable.refresh_from_db()
    assert refundable.status == Bill.Status.REFUND_PENDING  # the money is back with the citizen: the bill says so
    assert refunds_at_the_gateway(refundable) == 1
    assert not AuditEvent.objects.filter(action="passport_bill_refunded").exists()

    monkeypatch.setattr(billing.notifications, "notify", real_notify)
    with committed():
        counts = billing.bills_refund_resume()
    assert (counts.refunded, counts.declined, counts.pending) == (1, 0, 0)
    refundable.refresh_from_db()
    assert refundable.status == Bill.Status.REFUNDED
    assert refunds_at_the_gateway(refundable) == 1  # the same key: not refunded twice
    assert billing.bills_refund_resume().refunded == 0
    assert AuditEvent.objects.filter(action="passport_bill_refunded").count() == 1
    assert Notice.objects.filter(source="passports", kind=Kind.REFUNDED).count() == 1


def test_a_refund_interrupted_before_the_gateway_call_is_finished_by_resume(world, refundable, monkeypatch):
    monkeypatch.setattr(billing, "bill_refund_send", lambda **kw: (_ for _ in ()).throw(RuntimeError("crash")))
    with pytest.raises(RuntimeError):
        billing.bill_refund(bill=refundable, actor=world.father)
    monkeypatch.undo()
    assert refunds_at_the_gateway(refundable) == 0
    assert billing.bills_refund_resume().refunded == 1
    refundable.refresh_from_db()
    assert refundable.status == Bill.Status.REFUNDED and refunds_at_the_gateway(refundable) == 1


UNDER_WAY = "The refund was asked for. The payment service has not answered yet: the refund completes on its own."


def test_the_refund_page_never_calls_the_gateway_a_task_does_after_the_commit(client, world, refundable,
                                                                              django_capture_on_commit_callbacks):
    signed_in(client, world.father)
    with django_capture_on_commit_callbacks() as enqueued:
        response = client.post(reverse("passports:bill-refund", args=[refundable.number]), follow=True)
    assert messages_of(response) == [UNDER_WAY]
    assert refunds_at_the_gateway(refundable) == 0  # the request asked nobody outside
    with translation.override("en"):
        page = client.get(reverse("passports:bill-detail", args=[refundable.number])).content.decode()
    assert "A refund of this bill is under way." in page and "Refund under way" in page
    assert reverse("passports:bill-refund", args=[refundable.number]) not in page
    # Asked again while pending: one refund, no second task.
    with django_capture_on_commit_callbacks() as again:
        client.post(reverse("passports:bill-refund", args=[refundable.number]))
    assert again == []
    assert len(enqueued) == 1
    enqueued[0]()  # the commit: the task runs (eagerly in the unit tests)
    refundable.refresh_from_db()
    assert refundable.status == Bill.Status.REFUNDED and refunds_at_the_gateway(refundable) == 1
    assert AuditEvent.objects.filter(action="passport_bill_refunded").count() == 1


def test_a_refund_rolled_back_with_its_request_enqueues_nothing(world, refundable, monkeypatch,
                                                               django_capture_on_commit_callbacks):
    def crash(**kwargs):
        raise RuntimeError("the audit row could not be written")

    monkeypatch.setattr(billing, "audit_record", crash)
    with django_capture_on_commit_callbacks() as enqueued, pytest.raises(RuntimeError):
        billing.bill_refund_request(bill=refundable, actor=world.father)
    assert enqueued == []
    refundable.refresh_from_db()
    assert refundable.status == Bill.Status.PAID and refunds_at_the_gateway(refundable) == 0


def test_a_gateway_timeout_is_asked_again_by_the_task_and_refunds_once(client, world, refundable, gateway_failures,
                                                                        committed):
    gateway_failures.append("timeout")  # the gateway refunds, but its answer is lost: the task asks again
    signed_in(client, world.father)
    with committed():
        response = client.post(reverse("passports:bill-refund", args=[refundable.number]), follow=True)
    assert messages_of(response) == [UNDER_WAY]
    refundable.refresh_from_db()
    assert refundable.status == Bill.Status.REFUNDED and refunds_at_the_gateway(refundable) == 1
    assert settlement.payments_reconcile(now=timezone.now() + timedelta(minutes=6)).refunds.refunded == 0
    assert AuditEvent.objects.filter(action="passport_bill_refunded").count() == 1


def test_a_gateway_that_never_answers_leaves_the_refund_to_the_reconciliation_which_refunds_once(
        client, world, refundable, gateway_failures, committed):
    from passports.tasks import REFUND_RETRY_DELAYS

    gateway_failures.extend(["unreachable"] * (1 + len(REFUND_RETRY_DELAYS)))
    signed_in(client, world.father)
    with committed():
        response = client.post(reverse("passports:bill-refund", args=[refundable.number]), follow=True)
    assert messages_of(response) == [UNDER_WAY]
    assert gateway_failures == []  # the task tried once and retried as often as it may
    refundable.refresh_from_db()
    assert refundable.status == Bill.Status.REFUND_PENDING and refunds_at_the_gateway(refundable) == 0
    # Too recent for the reconciliation's default wait; then it finishes it, once.
    assert settlement.payments_reconcile().refunds.refunded == 0
    counts = settlement.payments_reconcile(now=timezone.now() + timedelta(minutes=6))
    assert counts.refunds.refunded == 1
    refundable.refresh_from_db()
    assert refundable.status == Bill.Status.REFUNDED and refunds_at_the_gateway(refundable) == 1
    assert settlement.payments_reconcile(now=timezone.now() + timedelta(minutes=12)).refunds.refunded == 0


def test_a_refund_the_gateway_refuses_leaves_the_bill_paid_and_refundable_again(client, world, refundable,
                                                                               gateway_failures, committed):
    gateway_failures.append("decline")
    with pytest.raises(RefundDeclined) as caught:
        billing.bill_refund(bill=refundable, actor=world.father)
    assert caught.value.code == "refund_declined"
    refundable.refresh_from_db()
    assert refundable.status == Bill.Status.PAID and refundable.refund_key == "" and refunds_at_the_gateway(refundable) == 0
    assert AuditEvent.objects.filter(action="passport_bill_refund_declined").count() == 1
    # From the page: the task hears the refusal after the commit; the bill's page offers the refund again.
    gateway_failures.append("decline")
    signed_in(client, world.father)
    with committed():
        response = client.post(reverse("passports:bill-refund", args=[refundable.number]), follow=True)
    assert messages_of(response) == [UNDER_WAY]
    refundable.refresh_from_db()
    assert refundable.status == Bill.Status.PAID and refunds_at_the_gateway(refundable) == 0
    assert AuditEvent.objects.filter(action="passport_bill_refund_declined").count() == 2
    # The citizen, who may have left the page, is told as a refund would tell them: a notice and an SMS.
    refusals = Notice.objects.filter(user=world.father, source="passports", kind="refund_refused")
    assert refusals.count() == 2
    with translation.override("en"):
        assert "refused the refund of bill " + refundable.number in refusals.first().text
    page = client.get(reverse("passports:bill-detail", args=[refundable.number])).content.decode()
    assert reverse("passports:bill-refund", args=[refundable.number]) in page
    refunded = billing.bill_refund(bill=refundable, actor=world.father)
    assert refunded.status == Bill.Status.REFUNDED and refunds_at_the_gateway(refundable) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("failure", "message", "status"), [
    ("", "The bill was refunded.", Bill.Status.REFUNDED),
    ("decline", "The payment service refused the refund. The bill is still paid; try again later.", Bill.Status.PAID),
])
def test_in_development_the_task_runs_at_the_commit_and_the_page_says_how_it_went(
        client, world, refundable, gateway_failures, failure, message, status):
    """No broker (run.sh): tasks run eagerly when the request's transaction commits, before the page answers."""
    if failure:
        gateway_failures.append(failure)
    signed_in(client, world.father)
    response = client.post(reverse("passports:bill-refund", args=[refundable.number]), follow=True)
    assert messages_of(response) == [message]
    refundable.refresh_from_db()
    assert refundable.status == status


def test_a_used_bill_is_never_refunded(world, bill, gateway):
    payment = gateway.pay(bill=bill)
    services.payment_confirm(bill=bill, payment=payment, actor=world.father, source="test")
    with pytest.raises(BillAlreadyUsed):
        billing.bill_refund(bill=bill, actor=world.father)
    assert refunds_at_the_gateway(bill) == 0


def test_the_resume_command(world, refundable, gateway_failures):
    gateway_failures.append("unreachable")
    billing.bill_refund(bill=refundable, actor=world.father)
    from io import StringIO

    out = StringIO()
    call_command("bills_refund_resume", stdout=out)
    assert out.getvalue().strip() == "refunds finished: 1, refused by the gateway: 0, still pending: 0"


# --- the status table -----------------------------------------------------------------------------------


def test_the_bill_status_table_refuses_every_other_move(refundable):
    every = [choice for choice, _label in Bill.Status.choices]
    assert set(billing.BILL_MOVES) == set(every)
    allowed = {(a, b) for a, moves in billing.BILL_MOVES.items() for b in moves}
    assert allowed == {("unpaid", "paid"), ("paid", "used"), ("paid", "refund_pending"), ("refund_pending", "refunded"),
                       ("refund_pending", "paid")}
    for from_status in every:
        for to_status in every:
            refundable.status = from_status
            if (from_status, to_status) in allowed:
                billing._move(refundable, to_status)
                assert refundable.status == to_status
            else:
                with pytest.raises(BillMoveNotAllowed) as caught:
                    billing._move(refundable, to_status)
                assert caught.value.code == "bill_move_not_allowed"


def test_a_pending_refund_always_has_its_idempotency_key(refundable):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Bill.objects.filter(pk=refundable.pk).update(status=Bill.Status.REFUND_PENDING, refund_key="")


# --- the simulated gateway's page and settings ---------------------------------------------------------


def test_the_simulated_page_takes_only_pay_or_decline(client, world, bill):
    signed_in(client, world.father)
    url = reverse("passports:payment-simulated", args=[bill.number])
    assert client.post(url, {"outcome": "steal"}).url == url
    assert not SimulatedGatewayEntry.objects.exists() and not PaymentNotification.objects.exists()
    assert client.post(url, {"outcome": "pay"}).url == reverse("passports:payment-return", args=[bill.number])
    # Back on the gateway's page of a paid bill: it takes no second payment.
    again = client.post(url, {"outcome": "pay"}, follow=True)
    assert messages_of(again) == ["This bill is already paid: it cannot be paid twice."]
    assert SimulatedGatewayEntry.objects.count() == 1 and PaymentNotification.objects.count() == 1


def test_the_simulated_gateway_takes_one_payment_per_bill(bill, gateway):
    first = gateway.pay(bill=bill)
    assert gateway.pay(bill=bill) == first
    assert gateway.decline(bill=bill) == first  # a decline after the payment changes nothing
    assert gateway.status(bill_number=bill.number) == PaymentStatus(state=PAID, reference=first.reference, amount=bill.amount)
    assert gateway.status(bill_number="100000000008") == PaymentStatus(state=UNPAID)


def test_the_deploy_check_wants_a_long_notification_key(settings):
    settings.PAYMENT_NOTIFICATION_KEY = ""
    assert [e.id for e in checks.check_payment_notification_key(None)] == ["passports.E002"]
    settings.PAYMENT_NOTIFICATION_KEY = "x" * (checks.NOTIFICATION_KEY_MIN_LENGTH - 1)
    assert [e.id for e in checks.check_payment_notification_key(None)] == ["passports.E003"]
    settings.PAYMENT_NOTIFICATION_KEY = "x" * checks.NOTIFICATION_KEY_MIN_LENGTH
    assert checks.check_payment_notification_key(None) == []


def test_the_notification_key_is_the_setting_or_derived_from_the_secret_key(settings):
    settings.PAYMENT_NOTIFICATION_KEY = "the-key-agreed-with-the-gateway-0123456789"
    assert notification_key() == b"the-key-agreed-with-the-gateway-0123456789"
    settings.PAYMENT_NOTIFICATION_KEY = ""
    derived = notification_key()
    assert len(derived) == 32 and settings.SECRET_KEY.encode() not in derived


def test_production_refuses_to_start_without_the_notification_key():
    env = {k: v for k, v in os.environ.items() if k != "PAYMENT_NOTIFICATION_KEY"}
    env.update({
        "DJANGO_SETTINGS_MODULE": "absher.settings.production", "DJANGO_ALLOWED_HOSTS": "x", "DATABASE_URL": "sqlite:///x",
        "DJANGO_SECRET_KEY": "k" * 50, "OTP_HMAC_KEY": "o" * 40, "FINGERPRINT_KEY": "q7mY1c7Qz5q0y3wUq1l2y0m3bH9sQk2uR8vX4nT6pLw=",
    })
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode != 0 and "PAYMENT_NOTIFICATION_KEY" in result.stderr


def test_a_broker_down_when_the_refund_is_asked_for_fails_no_page_and_the_reconciliation_finishes_it(
        client, world, refundable, monkeypatch, committed, caplog):
    from kombu.exceptions import OperationalError

    from passports import tasks

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.bill_refund_complete, "delay", broker_down)
    signed_in(client, world.father)
    with committed():
        response = client.post(reverse("passports:bill-refund", args=[refundable.number]), follow=True)
    assert response.status_code == 200 and messages_of(response) == [UNDER_WAY]
    assert "not enqueued (OperationalError)" in caplog.text
    refundable.refresh_from_db()
    assert refundable.status == Bill.Status.REFUND_PENDING and refunds_at_the_gateway(refundable) == 0
    assert settlement.payments_reconcile(now=timezone.now() + timedelta(minutes=6)).refunds.refunded == 1
    refundable.refresh_from_db()
    assert refundable.status == Bill.Status.REFUNDED and refunds_at_the_gateway(refundable) == 1
