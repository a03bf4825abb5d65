"""Request statuses as a table of allowed moves (django-oscar's status pipeline idea).

The service refuses any other move, whatever a page shows.
"""

from .models import RequestStatus as S

TRANSITIONS = {
    S.SUBMITTED: {S.IN_REVIEW, S.REJECTED, S.CLOSED},
    S.IN_REVIEW: {S.WAITING_CITIZEN, S.APPROVED, S.REJECTED, S.CLOSED},
    S.WAITING_CITIZEN: {S.IN_REVIEW, S.CLOSED},
    S.APPROVED: set(),
    S.REJECTED: set(),
    S.CLOSED: set(),
}
OPEN = {S.SUBMITTED, S.IN_REVIEW, S.WAITING_CITIZEN}
FINAL = {S.APPROVED, S.REJECTED, S.CLOSED}


def can_move(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, set())
