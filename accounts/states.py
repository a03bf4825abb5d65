"""Account states as a table of allowed moves (the django-oscar status pipeline idea)."""

from .exceptions import InvalidTransition
from .models import AccountState as S

ALLOWED = {
    "": {S.PENDING_PHONE},
    S.PENDING_PHONE: {S.REGISTERED},
    S.REGISTERED: {S.ACTIVE, S.SUSPENDED, S.CLOSED},
    S.ACTIVE: {S.SUSPENDED, S.CLOSED},
    # Closed by its holder (accounts.closure): final; the ID number registers a new account.
    S.CLOSED: set(),
    S.SUSPENDED: {S.REGISTERED, S.ACTIVE},
}


def ensure_transition(from_state: str, to_state: str) -> None:
    if to_state not in ALLOWED.get(from_state, set()):
        raise InvalidTransition(from_state, to_state)
