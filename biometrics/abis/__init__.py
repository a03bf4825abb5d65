"""De-duplication at enrolment: one finger on two ID numbers (issue 13).

The engine is an ABIS behind biometrics.abis.base.Abis (FINGERPRINT_ABIS); biometrics.enrolment
queues the search and biometrics.tasks.deduplicate runs it; a hit opens a DuplicateCase that
staff adjudicate in the admin. The kiosk asks `activation_held` before it activates an account.
"""

from .base import Abis, Candidate, get_abis

__all__ = ["Abis", "Candidate", "activation_held", "get_abis"]


def activation_held(national_id: str) -> bool:
    """Whether a duplicate case holds this ID's activation: one involving it (on either side)
    is open, or staff decided it is the same person under two ID numbers."""
    from django.db.models import Q

    from ..models import DuplicateCase

    held = (DuplicateCase.Status.OPEN, DuplicateCase.Status.SAME_PERSON)
    return DuplicateCase.objects.filter(
        Q(national_id=national_id) | Q(other_national_id=national_id), status__in=held,
    ).exists()
