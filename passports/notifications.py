"""Notices (the passports inbox on the Passports page) and SMS, in the user's language, after commit."""

from datetime import date
from decimal import Decimal
from functools import partial

from django.db import transaction
from django.template.defaultfilters import floatformat
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from absher.sms import deliver
from civil_affairs.templatetags.calendars import dual_date

from .models import PassportNotice, Service


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
    if kind == PassportNotice.Kind.DOCUMENT:
        if params.get("until"):
            return _("Absher: %(service)s for %(name)s is done: number %(number)s, valid until %(until)s. Receipt %(receipt)s.") % {
                "service": _service(params), "name": name, "number": params.get("number", ""),
                "until": _date(params, "until"), "receipt": params.get("receipt", "")}
        return _("Absher: %(service)s for %(name)s is done: number %(number)s. Receipt %(receipt)s.") % {
            "service": _service(params), "name": name, "number": params.get("number", ""), "receipt": params.get("receipt", "")}
    if kind == PassportNotice.Kind.CANCELLED:
        return _("Absher: number %(number)s of %(name)s is cancelled. Receipt %(receipt)s.") % {
            "number": params.get("number", ""), "name": name, "receipt": params.get("receipt", "")}
    if kind == PassportNotice.Kind.BILL:
        return _("Absher: bill %(bill)s of SAR %(amount)s for %(service)s (%(name)s). Pay it through SADAD or on Absher.") % {
            "bill": params.get("bill", ""), "amount": money(params.get("amount", 0)), "service": _service(params), "name": name}
    if kind == PassportNotice.Kind.PAID:
        return _("Absher: bill %(bill)s of SAR %(amount)s is paid.") % {
            "bill": params.get("bill", ""), "amount": money(params.get("amount", 0))}
    if kind == PassportNotice.Kind.REFUNDED:
        return _("Absher: bill %(bill)s of SAR %(amount)s was refunded.") % {
            "bill": params.get("bill", ""), "amount": money(params.get("amount", 0))}
    if kind == PassportNotice.Kind.REMINDER:
        if params.get("document") == "passport":
            return _("Absher: the passport of %(name)s expires on %(date)s. Renew it in time.") % {
                "name": name, "date": _date(params, "date")}
        return _("Absher: the iqama of %(name)s expires on %(date)s. Renew it in time.") % {
            "name": name, "date": _date(params, "date")}
    if kind == PassportNotice.Kind.REPORT:
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


def notify(user, kind: str, params: dict, *, receipt=None, bill=None) -> PassportNotice:
    """A notice now (in the caller's transaction) and an SMS once it commits."""
    notice = PassportNotice.objects.create(user=user, kind=kind, params=params, receipt=receipt, bill=bill)
    if user.mobile:
        transaction.on_commit(
            partial(deliver, to=user.mobile, language=user.preferred_language, render=render, kind=kind, params=params)
        )
    return notice
