"""Pure rules of the passports services: no ORM, no clock, no settings.

Each module names the regulation or the public page it follows. Facts come in as frozen
dataclasses, `today` is passed in, and a decision lists every reason that stands in the way
(in a fixed order), the date time will fix it (when only time stands in the way) and the fee.
"""

import calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class FeeLine:
    """One line of a bill: a fee of the table (its code), how many times, and the subtotal."""

    code: str
    quantity: int
    amount: Decimal


@dataclass(frozen=True)
class Decision:
    reasons: tuple[str, ...]
    #: When waiting is all that stands in the way: the first day it is allowed.
    allowed_from: date | None = None
    fee_lines: tuple[FeeLine, ...] = ()
    #: What the service will do when it goes ahead (new expiry dates and the like).
    outcome: dict = field(default_factory=dict)

    @property
    def allowed(self) -> bool:
        return not self.reasons

    @property
    def fee(self) -> Decimal:
        return sum((line.amount for line in self.fee_lines), Decimal("0"))


def ordered(failed: dict[str, bool], order: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(code for code in order if failed.get(code))


def fee_line(fees, code: str, quantity: int = 1) -> FeeLine:
    """A line of `quantity` times the table's fee `code` (a missing fee is a configuration error)."""
    return FeeLine(code=code, quantity=quantity, amount=Decimal(fees[code]) * quantity)


def add_months(day: date, months: int) -> date:
    """The same day `months` Gregorian months later; a day the month lacks falls on its last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: date, years: int) -> date:
    return add_months(day, 12 * years)


def standing_refusal(decisions) -> Decision:
    """What stands in the way whatever the form's answers: the reasons shared by the decisions of
    every answer the form offers (or of the least demanding ones), in the rule's order.

    A service whose standing refusal is not allowed is refused before its form is shown (GOV.UK:
    ineligibility is a page that explains why, before the user fills anything); the reasons that
    depend on the answers are still checked on submission, by the same rule.
    """
    decisions = list(decisions)
    if not decisions:
        return Decision(reasons=())
    first = decisions[0]
    common = tuple(code for code in first.reasons if all(code in other.reasons for other in decisions[1:]))
    # When waiting is all that stands in the way of some answer: the first day that answer is allowed.
    waits = [other.allowed_from for other in decisions if other.reasons == common and other.allowed_from]
    return Decision(reasons=common, allowed_from=min(waits) if waits else None)
