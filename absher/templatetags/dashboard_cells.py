"""The dashboard's per-row cells as filters: a date in both calendars and a document's days left.

They were `{% include %}`s inside the dashboard's loops, which cost a template render a row (a family
with its workers has dozens of rows); the markup is the same.
"""

from django import template
from django.utils import formats
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext

from civil_affairs.templatetags.calendars import hijri_date

register = template.Library()


@register.filter
def dash_date(day):
    """A date as `dual_date` writes it ("Gregorian (Hijri)"), each calendar's part on one line and
    the two free to go on two lines on a phone."""
    if not day:
        return ""
    hijri = hijri_date(day)
    if hijri:
        return format_html('<bdi class="dash-date"><span class="text-nowrap">{}</span> <span class="text-nowrap">({})</span></bdi>',
                           formats.date_format(day, "DATE_FORMAT"), hijri)
    return format_html('<bdi class="dash-date"><span class="text-nowrap">{}</span></bdi>', formats.date_format(day, "DATE_FORMAT"))


@register.filter
def days_left_badge(doc):
    """Expired, expires today, or the days left, as a badge (warning colours once it is to renew)."""
    if not getattr(doc, "on", None):
        return ""
    if doc.expired:
        return format_html('<span class="badge text-bg-danger dash-days">{}</span>', gettext("Expired"))
    if doc.days_left == 0:
        return format_html('<span class="badge text-bg-warning dash-days">{}</span>', gettext("Expires today"))
    colours = "text-bg-warning" if doc.to_renew else "text-bg-light border"
    text = ngettext("%(days)s day left", "%(days)s days left", doc.days_left) % {"days": doc.days_left}
    return format_html('<span class="badge {} dash-days">{}</span>', colours, text)
