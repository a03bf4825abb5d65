"""Notices of the passports services (the inbox on the Passports page) and their SMS.

The notices and the outbox are absher.notifications'; this module says what they say: `render`
gives a notice's text in the active language (the page's when it is read, the recipient's when
its SMS is written), registered with absher.notifications.texts (PassportsConfig.ready).
"""

from datetime import date
from decimal import Decimal

from django.db import models
from django.template.defaultfilters import floatformat
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from absher.notifications import services as notifications
from absher.notifications import texts
from civil_affairs.templatetags.calendars import dual_date

from .models import Service

SOURCE = "passports"


class Kind(models.TextChoices):
    DOCUMENT = "document", gettext_lazy("document issued")
    CANCELLED = "cancelled", gettext_lazy("document cancelled")
    BILL = "bill", gettext_lazy("bill issued")
    PAID = "paid", gettext_lazy("bill paid")
    REFUNDED = "refunded", gettext_lazy("bill refunded")
    REFUND_REFUSED = "refund_refused", gettext_lazy("refund refused")
    REMINDER = "reminder", gettext_lazy("expiry reminder")
    REPORT = "report", gettext_lazy("absence report")


def _name(params) -> str:
    return params.get("name_ar", "") if (get_language() or "ar").startswith("ar") else params.get("name_en", "")


def _date(params, key) -> str:
    value = params.get(key)
    return dual_date(date.fromisoformat(value)) if value else ""


def money(amount) -> str:
    return floatformat(Decimal(str(amount)), -2)


def _service(params) -> str:
    return str(dict(Service.choices).get(params.get("service"), ""))


def render(kind: str, params: dict) -> str:
    """The text of a notice or an SMS, in the active language."""
    name = _name(params)
    if kind == Kind.DOCUMENT:
        if params.get("until"):
            return _("Absher: %(service)s for %(name)s is done: number %(number)s, valid until %(until)s. Receipt %(receipt)s.") % {
                "service": _service(params), "name": name, "number": params.get("number", ""),
                "until": _date(params, "until"), "receipt": params.get("receipt", "")}
        return _("Absher: %(service)s for %(name)s is done: number %(number)s. Receipt %(receipt)s.") % {
            "service": _service(params), "name": name, "number": params.get("number", ""), "receipt": params.get("receipt", "")}
    if kind == Kind.CANCELLED:
        return _("Absher: number %(number)s of %(name)s is cancelled. Receipt %(receipt)s.") % {
            "number": params.get("number", ""), "name": name, "receipt": params.get("receipt", "")}
    if kind == Kind.BILL:
        return _("Absher: bill %(bill)s of SAR %(amount)s for %(service)s (%(name)s). Pay it through SADAD or on Absher.") % {
            "bill": params.get("bill", ""), "amount": money(params.get("amount", 0)), "service": _service(params), "name": name}
    if kind == Kind.PAID:
        return _("Absher: bill %(bill)s of SAR %(amount)s is paid.") % {
            "bill": params.get("bill", ""), "amount": money(params.get("amount", 0))}
    if kind == Kind.REFUNDED:
        return _("Absher: bill %(bill)s of SAR %(amount)s was refunded.") % {
            "bill": params.get("bill", ""), "amount": money(params.get("amount", 0))}
    if kind == Kind.REFUND_REFUSED:
        return _("Absher: the payment service refused the refund of bill %(bill)s of SAR %(amount)s. The bill is "
                 "still paid: you can use it, or ask for the refund again later.") % {
            "bill": params.get("bill", ""), "amount": money(params.get("amount", 0))}
    if kind == Kind.REMINDER:
        if params.get("document") == "passport":
            return _("Absher: the passport of %(name)s expires on %(date)s. Renew it in time.") % {
                "name": name, "date": _date(params, "date")}
        return _("Absher: the iqama of %(name)s expires on %(date)s. Renew it in time.") % {
            "name": name, "date": _date(params, "date")}
    if kind == Kind.REPORT:
        if params.get("event") == "cancelled":
            return _("Absher: the report %(reference)s that %(name)s is absent from work was cancelled.") % {
                "reference": params.get("reference", ""), "name": name}
        return _(
            "Absher: your report %(reference)s that %(name)s is absent from work was recorded. "
            "It can be cancelled at the passports department until %(date)s."
        ) % {"reference": params.get("reference", ""), "name": name, "date": _date(params, "date")}
    return ""  # pragma: no cover


def holder_params(person) -> dict:
    return {"name_ar": person.name_ar, "name_en": person.name_en}


texts.register(SOURCE, notice=render)


def notify(user, kind: str, params: dict, *, receipt=None, bill=None):
    """A notice now (in the caller's transaction), about the receipt or the bill, and an SMS once it commits."""
    return notifications.notify(user=user, source=SOURCE, kind=kind, params=params, subject=receipt or bill)
