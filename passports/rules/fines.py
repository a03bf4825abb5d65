"""Paying a fine recorded against a person: the amount is the fine's own, paid once.

Source: Absher "Traffic violations / Expatriate affairs violations" payment through SADAD;
unpaid fines stop the person's other passports services (each rule's UNPAID_FINES).
"""

from decimal import Decimal

from . import Decision, FeeLine, authority, ordered

FINE = "fine"

FINE_PAID = "fine_paid"
NOT_ACTING = "not_acting_for"
REASONS = (NOT_ACTING, FINE_PAID)


def decide(*, relation: str | None, paid: bool, amount: Decimal) -> Decision:
    failed = {NOT_ACTING: relation not in authority.RELATIONS, FINE_PAID: paid}
    return Decision(reasons=ordered(failed, REASONS), fee_lines=(FeeLine(code=FINE, quantity=1, amount=Decimal(amount)),))
