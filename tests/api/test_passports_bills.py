"""Bills, their payment and receipts through the API: the pages' services, the domain errors in
the one error shape (reason code, message in the Accept-Language)."""

import pytest
from django.urls import reverse
from django.utils import translation

from api import errors
from passports.exceptions import BillAlreadyPaid, PaymentGatewayError, ServiceRefused
from passports.models import Bill
from passports.rules import Decision

from .fixtures_passports import *  # noqa: F403  (the fixtures)

pytestmark = pytest.mark.django_db


def test_the_bills_list_and_a_bill(api_as, world, passport_bill):
    client = api_as(world.father, "en")
    listed = client.get(reverse("api:bills-list")).json()
    assert listed["count"] == 1
    bill = listed["results"][0]
    assert bill["number"] == passport_bill.number and bill["status"] == "unpaid" and bill["payable"] is True
    assert bill["holder"] == {"national_id": world.son.national_id, "name": "Omar Harbi"}
    assert bill["service"] == "passport" and bill["amount"] == str(passport_bill.amount)
    assert [line["code"] for line in bill["lines"]] == [line["code"] for line in passport_bill.lines]
    assert all(line["name"] for line in bill["lines"])
    detail = client.get(reverse("api:bills-detail", args=[passport_bill.number])).json()
    assert detail == bill
    assert api_as(world.stranger).get(reverse("api:bills-list")).json()["count"] == 0


def test_paying_a_bill_starts_the_payment_as_the_page_does(api_as, world, passport_bill):
    response = api_as(world.father).post(reverse("api:bills-pay", args=[passport_bill.number]))
    assert response.status_code == 200
    body = response.json()
    assert body["payment_url"] == "http://testserver" + reverse("passports:payment-simulated",
                                                                args=[passport_bill.number])
    assert body["bill"]["number"] == passport_bill.number
    passport_bill.refresh_from_db()
    assert passport_bill.payment_started_at is not None and passport_bill.status == Bill.Status.UNPAID


def test_a_used_bill_gives_its_receipt_and_cannot_be_paid_again(api_as, world, passport_receipt):
    bill = passport_receipt.bill
    client = api_as(world.father, "en")
    detail = client.get(reverse("api:bills-detail", args=[bill.number])).json()
    assert detail["status"] == "used" and detail["payable"] is False
    assert detail["receipt_reference"] == passport_receipt.reference
    assert client.get(reverse("api:bills-list")).json()["results"][0]["receipt_reference"] == passport_receipt.reference
    response = client.post(reverse("api:bills-pay", args=[bill.number]))
    assert response.status_code == 409
    assert response.json() == {"error": {"code": "bill_already_paid",
                                         "message": "This bill is already paid: it cannot be paid twice."}}
    arabic = api_as(world.father).post(reverse("api:bills-pay", args=[bill.number]))
    assert arabic.status_code == 409 and arabic.json()["error"]["code"] == "bill_already_paid"
    with translation.override("ar"):
        assert arabic.json()["error"]["message"] == BillAlreadyPaid().message()
    assert arabic.json()["error"]["message"] != response.json()["error"]["message"]


@pytest.mark.parametrize(("status", "code"), [
    (Bill.Status.PAID, "bill_already_paid"),
    (Bill.Status.REFUND_PENDING, "bill_refund_pending"),
    (Bill.Status.REFUNDED, "bill_refunded"),
])
def test_a_bill_not_waiting_for_payment_is_a_409(api_as, world, passport_bill, status, code):
    Bill.objects.filter(pk=passport_bill.pk).update(status=status, refund_key="k")
    response = api_as(world.father).post(reverse("api:bills-pay", args=[passport_bill.number]))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == code


