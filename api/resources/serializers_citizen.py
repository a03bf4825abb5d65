"""What the citizen's routes answer with: the profile, notices and dependents (requests: serializers_requests).

Output only: the values come from the same selectors and services as the pages, in the active
language (the Accept-Language). A date the pages show in both calendars is a `DualDate`: the
Gregorian date (ISO), the Umm al-Qura date (`YYYY-MM-DD` in the Hijri calendar) and the text the
page shows.
"""

from datetime import date, datetime

from django.conf import settings
from django.utils.translation import get_language
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import AccountState
from accounts.rules import mask_mobile
from civil_affairs.ages import to_hijri
from civil_affairs.models import Person, RequestStatus
from civil_affairs.templatetags.calendars import dual_date, dual_datetime
from dependents.models import GuardianLink


def language() -> str:
    return "ar" if (get_language() or "ar").startswith("ar") else "en"


def hijri_iso(day: date | None) -> str | None:
    h = to_hijri(day) if day else None
    return f"{h.year:04d}-{h.month:02d}-{h.day:02d}" if h else None


class DualDateSerializer(serializers.Serializer):
    """A date in both calendars (built from a `date`)."""

    gregorian = serializers.DateField(help_text="ISO 8601.")
    hijri = serializers.CharField(allow_null=True, help_text="Umm al-Qura: YYYY-MM-DD (null out of its range).")
    text = serializers.CharField(help_text="As the pages show it, in the Accept-Language: both calendars.")

    def to_representation(self, instance):
        day = instance.date() if isinstance(instance, datetime) else instance
        return {"gregorian": day.isoformat(), "hijri": hijri_iso(day), "text": dual_date(day)}


