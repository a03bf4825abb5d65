"""`{{ day|dual_date }}`: a date in the Gregorian and the Hijri (Umm al-Qura) calendars."""

from django import template
from django.utils import formats
from django.utils.translation import get_language, gettext

from civil_affairs.ages import to_hijri

register = template.Library()


@register.filter
def hijri_date(day):
    if not day:
        return ""
    h = to_hijri(day)
    if h is None:
        return ""
    language = "ar" if (get_language() or "ar").startswith("ar") else "en"
    # Translators: a Hijri date: day, month name, year, then the era mark.
    return gettext("%(day)s %(month)s %(year)s AH") % {"day": h.day, "month": h.month_name(language), "year": h.year}


@register.filter
def dual_date(day):
    if not day:
        return ""
    gregorian = formats.date_format(day, "DATE_FORMAT")
    hijri = hijri_date(day)
    return f"{gregorian} ({hijri})" if hijri else gregorian
