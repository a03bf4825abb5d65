"""The shapes the passports routes answer with (read-only) and the input they take.

Views build plain dicts with the builders below from what the selectors read, and these
serializers render them: the schema is exactly what is sent. Every date a page shows in both
calendars comes as a DualDate (ISO, Hijri and the page's text in the Accept-Language).
"""

from datetime import date

from rest_framework import serializers

from civil_affairs.models import Person
from passports.models import Bill, Passport, Service, TravelPermit, TravelRecord, Visa
from passports.reasons import PAY_FINES, RENEW_IQAMA, RENEW_PASSPORT
from passports.rules import authority

from .serializers_citizen import DualDateSerializer

# --- dates ---------------------------------------------------------------------------------


# One date shape in the whole API: {gregorian, hijri, text} (api/resources/serializers_citizen.py).
PassportsDateSerializer = DualDateSerializer


def dual(day: date | None) -> date | None:
    """A date for a DualDate field (it renders both calendars itself)."""
    return day


def days_left(day: date | None, today: date) -> int | None:
    return (day - today).days if day else None


# --- people --------------------------------------------------------------------------------


class PassportsPersonSerializer(serializers.Serializer):
    national_id = serializers.CharField(help_text="The ID or iqama number: the person's identifier in the routes.")
    name = serializers.CharField(help_text="In the Accept-Language.")
    name_ar = serializers.CharField()
    name_en = serializers.CharField()
    sex = serializers.ChoiceField(choices=Person.Sex.choices)
    birth_date = PassportsDateSerializer()
    nationality = serializers.CharField(help_text="ISO 3166 code.")
    nationality_name = serializers.CharField()
    is_citizen = serializers.BooleanField(help_text="A citizen (ID number), else a resident (iqama number).")
    relation = serializers.ChoiceField(choices=authority.RELATIONS, help_text="How the account acts for them.")
    relation_label = serializers.CharField()


class PassportsPassportSerializer(serializers.Serializer):
    number = serializers.CharField()
    country = serializers.CharField(help_text="ISO 3166 code of the issuing country.")
    country_name = serializers.CharField()
    issued_on = PassportsDateSerializer()
    expires_on = PassportsDateSerializer()
    validity_years = serializers.IntegerField(allow_null=True)
    status = serializers.ChoiceField(choices=Passport.Status.choices)
    status_label = serializers.CharField()
    expired = serializers.BooleanField(help_text="Recorded valid but past its expiry date.")
    days_left = serializers.IntegerField(help_text="Days until the expiry (negative once expired).")


class PassportsIqamaSummarySerializer(serializers.Serializer):
    number = serializers.CharField(help_text="The iqama number is the resident's ID number.")
    expires_on = PassportsDateSerializer(allow_null=True)
    days_left = serializers.IntegerField(allow_null=True)
    expired = serializers.BooleanField()


class PassportsIqamaSerializer(PassportsIqamaSummarySerializer):
    sponsor_name = serializers.CharField(help_text="The sponsor, or the employer when not a person of the registry.")
    occupation = serializers.CharField()


class PassportsPeopleItemSerializer(serializers.Serializer):
    person = PassportsPersonSerializer()
    passport = PassportsPassportSerializer(allow_null=True, help_text="The valid passport they travel on, if any.")
    iqama = PassportsIqamaSummarySerializer(allow_null=True, help_text="Residents only.")


class VisaSerializer(serializers.Serializer):
    number = serializers.CharField()
    kind = serializers.ChoiceField(choices=Visa.Kind.choices)
    kind_label = serializers.CharField()
    months = serializers.IntegerField(allow_null=True)
    extended_months = serializers.IntegerField()
    issued_on = PassportsDateSerializer()
    travel_by = PassportsDateSerializer()
    return_by = PassportsDateSerializer(allow_null=True)
    status = serializers.ChoiceField(choices=Visa.Status.choices, help_text="As of today (an unused visa expires).")
    status_label = serializers.CharField()
    holder_abroad_on_it = serializers.BooleanField()


class TravelPermitSerializer(serializers.Serializer):
    number = serializers.CharField()
    destination = serializers.ChoiceField(choices=TravelPermit.Destination.choices)
    destination_label = serializers.CharField()
    valid_from = PassportsDateSerializer()
    valid_until = PassportsDateSerializer()
    status = serializers.ChoiceField(choices=TravelPermit.Status.choices)
    status_label = serializers.CharField()
    active_today = serializers.BooleanField()


class FineSerializer(serializers.Serializer):
    reference = serializers.CharField()
    reason = serializers.CharField(help_text="In the Accept-Language.")
    amount = serializers.DecimalField(max_digits=9, decimal_places=2, help_text="SAR.")
    issued_on = PassportsDateSerializer()
    paid = serializers.BooleanField()


class AbsenceReportSerializer(serializers.Serializer):
    reference = serializers.CharField()
    reported_on = PassportsDateSerializer()
    last_seen_on = PassportsDateSerializer()
    active = serializers.BooleanField()
    status_label = serializers.CharField()
    blocks_services = serializers.BooleanField(help_text="The worker's iqama, visa and final exit services are stopped.")
    cancellable_until = PassportsDateSerializer(help_text="The passports department can cancel it until then.")


