"""Bills, their payment, receipts and a receipt's PDF: the pages' selectors and services
(passports/views.py bill_detail and bill_pay, passports/receipt_views.py).

A bill is the payer's own (selectors.bills_of / bill_of); a receipt the applicant's own, about a
person they may still act for (selectors.receipt_of, and for the list the same people through
selectors.acting_people). Anything else does not exist for the citizen: 404.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from absher.request_info import client_address
from absher.verification import pdf
from absher.verification.documents import verification_url
from api.schema import ERRORS
from passports import billing, selectors
from passports.exceptions import BillAlreadyPaid
from passports.models import Bill, Receipt
from passports.payments import get_backend
from passports.receipt_views import collection_office, receipt_as_document

from . import passports_shapes as shapes
from .passports import fake_view, language, today
from .passports_serializers import (
    BillSerializer,
    PaymentStartSerializer,
    ReceiptDetailSerializer,
    ReceiptSerializer,
    dual,
)


def fee_names() -> dict:
    """The fees' names in the reader's language, as the bill's page shows its lines (one query)."""
    return dict(selectors.fees_for_display().values_list("code", "name_ar" if language() == "ar" else "name_en"))


def _bill_or_404(request, number) -> Bill:
    bill = selectors.bill_of(request.user, number)
    if bill is None:
        raise NotFound()
    return bill


def _receipt_reference(bill: Bill) -> str | None:
    if bill.status != Bill.Status.USED:
        return None
    receipt = Receipt.objects.filter(bill=bill).only("reference").first()
    return receipt.reference if receipt else None


class BillListView(ListAPIView):
    serializer_class = BillSerializer

    def get_queryset(self):
        if fake_view(self):
            return Bill.objects.none()
        return selectors.bills_of(self.request.user).select_related("receipt")

    @extend_schema(operation_id="bills_list", tags=["bills"], responses={200: BillSerializer(many=True), **ERRORS(401, 403,
                                                                                                                  404)},
                   summary="The citizen's bills, newest first.")
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        names = fee_names()
        rows = []
        for bill in page:
            receipt = getattr(bill, "receipt", None) if bill.status == Bill.Status.USED else None
            rows.append(shapes.bill(bill, fee_names=names, receipt_reference=receipt.reference if receipt else None))
        return self.get_paginated_response(BillSerializer(rows, many=True).data)


class BillView(APIView):
    @extend_schema(operation_id="bills_detail", tags=["bills"], responses={200: BillSerializer, **ERRORS(401, 403, 404)},
                   summary="A bill: its fee lines, status and, once used, its receipt.")
    def get(self, request, number):
        bill = _bill_or_404(request, number)
        return Response(BillSerializer(shapes.bill(bill, fee_names=fee_names(),
                                                   receipt_reference=_receipt_reference(bill))).data)


class BillPayView(APIView):
    @extend_schema(
        operation_id="bills_pay", tags=["bills"], request=None,
        responses={200: PaymentStartSerializer, **ERRORS(401, 403, 404, 409, 503)},
        summary="Start paying an unpaid bill: where to send the payer (the payment gateway's page).",
        description="As the bill's page does: the payment's start is recorded (reconciliation asks the gateway about "
                    "it later) and the gateway's page is given. The gateway tells the portal of the payment "
                    "server-to-server; GET the bill for its status. A bill not waiting for payment: 409 "
                    "(bill_already_paid, bill_refund_pending, bill_refunded); the gateway out of reach: 503 "
                    "(payment_gateway_error).",
    )
    def post(self, request, number):
        bill = _bill_or_404(request, number)
        if bill.status != Bill.Status.UNPAID:
            # As the page says it: a paid or used bill is "already paid", else what its status refuses.
            if bill.status in (Bill.Status.PAID, Bill.Status.USED):
                raise BillAlreadyPaid()
            raise billing.refusal_of(bill)
        bill = billing.bill_payment_start(bill=bill, actor=request.user, client_address=client_address(request))
        url = get_backend().start(bill=bill, request=request._request)
        return Response(PaymentStartSerializer({
            "payment_url": request.build_absolute_uri(url),
            "bill": shapes.bill(bill, fee_names=fee_names(), receipt_reference=None),
        }).data)


