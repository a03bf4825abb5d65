from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.shortcuts import render
from django.utils import timezone

from accounts.decorators import active_account_required
from civil_affairs import ages
from civil_affairs import selectors as registry
from civil_affairs.statuses import OPEN

from . import selectors
from .models import GuardianLink

ID_CARD_AGE = 15
OWN_ACCOUNT_AGE = 18


@dataclass
class DependentRow:
    link: GuardianLink
    age_hijri: int
    age_gregorian: int
    turns_15: date
    turns_18: date
    requests: list = field(default_factory=list)

    @property
    def person(self):
        return self.link.dependent


@active_account_required
def dependent_list(request):
    """My dependents: their ages in both calendars, the dates that matter, and my requests about them."""
    today = timezone.localdate()
    links = list(selectors.dependents_of(request.user))
    dependent_ids = {link.dependent_id for link in links}
    about = defaultdict(list)
    pending_additions = []
    for service_request in selectors.dependent_requests_of(request.user, dependent_ids=dependent_ids):
        if service_request.subject_id in dependent_ids:
            about[service_request.subject_id].append(service_request)
        elif service_request.status in OPEN:
            pending_additions.append(service_request)
    rows = [
        DependentRow(
            link=link,
            age_hijri=ages.age_in_years(link.dependent.birth_date, today, calendar=ages.HIJRI),
            age_gregorian=ages.age_in_years(link.dependent.birth_date, today, calendar=ages.GREGORIAN),
            turns_15=registry.person_reaches(link.dependent, years=ID_CARD_AGE),
            turns_18=registry.person_reaches(link.dependent, years=OWN_ACCOUNT_AGE),
            requests=about[link.dependent_id],
        )
        for link in links
    ]
    return render(
        request,
        "dependents/dependent_list.html",
        {"rows": rows, "pending_additions": pending_additions, "today": today},
    )