WAYS = [(PAY_FINES, PAY_FINES), (RENEW_IQAMA, RENEW_IQAMA), (RENEW_PASSPORT, RENEW_PASSPORT)]


class PassportsReasonSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The rule's reason code (the pages' codes): unpaid_fines, too_early...")
    message = serializers.CharField(help_text="What the page says, in the Accept-Language.")


class PassportsPersonServiceSerializer(serializers.Serializer):
    service = serializers.ChoiceField(choices=Service.choices)
    title = serializers.CharField()
    allowed = serializers.BooleanField(help_text="False: refused whatever the answers, for the reasons listed.")
    reasons = PassportsReasonSerializer(many=True)
    allowed_from = PassportsDateSerializer(allow_null=True, help_text="When waiting is all that stands in the way.")
    ways_forward = serializers.ListField(
        child=serializers.ChoiceField(choices=WAYS),
        help_text="What the citizen can do about it here: pay the fines (fines_to_pay), renew the iqama or the passport "
                  "first (the service iqama or passport of the same person).",
    )
    fines_to_pay = FineSerializer(many=True)


class PassportsPersonDetailSerializer(serializers.Serializer):
    person = PassportsPersonSerializer()
    passports = PassportsPassportSerializer(many=True, help_text="The latest 20, newest first.")
    iqama = PassportsIqamaSerializer(allow_null=True, help_text="Residents only.")
    absence_report = AbsenceReportSerializer(allow_null=True)
    visas = VisaSerializer(many=True, help_text="The latest 20, newest first.")
    travel_permits = TravelPermitSerializer(many=True, help_text="Citizens only: the latest 10.")
    fines = FineSerializer(many=True, help_text="Unpaid first, then the latest; 20 at most.")
    services = PassportsPersonServiceSerializer(many=True, help_text="The services offered for this person, and what refuses "
                                                            "each before its form.")


class TravelRecordSerializer(serializers.Serializer):
    on = PassportsDateSerializer()
    direction = serializers.ChoiceField(choices=TravelRecord.Direction.choices)
    direction_label = serializers.CharField()
    port = serializers.ChoiceField(choices=TravelRecord.Port.choices)
    port_label = serializers.CharField()
    visa_number = serializers.CharField(allow_null=True)


class TravelFilterSerializer(serializers.Serializer):
    """Documents the query; the page's form (passports.forms.TravelRecordFilterForm) checks it."""

    date_from = serializers.CharField(required=False, allow_blank=True, help_text="Gregorian or Hijri, year-month-day: 2027-01-31 or "
                                                                "1448-08-22.")
    date_to = serializers.CharField(required=False, allow_blank=True, help_text="Not before date_from.")


# --- bills and receipts --------------------------------------------------------------------


class PassportsHolderSerializer(serializers.Serializer):
    national_id = serializers.CharField()
    name = serializers.CharField()


class BillLineSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(help_text="The fee's name in the Accept-Language.")
    quantity = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=9, decimal_places=2)


class BillSerializer(serializers.Serializer):
    number = serializers.CharField(help_text="The SADAD bill number.")
    service = serializers.ChoiceField(choices=Service.choices)
    service_label = serializers.CharField()
    holder = PassportsHolderSerializer()
    amount = serializers.DecimalField(max_digits=9, decimal_places=2, help_text="SAR.")
    lines = BillLineSerializer(many=True)
    status = serializers.ChoiceField(choices=Bill.Status.choices)
    status_label = serializers.CharField()
    created_at = serializers.DateTimeField()
    paid_at = serializers.DateTimeField(allow_null=True)
    refunded_at = serializers.DateTimeField(allow_null=True)
    payable = serializers.BooleanField(help_text="Waiting for payment: POST .../pay/ starts it.")
    receipt_reference = serializers.CharField(allow_null=True, help_text="Once the service was carried out.")


class PaymentStartSerializer(serializers.Serializer):
    payment_url = serializers.URLField(help_text="Open it in a browser: the payment gateway's page. The gateway tells "
                                                 "the portal of the payment; then GET the bill for its status.")
    bill = BillSerializer()


class ReceiptSerializer(serializers.Serializer):
    reference = serializers.CharField()
    service = serializers.ChoiceField(choices=Service.choices)
    service_label = serializers.CharField()
    holder = PassportsHolderSerializer()
    amount = serializers.DecimalField(max_digits=9, decimal_places=2, help_text="SAR paid.")
    created_at = serializers.DateTimeField()
    issued_on = PassportsDateSerializer(help_text="The day in Riyadh.")


class IqamaRenewalSerializer(serializers.Serializer):
    years = serializers.IntegerField()
    new_expiry = PassportsDateSerializer()
    late = serializers.BooleanField()


class ReceiptDetailSerializer(ReceiptSerializer):
    bill_number = serializers.CharField(allow_null=True)
    passport = PassportsPassportSerializer(allow_null=True)
    collection_office = serializers.CharField(help_text="Where to collect the passport, or empty.")
    iqama_renewal = IqamaRenewalSerializer(allow_null=True)
    visa = VisaSerializer(allow_null=True)
    travel_permit = TravelPermitSerializer(allow_null=True)
    absence_report = AbsenceReportSerializer(allow_null=True)
    fine = FineSerializer(allow_null=True)
    verification_url = serializers.URLField(help_text="The public page that checks the receipt (its QR code).")
    pdf_url = serializers.URLField()
