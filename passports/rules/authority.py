"""Who may act for whom in the passports services: the one place every service asks.

The rule (issue 5, "Who may act for whom")
    - anyone for themselves;
    - a citizen or a resident for their children in the civil registry (the registry's father
      and mother links; the dependents link of the civil-affairs inbox is a narrower thing) while
      the child is under 21;
    - a citizen for the workers they sponsor (an active sponsorship).
A resident acts for themselves and their registered family (their children): a resident's
workers are handled by the establishment's own platform, not here.

Why 21 for children: since the 2019 amendments of the Travel Documents Law (Royal Decree
M/134 of 27/11/1440 AH) a citizen of 21 or more issues their own passport and travels without
a guardian's permission; from then on a parent has no business with the child's documents or
travel record. Ages count in the child's calendar (Hijri for citizens, Gregorian for
residents: civil_affairs.selectors.age_calendar).
"""

from dataclasses import dataclass
from datetime import date

from civil_affairs import ages

SELF = "self"
CHILD = "child"
WORKER = "worker"
RELATIONS = (SELF, CHILD, WORKER)

CHILD_AGE_LIMIT_YEARS = 21


@dataclass(frozen=True)
class Actor:
    national_id: str
    citizen: bool


@dataclass(frozen=True)
class Holder:
    national_id: str
    birth_date: date
    age_calendar: str
    father_national_id: str | None = None
    mother_national_id: str | None = None
    #: The sponsor of the holder's active sponsorship, if any.
    sponsor_national_id: str | None = None


def child_until(holder: Holder) -> date:
    """The first day a parent no longer acts for this child (the 21st birthday)."""
    return ages.anniversary(holder.birth_date, years=CHILD_AGE_LIMIT_YEARS, calendar=holder.age_calendar)


def relation(actor: Actor, holder: Holder, *, today: date) -> str | None:
    """How `actor` may act for `holder` on `today`: SELF, CHILD, WORKER, or None (not at all)."""
    if not actor.national_id:
        return None
    if holder.national_id == actor.national_id:
        return SELF
    if actor.national_id in (holder.father_national_id, holder.mother_national_id) and today < child_until(holder):
        return CHILD
    if actor.citizen and holder.sponsor_national_id == actor.national_id:
        return WORKER
    return None