@extend_schema_field(serializers.CharField(help_text="The instant in Riyadh's time, both calendars, as the pages show it."))
class MomentTextField(serializers.Field):
    """`at_text` beside a datetime `at`: the page's `dual_datetime`."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return dual_datetime(value)


# --- the profile ----------------------------------------------------------------------------


class PersonSerializer(serializers.Serializer):
    national_id = serializers.CharField(help_text="The ID or iqama number, in full (as the profile page shows it).")
    name = serializers.SerializerMethodField(help_text="In the Accept-Language.")
    name_ar = serializers.CharField()
    name_en = serializers.CharField()
    sex = serializers.ChoiceField(choices=Person.Sex.choices)
    birth_date = DualDateSerializer()
    nationality = serializers.CharField(help_text="ISO 3166 two-letter code.")
    nationality_name = serializers.SerializerMethodField()
    iqama_expiry = DualDateSerializer(allow_null=True, help_text="Residents only.")

    def get_name(self, person) -> str:
        return person.display_name(language())

    def get_nationality_name(self, person) -> str:
        from absher.templatetags.country_names import country_name

        return country_name(person.nationality)


class ProfileSerializer(serializers.Serializer):
    username = serializers.CharField()
    masked_mobile = serializers.SerializerMethodField(help_text="05*****678, as on the profile page.")
    email = serializers.EmailField(allow_blank=True)
    language = serializers.ChoiceField(choices=settings.LANGUAGES, source="preferred_language",
                                       help_text="The account's preferred language (its SMS are in it).")
    state = serializers.ChoiceField(choices=AccountState.choices)
    state_label = serializers.CharField(source="get_state_display")
    activated = serializers.SerializerMethodField(help_text="E-services need an activated account.")
    activated_at = serializers.DateTimeField(allow_null=True)
    activated_at_text = MomentTextField(source="activated_at", allow_null=True)
    activation_place = serializers.SerializerMethodField(help_text="The kiosk's site and city, or \"\".")
    person = PersonSerializer(allow_null=True, help_text="The civil registry's record of the account's holder.")

    def get_activated(self, user) -> bool:
        return user.state == AccountState.ACTIVE

    def get_activation_place(self, user) -> str:
        activation = self.context.get("activation")
        return activation.place(language()) if activation is not None and activation.kiosk is not None else ""

    def get_masked_mobile(self, user) -> str:
        return mask_mobile(user.mobile) if user.mobile else ""


class LanguageSerializer(serializers.Serializer):
    language = serializers.ChoiceField(choices=settings.LANGUAGES)


# --- notices --------------------------------------------------------------------------------


class NoticeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    source = serializers.CharField(help_text="The service that wrote it: civil_affairs, passports, accounts...")
    kind = serializers.CharField()
    text = serializers.CharField(help_text="In the Accept-Language, as the portal shows it.")
    at = serializers.DateTimeField()
    at_text = MomentTextField(source="at")
    read = serializers.SerializerMethodField()
    read_at = serializers.DateTimeField(allow_null=True)
    request_reference = serializers.SerializerMethodField(help_text="The civil affairs request it is about.")
    bill_number = serializers.SerializerMethodField(help_text="The passports bill it is about.")
    receipt_reference = serializers.SerializerMethodField(help_text="The passports receipt it is about.")

    def get_read(self, notice) -> bool:
        return notice.read_at is not None

    def _param(self, notice, source: str, key: str) -> str | None:
        value = (notice.params or {}).get(key) if notice.source == source else None
        return str(value) if value else None

    def get_request_reference(self, notice) -> str | None:
        return self._param(notice, "civil_affairs", "reference")

    def get_bill_number(self, notice) -> str | None:
        return self._param(notice, "passports", "bill")

    def get_receipt_reference(self, notice) -> str | None:
        return self._param(notice, "passports", "receipt")


NOTICE_SOURCES = [("civil_affairs", "civil_affairs"), ("passports", "passports")]


class NoticesReadSerializer(serializers.Serializer):
    source = serializers.ChoiceField(
        choices=NOTICE_SOURCES, required=False,
        help_text="Whose notices to mark read, as each service's page does; all of both when left out.",
    )


class NoticesReadResultSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many notices were unread.")


# --- dependents -----------------------------------------------------------------------------


class RequestRowSerializer(serializers.Serializer):
    """A request as the lists show it (My requests, My dependents)."""

    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=RequestStatus.choices)
    status_label = serializers.CharField()
    request_type_name = serializers.CharField()
    subject_name = serializers.CharField(allow_null=True, help_text="The person it is about, if any.")
    updated_at = serializers.DateTimeField()


def request_row(service_request) -> dict:
    """A ServiceRequest as RequestRowSerializer reads it."""
    lang = language()
    subject = service_request.subject
    return {
        "reference": service_request.reference or "",
        "status": service_request.status,
        "status_label": service_request.get_status_display(),
        "request_type_name": service_request.request_type.name(lang),
        "subject_name": subject.display_name(lang) if subject is not None else None,
        "updated_at": service_request.updated_at,
    }


class DependentSerializer(serializers.Serializer):
    national_id = serializers.CharField()
    name = serializers.CharField()
    name_ar = serializers.CharField()
    name_en = serializers.CharField()
    sex = serializers.ChoiceField(choices=Person.Sex.choices)
    relation = serializers.ChoiceField(choices=GuardianLink.Relation.choices, help_text="What the account's holder is to them.")
    nationality = serializers.CharField()
    nationality_name = serializers.CharField()
    birth_date = DualDateSerializer()
    age_hijri = serializers.IntegerField(help_text="Whole years in the Hijri calendar.")
    age_gregorian = serializers.IntegerField(help_text="Whole years in the Gregorian calendar.")
    turns_15 = DualDateSerializer(help_text="15th birthday (in the calendar their ages count in).")
    turns_18 = DualDateSerializer(help_text="18th birthday: they can register their own account from it.")
    is_citizen = serializers.BooleanField()
    national_id_issued = serializers.BooleanField()
    requests = RequestRowSerializer(many=True, help_text="The account's requests about this dependent.")


class RefusalSerializer(serializers.Serializer):
    reasons = serializers.ListField(child=serializers.CharField(), help_text="Reason codes (dependents.eligibility).")
    messages = serializers.ListField(child=serializers.CharField(), help_text="One text a reason, in the Accept-Language.")
    allowed_from = DualDateSerializer(allow_null=True, help_text="When time alone will lift the refusal.")


class ChildSerializer(serializers.Serializer):
    """A son or daughter in the civil registry, and whether they can be added now."""

    national_id = serializers.CharField()
    name = serializers.CharField()
    sex = serializers.ChoiceField(choices=Person.Sex.choices)
    nationality = serializers.CharField()
    nationality_name = serializers.CharField()
    birth_date = DualDateSerializer()
    can_add = serializers.BooleanField()
    refusal = RefusalSerializer(allow_null=True)
    already_added = serializers.BooleanField()
    pending = serializers.BooleanField(help_text="A request to add them is being handled.")


class DependentsSerializer(serializers.Serializer):
    today = DualDateSerializer(help_text="Ages and dates are as of this day (Riyadh).")
    dependents = DependentSerializer(many=True)
    pending_additions = RequestRowSerializer(many=True, help_text="Open requests to add a dependent.")
    children = ChildSerializer(many=True, help_text="The registry's sons and daughters: those who can be added first.")
