"""Starting a passports service from the app: a passport's issue or renewal, as its page does it
(passports/views.py passport_apply, through _service_page): what refuses the service whatever the
answers first (services.service_precheck), the page's form (passports.forms.PassportForm) for the
answers, then services.service_order: a bill to pay (the service goes ahead once it is paid), or
the receipt at once when it costs nothing. The same submission key twice gives the same bill.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from absher.request_info import client_address
from api.schema import ERRORS
from passports import forms, selectors, services
from passports.exceptions import ServiceRefused
from passports.models import Bill, Passport, Service
from passports.rules import passport as passport_rules

from . import passports_shapes as shapes
from .passports import acting_or_404, form_invalid, today
from .passports_bills import fee_names, receipt_row
from .passports_serializers import BillSerializer, ReceiptSerializer


class PassportApplySerializer(serializers.Serializer):
    """Documents the body; the page's form checks it (the same codes: office_required...)."""

    years = serializers.ChoiceField(choices=[(years, str(years)) for years in passport_rules.VALIDITIES],
                                    help_text="The validity in years (under 21: 5 only).")
    delivery = serializers.ChoiceField(choices=Passport.Delivery.choices)
    office = serializers.ChoiceField(choices=[code for code, _label in forms.OFFICES if code], required=False,
                                     allow_blank=True, help_text="Required for collection from a passports office.")
    submission_key = serializers.UUIDField(help_text="New for each application (a UUID the app makes): sent again, "
                                                     "the same bill answers.")


class PassportsServiceOrderedSerializer(serializers.Serializer):
    bill = BillSerializer(allow_null=True, help_text="The bill to pay (POST /bills/{number}/pay/): the service goes "
                                                     "ahead once it is paid.")
    receipt = ReceiptSerializer(allow_null=True, help_text="When the service cost nothing: it is done.")


class PassportApplyView(APIView):
    @extend_schema(
        operation_id="passports_passport_apply", tags=["passports"], request=PassportApplySerializer,
        responses={201: PassportsServiceOrderedSerializer, **ERRORS(400, 401, 403, 404)},
        summary="Issue or renew the person's passport: a bill to pay.",
        description="Refused (400, code refused, the reasons' texts as message) as the page refuses it: what stands "
                    "in the way whatever the answers is listed beforehand in the person's services.",
    )
    def post(self, request, national_id):
        day = today()
        acting = acting_or_404(request, national_id, hook=selectors.facts_hook(day))
        person = acting.person
        standing = services.service_precheck(service=Service.PASSPORT, actor=request.user, holder=person, today=day,
                                             relation=acting.relation,
                                             facts=selectors.HolderFacts.annotated(person, today=day))
        if not standing.allowed:
            raise ServiceRefused(standing)
        # Anything but an object answers as an empty form does: each field says what it needs.
        form = forms.PassportForm(request.data if isinstance(request.data, dict) else {})
        if not form.is_valid():
            raise form_invalid(form)
        result = services.service_order(service=Service.PASSPORT, actor=request.user, holder=person,
                                        params=form.params(), submission_key=form.cleaned_data["submission_key"],
                                        client_address=client_address(request))
        if isinstance(result, Bill):
            body = {"bill": shapes.bill(result, fee_names=fee_names(), receipt_reference=None), "receipt": None}
        else:
            body = {"bill": None, "receipt": receipt_row(result)}
        return Response(PassportsServiceOrderedSerializer(body).data, status=status.HTTP_201_CREATED)
