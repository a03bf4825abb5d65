"""`{{ day|dual_date }}`: a date in the Gregorian and the Hijri (Umm al-Qura) calendars."""

from datetime import date
from functools import lru_cache

from django import template
from django.utils import formats
from django.utils.translation import get_language, gettext

from civil_affairs.ages import to_hijri

register = template.Library()


def _language() -> str:
    return "ar" if (get_language() or "ar").startswith("ar") else "en"


# A date reads the same in a language every time, and the travel record's rows and the persons'
# pages format the same few hundred dates over and over (two calendars, translated month names).
# Keyed by the active language code (`active`), which the formats and the translations follow.
@lru_cache(maxsize=4096)
def _hijri(day: date, language: str, active: str | None) -> str:
    h = to_hijri(day)
    if h is None:
        return ""
    # Translators: a Hijri date: day, month name, year, then the era mark.
    return gettext("%(day)s %(month)s %(year)s AH") % {"day": h.day, "month": h.month_name(language), "year": h.year}


@lru_cache(maxsize=4096)
def _dual(day: date, active: str | None) -> str:
    gregorian = formats.date_format(day, "DATE_FORMAT")
    hijri = _hijri(day, _language(), active)
    return f"{gregorian} ({hijri})" if hijri else gregorian


@register.filter
def hijri_date(day):
    if not day:
        return ""
    return _hijri(day, _language(), get_language())


@register.filter
def dual_date(day):
    if not day:
        return ""
    if type(day) is not date:  # a datetime: formatted each time (it is rarely the same twice)
        gregorian = formats.date_format(day, "DATE_FORMAT")
        hijri = hijri_date(day)
        return f"{gregorian} ({hijri})" if hijri else gregorian
    return _dual(day, get_language())


@register.filter
def dual_datetime(moment):
    """`{{ event.at|dual_datetime }}`: an instant in Riyadh's local time (the portal's TIME_ZONE),
    its date in both calendars and then the time: "30 November 2026 (19 Jumada al-Ula 1448 AH), 14:05".
    The date is the local one: 22:30 UTC is already the next day in Riyadh."""
    if not moment:
        return ""
    from datetime import datetime

    from django.utils import timezone

    if not isinstance(moment, datetime):
        return dual_date(moment)
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    # Translators: a date in both calendars, then the time of day (24-hour clock, Riyadh time).
    return gettext("%(date)s, %(time)s") % {
        "date": _dual(local.date(), get_language()), "time": formats.time_format(local, "TIME_FORMAT"),
    }
