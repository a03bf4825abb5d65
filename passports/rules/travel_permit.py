"""Travel permits: a parent's permission for a child under 21 to travel abroad.

Sources
    - Travel Documents Law as amended in 2019 (Royal Decree M/134 of 27/11/1440 AH) and the
      General Directorate of Passports' explanation of it: a citizen under 21 travels with the
      guardian's permission, given through Absher's "Travel permits" service (free); from 21 no
      permit is needed. The permit cannot outlast the passport it is tied to; one permit at a
      time (cancel the old one to issue a new one).
    - Exceptions the law names (married under-21s, government scholarship students, official
      missions) are not in the civil registry the portal holds, so they are not offered here.
    - The father or the mother may give the permit (the 2019 amendments let a mother act for the
      children in her custody); the registry's father and mother links decide who is a parent.
"""

from dataclasses import dataclass
from datetime import date

from civil_affairs import ages

from . import Decision, authority, ordered

AGE_LIMIT = 21
DESTINATIONS = ("all", "gcc")

NOT_CITIZEN = "not_citizen"
NOT_LIVING = "not_living"
NOT_PARENT = "not_parent"
AGE_21_OR_OVER = "age_21_or_over"
NO_VALID_PASSPORT = "no_valid_passport"
PERMIT_ACTIVE = "permit_active"
UNTIL_NOT_AFTER_TODAY = "until_not_after_today"
BEYOND_PASSPORT = "beyond_passport"
BEYOND_21 = "beyond_21"
PERMIT_NOT_ACTIVE = "permit_not_active"
REASONS = (NOT_CITIZEN, NOT_LIVING, NOT_PARENT, AGE_21_OR_OVER, NO_VALID_PASSPORT, PERMIT_ACTIVE,
           UNTIL_NOT_AFTER_TODAY, BEYOND_PASSPORT, BEYOND_21, PERMIT_NOT_ACTIVE)


@dataclass(frozen=True)
class Child:
    citizen: bool
    living: bool
    birth_date: date
    age_calendar: str
    passport_valid_until: date | None
    has_active_permit: bool


def turns_21(child: Child) -> date:
    return ages.anniversary(child.birth_date, years=AGE_LIMIT, calendar=child.age_calendar)


def decide(*, child: Child, relation: str, valid_until: date, today: date) -> Decision:
    """The permit runs from today through `valid_until` (inclusive)."""
    limit = turns_21(child)
    passport = child.passport_valid_until
    failed = {
        NOT_CITIZEN: not child.citizen,
        NOT_LIVING: not child.living,
        NOT_PARENT: relation != authority.CHILD,
        AGE_21_OR_OVER: today >= limit,
        NO_VALID_PASSPORT: passport is None or passport < today,
        PERMIT_ACTIVE: child.has_active_permit,
        UNTIL_NOT_AFTER_TODAY: valid_until <= today,
        BEYOND_PASSPORT: passport is not None and passport >= today and valid_until > passport,
        BEYOND_21: today < limit and valid_until >= limit,
    }
    return Decision(reasons=ordered(failed, REASONS), outcome={"valid_from": today, "valid_until": valid_until})


def cancellation_decide(*, relation: str, active: bool) -> Decision:
    """The parent who may give a permit may withdraw it while it is active."""
    failed = {NOT_PARENT: relation != authority.CHILD, PERMIT_NOT_ACTIVE: not active}
    return Decision(reasons=ordered(failed, REASONS))
