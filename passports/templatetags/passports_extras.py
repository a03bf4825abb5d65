"""Template filters of the passports pages: notice texts, amounts, relations, days left."""

from django import template
from django.utils.translation import gettext as _

from .. import notifications
from ..rules import authority

register = template.Library()


@register.filter
def notice_text(notice) -> str:
    return notice.text


@register.filter
def sar(amount) -> str:
    """An amount in riyals: "300" or "12.50"."""
    return notifications.money(amount if amount is not None else 0)


@register.filter
def relation_label(relation: str, sex: str = "") -> str:
    """`{{ acting.relation|relation_label:person.sex }}`: "Your son" or "Your daughter" where the
    registry records the child's sex, "Your son or daughter" only where it does not."""
    if relation == authority.CHILD and sex in ("M", "F"):
        return _("Your son") if sex == "M" else _("Your daughter")
    return {
        authority.SELF: _("You"),
        authority.CHILD: _("Your son or daughter"),
        authority.WORKER: _("Worker you sponsor"),
    }.get(relation, "")


@register.filter
def days_until(day, today) -> int | None:
    if not day or not today:
        return None
    return (day - today).days


@register.filter
def fees_with_prefix(fees, prefix: str):
    return [fee for fee in fees if fee.code.startswith(prefix)]


@register.filter
def status_label(visa, today) -> str:
    return visa.status_label_on(today)
