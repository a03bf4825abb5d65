"""The decision on a request as a document: its page (printable) and its PDF, with the QR code of
the public verification page (absher.verification). Only the applicant gets them (404 otherwise),
and only once the request is approved or rejected."""

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from absher.verification import labels, pdf, signing
from absher.verification.documents import Document, Row, mask_id, qr_svg, verification_url
from accounts.decorators import active_account_required

from . import selectors
from .models import RequestStatus, ServiceRequest
from .templatetags.calendars import dual_date

KIND = "D"
DECIDED = (RequestStatus.APPROVED, RequestStatus.REJECTED)


def _ar() -> bool:
    return (get_language() or "ar").startswith("ar")


def _name(person) -> str:
    return person.name_ar if _ar() else person.name_en


def decision_as_document(req: ServiceRequest) -> Document:
    """The decision's document: the rows anyone holding it may read, and the fields its code signs."""
    decided_on = timezone.localdate(req.decided_at)
    applicant = getattr(req.applicant, "person", None)
    rows = [
        Row(labels.REQUEST, req.request_type.name("ar" if _ar() else "en")),
        Row(labels.REFERENCE_NUMBER, req.reference, ltr=True),
        Row(labels.DECISION, str(RequestStatus(req.status).label)),
        Row(labels.DECIDED_ON, dual_date(decided_on)),
    ]
    if applicant is not None:
        rows += [Row(labels.APPLICANT, _name(applicant)),
                 Row(labels.ID_NUMBER, mask_id(applicant.national_id), ltr=True)]
    if req.subject_id and (applicant is None or req.subject_id != applicant.pk):
        rows.append(Row(labels.PERSON_CONCERNED, _name(req.subject)))
    private = [Row(labels.REASON, req.decision_reason)] if req.decision_reason else []
    fields = (applicant.national_id if applicant else "", req.subject.national_id if req.subject_id else "",
              req.request_type.code, req.status, req.decision_reason)
    return Document(
        kind=KIND, reference=req.reference, title=labels.DECISION_ON_REQUEST, rows=rows, private_rows=private,
        signed=(req.status, decided_on.isoformat(), signing.digest(*fields)),
        filename=f"decision-{req.reference}.pdf",
    )


def decision_document(reference: str) -> Document | None:
    """The loader of absher.verification.documents.KINDS: the decision whoever asks, or None."""
    req = (ServiceRequest.objects.filter(reference=reference, status__in=DECIDED, decided_at__isnull=False)
           .select_related("request_type", "subject", "applicant__person").first())
    return decision_as_document(req) if req else None


def _decided_or_404(request, reference) -> ServiceRequest:
    req = selectors.request_of(request.user, reference)
    if req is None or req.status not in DECIDED or req.decided_at is None:
        raise Http404
    return req


@active_account_required
def decision_detail(request, reference):
    req = _decided_or_404(request, reference)
    document = decision_as_document(req)
    url = verification_url(request, document)
    return render(request, "civil_affairs/decision_detail.html", {
        "req": req, "document": document, "verify_url": url, "qr": qr_svg(url),
        "pdf_url": reverse("civil_affairs:decision-pdf", args=[req.reference]),
    })


@active_account_required
def decision_pdf(request, reference):
    req = _decided_or_404(request, reference)
    return pdf.response(request, decision_as_document(req))