def test_receipts_list_detail_and_pdf(api_as, world, passport_receipt):
    client = api_as(world.father, "en")
    listed = client.get(reverse("api:receipts-list")).json()
    assert [row["reference"] for row in listed["results"]] == [passport_receipt.reference]
    detail = client.get(reverse("api:receipts-detail", args=[passport_receipt.reference])).json()
    assert detail["service"] == "passport" and detail["holder"]["national_id"] == world.son.national_id
    assert detail["bill_number"] == passport_receipt.bill.number
    assert detail["passport"]["number"] == passport_receipt.passport.number
    assert detail["passport"]["validity_years"] == 5
    assert detail["collection_office"] == "Riyadh passports office"
    assert detail["visa"] is None and detail["fine"] is None
    assert detail["verification_url"].startswith("http://testserver/")
    assert detail["pdf_url"] == "http://testserver" + reverse("api:receipts-pdf", args=[passport_receipt.reference])
    pdf = client.get(detail["pdf_url"], HTTP_ACCEPT="application/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and pdf["Cache-Control"] == "private, no-store"
    # Another citizen's receipt does not exist for them; the errors stay JSON whatever Accept says.
    missing = api_as(world.stranger).get(detail["pdf_url"], HTTP_ACCEPT="application/pdf")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert api_as(world.stranger).get(reverse("api:receipts-list")).json()["count"] == 0


def test_a_receipt_about_someone_no_longer_acted_for_is_gone(api_as, world, passport_receipt):
    from civil_affairs.models import Person

    # The son is no longer his (the registry's link changed): as on the page, his receipts are not listed.
    Person.objects.filter(pk=world.son.pk).update(father=None, mother=None)
    client = api_as(world.father)
    assert client.get(reverse("api:receipts-list")).json()["count"] == 0
    assert client.get(reverse("api:receipts-detail", args=[passport_receipt.reference])).status_code == 404


# --- the domain errors -----------------------------------------------------------------------------


def test_domain_errors_answer_with_their_status_and_reason_code():
    import api.resources.passports  # noqa: F401  (registers them)

    with translation.override("en"):
        refused = errors.exception_handler(ServiceRefused(Decision(reasons=("unpaid_fines",))), {})
        paid = errors.exception_handler(BillAlreadyPaid(), {})
        gateway = errors.exception_handler(PaymentGatewayError(), {})
    assert refused.status_code == 400
    assert refused.data == {"error": {"code": "refused",
                                      "message": "There are unpaid fines recorded: pay them first."}}
    assert paid.status_code == 409 and paid.data["error"]["code"] == "bill_already_paid"
    assert gateway.status_code == 503 and gateway.data["error"]["code"] == "payment_gateway_error"


# --- starting a service: a passport's renewal ---------------------------------------------------


def test_a_passport_renewal_gives_a_bill_once_per_submission_key(api_as, world, passport_of, today):
    import uuid
    from datetime import timedelta

    passport_of(world.son, expires_on=today + timedelta(days=20))
    client = api_as(world.father, "en")
    url = reverse("api:passports-passport-apply", args=[world.son.national_id])
    answers = {"years": 5, "delivery": "collection", "office": "riyadh", "submission_key": str(uuid.uuid4())}
    response = client.post(url, answers, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["receipt"] is None and body["bill"]["status"] == "unpaid" and body["bill"]["service"] == "passport"
    bill = Bill.objects.get(number=body["bill"]["number"])
    assert bill.payer == world.father and bill.holder == world.son
    assert bill.params == {"years": 5, "delivery": "collection", "office": "riyadh"}
    # The same submission key again (a retry): the same bill.
    assert client.post(url, answers, format="json").json()["bill"]["number"] == bill.number
    assert Bill.objects.filter(payer=world.father).count() == 1


@pytest.mark.parametrize(("answers", "field", "code"), [
    ({"years": 5, "delivery": "collection", "office": ""}, "office", "office_required"),
    ({"years": 7, "delivery": "post"}, "years", "invalid_choice"),
    ({"years": 5, "delivery": "drone"}, "delivery", "invalid_choice"),
    ({"years": 5, "delivery": "post", "submission_key": "not-a-uuid"}, "submission_key", "invalid"),
])
def test_a_passport_renewals_answers_are_checked_by_the_pages_form(api_as, world, passport_of, today, answers, field,
                                                                  code):
    import uuid
    from datetime import timedelta

    passport_of(world.son, expires_on=today + timedelta(days=20))
    answers = {"submission_key": str(uuid.uuid4()), **answers}
    response = api_as(world.father).post(reverse("api:passports-passport-apply", args=[world.son.national_id]), answers,
                                         format="json")
    assert response.status_code == 400
    assert [e["code"] for e in response.json()["error"]["fields"][field]] == [code]
    assert not Bill.objects.exists()


def test_a_passport_renewal_not_an_object_is_a_400(api_as, world):
    response = api_as(world.father).post(reverse("api:passports-passport-apply", args=[world.son.national_id]),
                                         [1, 2], format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"years", "delivery", "submission_key"}


def test_a_passport_renewal_refused_whatever_the_answers_says_why(api_as, world, passport_of, today):
    import uuid
    from datetime import timedelta

    # The daughter is 17 without her own ID card: refused before any answer is read (as on the page).
    passport_of(world.daughter, expires_on=today + timedelta(days=20))
    response = api_as(world.father, "en").post(reverse("api:passports-passport-apply", args=[world.daughter.national_id]),
                                               {"submission_key": str(uuid.uuid4())}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "refused"
    assert "national ID card" in response.json()["error"]["message"]
    assert api_as(world.stranger).post(reverse("api:passports-passport-apply", args=[world.son.national_id]), {},
                                       format="json").status_code == 404
