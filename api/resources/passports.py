"""The passports side of the API: people, documents, travel record, bills and receipts.

The same selectors, services and rules as the pages in passports/ (never a rule written twice):
a person is found through passports.selectors.acting_person (another citizen's person does not
exist: 404), a bill through selectors.bill_of, a receipt through selectors.receipt_of. The views
are in api/resources/passports_people.py and passports_bills.py, their shapes in
passports_serializers.py; this module holds what they share and the passports domain errors.
"""

from django.utils import timezone
from django.utils.translation import get_language
from rest_framework import serializers, status
from rest_framework.exceptions import ErrorDetail, NotFound

from api import errors
from passports import exceptions as px
from passports import selectors

# register() puts each class before those registered earlier: the base first, its subclasses after.
errors.register(px.PassportsError, status.HTTP_400_BAD_REQUEST)
errors.register(px.ServiceRefused, status.HTTP_400_BAD_REQUEST)
errors.register(px.PaymentDeclined, status.HTTP_400_BAD_REQUEST)
errors.register(px.PaymentGatewayError, status.HTTP_503_SERVICE_UNAVAILABLE)
for _conflict in (px.BillAlreadyPaid, px.BillNotPaid, px.BillAlreadyUsed, px.BillRefunded, px.BillRefundPending,
                  px.BillMoveNotAllowed, px.RefundDeclined):
    errors.register(_conflict, status.HTTP_409_CONFLICT)


def today():
    """Today in Riyadh: the date every rule of the pages is asked on."""
    return timezone.localdate()


def language() -> str:
    return "ar" if (get_language() or "ar").startswith("ar") else "en"


def acting_or_404(request, national_id: str, *, hook=None) -> selectors.Acting:
    """The person if the citizen may act for them today; anyone else does not exist for them (404)."""
    acting = selectors.acting_person(request.user, national_id, today=today(), queryset_hook=hook)
    if acting is None:
        raise NotFound()
    return acting


def form_invalid(form) -> serializers.ValidationError:
    """A Django form's errors (the pages' own checks) as the API's field errors, codes kept."""
    detail = {}
    for field, field_errors in form.errors.as_data().items():
        key = "non_field_errors" if field == "__all__" else field
        detail[key] = [ErrorDetail(str(message), code=error.code or "invalid")
                       for error in field_errors for message in error.messages]
    return serializers.ValidationError(detail)


def fake_view(view) -> bool:
    """True while drf-spectacular builds the schema (no request, no user)."""
    return getattr(view, "swagger_fake_view", False)
