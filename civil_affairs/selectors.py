"""Reads of the civil registry for other apps (they never reach into its models' internals)."""

from datetime import date
from types import SimpleNamespace

from django.conf import settings

from . import ages
from .models import Person


def person_by_national_id(national_id: str) -> Person | None:
    return Person.objects.filter(national_id=national_id).first()


def age_calendar(person: Person) -> str:
    return settings.AGE_CALENDAR_CITIZEN if person.is_citizen else settings.AGE_CALENDAR_RESIDENT


def person_age(person: Person, *, today: date) -> int:
    return ages.age_in_years(person.birth_date, today, calendar=age_calendar(person))


def person_reaches(person: Person, *, years: int, months: int = 0) -> date:
    """The date on which the person reaches an age, in the calendar their ages count in."""
    return ages.anniversary(person.birth_date, years=years, months=months, calendar=age_calendar(person))


# --- the request inbox ----------------------------------------------------------------------


def requests_of(user):
    from .models import ServiceRequest

    return (
        ServiceRequest.objects.filter(applicant=user)
        .select_related("request_type", "subject")
        .order_by("-updated_at", "-id")
    )


def request_rows_of(user):
    """requests_of as plain rows of only the columns "My requests" shows (dicts; request_row shapes one
    for the page): building a model instance for each row, with its description, its
    request data (JSON, parsed per row) and both related rows whole, was most of the view's time."""
    return requests_of(user).values(
        "reference", "status", "updated_at", "subject",
        "request_type__name_ar", "request_type__name_en", "subject__name_ar", "subject__name_en",
    )


def request_row(values: dict) -> SimpleNamespace:
    """A row of request_rows_of shaped as the template reads a request (req.request_type|tr:"name",
    req.subject|tr:"name")."""
    return SimpleNamespace(
        reference=values["reference"],
        status=values["status"],
        updated_at=values["updated_at"],
        request_type=SimpleNamespace(name_ar=values["request_type__name_ar"], name_en=values["request_type__name_en"]),
        subject=(
            SimpleNamespace(name_ar=values["subject__name_ar"], name_en=values["subject__name_en"])
            if values["subject"] is not None else None
        ),
    )


def request_of(user, reference: str):
    """The user's own request, or None (the view answers 404, never 403: others' requests do not exist)."""
    return requests_of(user).filter(reference=reference).first()


def attachment_of(user, reference: str, attachment_id: int):
    from .models import Attachment

    return Attachment.objects.filter(pk=attachment_id, request__reference=reference, request__applicant=user).first()


def unread_notices(user):
    """The user's unread notices about their requests (absher.notifications), newest first."""
    from absher.notifications import selectors

    return selectors.unread_notices(user, source="civil_affairs")


def open_request_types():
    from .models import RequestType

    return RequestType.objects.filter(is_active=True).prefetch_related("requirements")


def staff_views_of(person):
    from .models import PersonDataAccess

    return PersonDataAccess.objects.filter(person=person).select_related("staff", "request")