# --- receipts ------------------------------------------------------------------------------


def receipt_row(receipt: Receipt) -> dict:
    from django.utils import timezone

    return {
        "reference": receipt.reference, "service": receipt.service, "service_label": receipt.get_service_display(),
        "holder": shapes.holder(receipt.holder), "amount": receipt.amount, "created_at": receipt.created_at,
        "issued_on": dual(timezone.localdate(receipt.created_at)),
    }


class ReceiptListView(ListAPIView):
    serializer_class = ReceiptSerializer

    def get_queryset(self):
        if fake_view(self):
            return Receipt.objects.none()
        # As selectors.receipt_of: the applicant's own, about people they may still act for today.
        people = [acting.person.pk for acting in selectors.acting_people(self.request.user, today=today())]
        return (Receipt.objects.filter(applicant=self.request.user, holder_id__in=people).select_related("holder")
                .order_by("-created_at", "-id"))

    @extend_schema(operation_id="receipts_list", tags=["receipts"],
                   responses={200: ReceiptSerializer(many=True), **ERRORS(401, 403, 404)},
                   summary="The citizen's receipts, newest first.")
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ReceiptSerializer([receipt_row(row) for row in page], many=True).data)


def _receipt_or_404(request, reference) -> Receipt:
    receipt = selectors.receipt_of(request.user, reference, today=today())
    if receipt is None:
        raise NotFound()
    return receipt


class ReceiptView(APIView):
    @extend_schema(operation_id="receipts_detail", tags=["receipts"],
                   responses={200: ReceiptDetailSerializer, **ERRORS(401, 403, 404)},
                   summary="A receipt: what the service did, for whom, at what cost.")
    def get(self, request, reference):
        from django.urls import reverse

        receipt = _receipt_or_404(request, reference)
        day = today()
        passport = receipt.passport if receipt.passport_id else None
        renewal = receipt.iqama_renewal if receipt.iqama_renewal_id else None
        document = receipt_as_document(receipt)
        return Response(ReceiptDetailSerializer({
            **receipt_row(receipt),
            "bill_number": receipt.bill.number if receipt.bill_id else None,
            "passport": shapes.passport(passport, day) if passport else None,
            "collection_office": collection_office(receipt),
            "iqama_renewal": {"years": renewal.years, "new_expiry": dual(renewal.new_expiry), "late": renewal.late}
            if renewal else None,
            "visa": shapes.visa(receipt.visa, day) if receipt.visa_id else None,
            "travel_permit": shapes.permit(receipt.travel_permit, day) if receipt.travel_permit_id else None,
            "absence_report": shapes.absence_report(receipt.absconding_report) if receipt.absconding_report_id else None,
            "fine": shapes.fine(receipt.fine) if receipt.fine_id else None,
            "verification_url": verification_url(request, document),
            "pdf_url": request.build_absolute_uri(reverse("api:receipts-pdf", args=[receipt.reference])),
        }).data)


class ReceiptPdfView(APIView):
    def perform_content_negotiation(self, request, force=False):
        # The PDF is an HttpResponse of its own; everything else (the errors) is JSON, whatever Accept says.
        renderer = JSONRenderer()
        return renderer, renderer.media_type

    @extend_schema(
        operation_id="receipts_pdf", tags=["receipts"],
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The receipt as PDF, "
                   "in the Accept-Language, with the QR code of its verification page."), **ERRORS(401, 403, 404)},
        summary="The receipt's PDF (as the receipt page serves it).",
    )
    def get(self, request, reference):
        receipt = _receipt_or_404(request, reference)
        return pdf.response(request._request, receipt_as_document(receipt))
