"""The supervisors' dashboard in the staff admin: what is open where, what is late, what was decided.

Three queries whatever the number of requests: the open requests by department and status (with
the oldest and the late ones counted in the same aggregate), and the decisions of the last
DECISION_DAYS days by day. Which statuses are open, and which moves are decisions, come from the
status table (civil_affairs.statuses), never from a list here.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Min, Q
from django.db.models.functions import TruncDate
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

#: Days of decisions the chart shows.
DECISION_DAYS = 30
#: The target time to handle a request, in days, unless settings.STAFF_REQUEST_TARGET_DAYS says otherwise:
#: a number for every type, or a mapping of request type codes to days with "default" for the others.
DEFAULT_TARGET_DAYS = 5

# Supervisors' groups and the department each one oversees (superusers oversee all).
SUPERVISOR_GROUPS = {
    "Civil affairs supervisors": "civil_affairs",
    "Passport supervisors": "passports",
}


def supervised_departments(user) -> set[str] | None:
    """The departments whose dashboard the user may see: None for all; an empty set for none."""
    if not (user.is_active and user.is_staff):
        return set()
    if user.is_superuser:
        return None
    if not hasattr(user, "_supervised_departments"):  # asked on every admin page (the link): once per request
        names = set(user.groups.values_list("name", flat=True))
        user._supervised_departments = {department for name, department in SUPERVISOR_GROUPS.items() if name in names}
    return set(user._supervised_departments)


def may_see_dashboard(user) -> bool:
    return supervised_departments(user) != set()


def target_days() -> dict[str, int]:
    """{"default": days, <type code>: days, ...} from the setting."""
    configured = getattr(settings, "STAFF_REQUEST_TARGET_DAYS", DEFAULT_TARGET_DAYS)
    if isinstance(configured, dict):
        return {"default": DEFAULT_TARGET_DAYS, **{code: int(days) for code, days in configured.items()}}
    return {"default": int(configured)}


@dataclass
class Row:
    department: str
    department_label: str
    status: str
    status_label: str
    count: int
    late: int
    oldest: datetime | None

    @property
    def oldest_age(self) -> str:
        return timesince(self.oldest, timezone.now(), depth=2) if self.oldest else ""


def _late_condition(now: datetime) -> Q:
    targets = target_days()
    default_cutoff = now - timedelta(days=targets["default"])
    special = {code: days for code, days in targets.items() if code != "default"}
    condition = Q(created_at__lt=default_cutoff) & ~Q(request_type__code__in=list(special))
    for code, days in special.items():
        condition |= Q(request_type__code=code, created_at__lt=now - timedelta(days=days))
    return condition


def open_rows(departments: set[str] | None, *, now: datetime) -> list[Row]:
    from civil_affairs import statuses
    from civil_affairs.admin import staff_status_label
    from civil_affairs.models import Department, ServiceRequest

    queryset = ServiceRequest.objects.filter(status__in=statuses.OPEN)
    if departments is not None:
        queryset = queryset.filter(department__in=departments)
    grouped = (
        queryset.values("department", "status")
        .annotate(count=Count("id"), late=Count("id", filter=_late_condition(now)), oldest=Min("created_at"))
        .order_by("department", "status")
    )
    department_labels = dict(Department.choices)
    status_order = {status: position for position, status in enumerate(statuses.TRANSITIONS)}
    rows = [
        Row(
            department=item["department"], department_label=str(department_labels.get(item["department"], item["department"])),
            status=item["status"], status_label=staff_status_label(item["status"]), count=item["count"],
            late=item["late"], oldest=item["oldest"],
        )
        for item in grouped
    ]
    rows.sort(key=lambda row: (row.department_label, status_order.get(row.status, len(status_order))))
    return rows


def decisions_by_day(departments: set[str] | None, *, today, days: int = DECISION_DAYS) -> dict:
    """Staff decisions (moves into a final status, by staff) per local day: days, then a series per status."""
    from civil_affairs import statuses
    from civil_affairs.admin import staff_status_label
    from civil_affairs.models import RequestEvent

    first = today - timedelta(days=days - 1)
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    final = {status for status, moves in statuses.TRANSITIONS.items() if not moves}
    events = RequestEvent.objects.filter(at__gte=start, to_status__in=final, actor__is_staff=True)
    if departments is not None:
        events = events.filter(request__department__in=departments)
    counted = (
        events.annotate(day=TruncDate("at", tzinfo=timezone.get_current_timezone()))
        .values("day", "to_status").annotate(n=Count("id")).order_by()
    )
    day_list = [first + timedelta(days=offset) for offset in range(days)]
    series: dict[str, list[int]] = {}
    for item in counted:
        if item["day"] is None or item["day"] < first:
            continue
        values = series.setdefault(item["to_status"], [0] * days)
        position = (item["day"] - first).days
        if 0 <= position < days:
            values[position] += item["n"]
    order = {status: position for position, status in enumerate(statuses.TRANSITIONS)}
    statuses_shown = sorted(series, key=lambda status: order.get(status, len(order)))
    return {
        "days": [day.isoformat() for day in day_list],
        "labels": [date_format(day, "MONTH_DAY_FORMAT") for day in day_list],
        "axis_labels": [f"{day.day}/{day.month}" for day in day_list],
        "series": [{"status": status, "label": staff_status_label(status), "values": series[status]} for status in statuses_shown],
        "total": sum(sum(values) for values in series.values()),
    }


def dashboard(request, admin_site):
    departments = supervised_departments(request.user)
    if departments == set():
        raise PermissionDenied
    now = timezone.now()
    rows = open_rows(departments, now=now)
    decisions = decisions_by_day(departments, today=timezone.localdate())
    per_day = [
        {"day": label, "counts": [item["values"][position] for item in decisions["series"]]}
        for position, label in enumerate(decisions["labels"])
    ]
    totals = {
        "open": sum(row.count for row in rows),
        "late": sum(row.late for row in rows),
        "oldest": min((row.oldest for row in rows if row.oldest), default=None),
    }
    targets = target_days()
    context = {
        **admin_site.each_context(request),
        "title": _("Supervision dashboard"),
        "rows": rows,
        "totals": totals,
        "oldest_age": timesince(totals["oldest"], now, depth=2) if totals["oldest"] else "",
        "target_days": targets["default"],
        "special_targets": sorted((code, days) for code, days in targets.items() if code != "default"),
        "decisions": decisions,
        "per_day": per_day,
        "chart": {
            "labels": decisions["axis_labels"],
            "series": [{"label": item["label"], "values": item["values"]} for item in decisions["series"]],
            "axis": _("Decisions"),
        },
        "decision_days": DECISION_DAYS,
        "changelist_url": "admin:civil_affairs_servicerequest_changelist",
    }
    return TemplateResponse(request, "admin/staff_dashboard.html", context)
