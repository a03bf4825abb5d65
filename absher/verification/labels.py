"""The labels of the documents' rows, in one catalogue (locale/ar) whichever app issues the document."""

from django.utils.translation import gettext_lazy as _

RECEIPT = _("Payment receipt")
DECISION_ON_REQUEST = _("Decision on a request")
SERVICE = _("Service")
RECEIPT_NUMBER = _("Receipt number")
DATE = _("Date")
FOR = _("For")
ID_NUMBER = _("ID or iqama number")
AMOUNT_PAID = _("Amount paid (SAR)")
COLLECTION_OFFICE = _("Collection office")
REQUEST = _("Request")
REFERENCE_NUMBER = _("Reference number")
DECISION = _("Decision")
DECIDED_ON = _("Decided on")
APPLICANT = _("Applicant")
PERSON_CONCERNED = _("Person concerned")
REASON = _("Reason")
