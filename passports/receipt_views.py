"""A receipt as a document: its page (printable) and its PDF, both with the QR code of the public
verification page (absher.verification). Only whoever may see the receipt today gets them (404)."""

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from absher.verification import labels, pdf, signing
from absher.verification.documents import Document, Row, mask_id, qr_svg, verification_url
from accounts.decorators import active_account_required
from civil_affairs.templatetags.calendars import dual_date

from . import selectors
from .forms import OFFICES
from .models import Passport, Receipt
from .notifications import money

KIND = "R"


def collection_office(receipt: Receipt) -> str:
    """The passports office the citizen chose to collect the passport from, or ""."""
    passport = receipt.passport if receipt.passport_id else None
    if passport is None or passport.delivery != Passport.Delivery.COLLECTION or not passport.office:
        return ""
    return str(dict(OFFICES).get(passport.office, passport.office))


def _name(person) -> str:
    return person.name_ar if (get_language() or "ar").startswith("ar") else person.name_en


def receipt_as_document(receipt: Receipt) -> Document:
    """The receipt's document: the rows anyone holding it may read, and the fields its code signs."""
    issued_on = timezone.localdate(receipt.created_at)
    office = collection_office(receipt)
    holder = receipt.holder
    rows = [
        Row(labels.SERVICE, str(receipt.get_service_display())),
        Row(labels.RECEIPT_NUMBER, receipt.reference, ltr=True),
        Row(labels.DATE, dual_date(issued_on)),
        Row(labels.FOR, _name(holder)),
        Row(labels.ID_NUMBER, mask_id(holder.national_id), ltr=True),
        Row(labels.AMOUNT_PAID, money(receipt.amount), ltr=True),
    ]
    if office:
        rows.append(Row(labels.COLLECTION_OFFICE, office))
    passport = receipt.passport if receipt.passport_id else None
    fields = (holder.national_id, receipt.service, str(receipt.amount), passport.delivery if passport else "",
              passport.office if passport else "", str(receipt.bill_id or ""))
    return Document(
        kind=KIND, reference=receipt.reference, title=labels.RECEIPT, rows=rows,
        signed=(f"{receipt.amount:.2f}", issued_on.isoformat(), signing.digest(*fields)),
        filename=f"receipt-{receipt.reference}.pdf",
    )


def receipt_document(reference: str) -> Document | None:
    """The loader of absher.verification.documents.KINDS: the receipt whoever asks, or None."""
    receipt = Receipt.objects.filter(reference=reference).select_related("holder", "passport").first()
    return receipt_as_document(receipt) if receipt else None


def _own_or_404(request, reference) -> Receipt:
    receipt = selectors.receipt_of(request.user, reference, today=timezone.localdate())
    if receipt is None:
        raise Http404
    return receipt


@active_account_required
def receipt_detail(request, reference):
    receipt = _own_or_404(request, reference)
    document = receipt_as_document(receipt)
    url = verification_url(request, document)
    return render(request, "passports/receipt_detail.html", {
        "receipt": receipt, "today": timezone.localdate(), "document": document, "verify_url": url,
        "qr": qr_svg(url), "office": collection_office(receipt), "issued_on": timezone.localdate(receipt.created_at),
        "pdf_url": reverse("passports:receipt-pdf", args=[receipt.reference]),
    })


@active_account_required
def receipt_pdf(request, reference):
    receipt = _own_or_404(request, reference)
    return pdf.response(request, receipt_as_document(receipt))
