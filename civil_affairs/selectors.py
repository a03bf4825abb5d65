"""Reads of the civil registry for other apps (they never reach into its models' internals)."""

from datetime import date

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
