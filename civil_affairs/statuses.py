"""Request statuses as a table of allowed moves (django-oscar's status pipeline idea).

The service refuses any other move, whatever a page shows.
"""

from .models import RequestStatus as S

TRANSITIONS = {
    S.SUBMITTED: {S.IN_REVIEW, S.REJECTED, S.CLOSED, S.WITHDRAWN},
    S.IN_REVIEW: {S.WAITING_CITIZEN, S.APPROVED, S.REJECTED, S.CLOSED, S.WITHDRAWN},
    S.WAITING_CITIZEN: {S.IN_REVIEW, S.CLOSED, S.WITHDRAWN},
    S.APPROVED: set(),
    S.REJECTED: set(),
    S.CLOSED: set(),
    S.WITHDRAWN: set(),
}
OPEN = {S.SUBMITTED, S.IN_REVIEW, S.WAITING_CITIZEN}
FINAL = {S.APPROVED, S.REJECTED, S.CLOSED, S.WITHDRAWN}
#: Only the applicant moves a request here (services.request_withdraw), never staff.
BY_APPLICANT_ONLY = {S.WITHDRAWN}


def can_move(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, set())


def staff_moves(from_status: str) -> set[str]:
    """The statuses staff may move a request to from `from_status` (withdrawal is the citizen's)."""
    return TRANSITIONS.get(from_status, set()) - BY_APPLICANT_ONLY


#: The steps of a request as the citizen reads them ({% steps "request" N %}, absher/steps.py):
#: 1 sent, 2 in review, 3 decided; past the last (4) every step is done.
REQUEST_STEP = {
    S.SUBMITTED: 2,  # sent: done; review is what comes now
    S.IN_REVIEW: 2,
    S.WAITING_CITIZEN: 2,
    S.APPROVED: 4,
    S.REJECTED: 4,
    S.CLOSED: 4,
}


def request_step(status: str) -> int | None:
    """The current step of a request in that status, or None for a withdrawn one (it was never
    decided: the page says it was withdrawn rather than showing the decision as done)."""
    return REQUEST_STEP.get(status)


def what_happens_next(status: str) -> str:
    """What the citizen reads under a request's steps: what happens now, and what to do if anything."""
    from django.utils.translation import gettext as _

    texts = {
        S.SUBMITTED: _(
            "Your request is waiting for a staff member of the department. We will tell you by SMS and in your "
            "inbox when its status changes; you do not need to do anything now."
        ),
        S.IN_REVIEW: _(
            "A staff member is reviewing your request. If they need anything more, they will ask you here and "
            "tell you by SMS."
        ),
        S.WAITING_CITIZEN: _(
            "The department needs more from you before it can decide: read their message below, then send your "
            "reply with what they asked for and attach any document they named. Your request goes back to review "
            "once you reply."
        ),
        S.APPROVED: _("Your request was approved. Nothing more is needed from you."),
        S.REJECTED: _(
            "Your request was rejected for the reason shown above. You can send a new request once you have "
            "what was missing."
        ),
        S.CLOSED: _("This request is closed. You can send a new request at any time."),
        S.WITHDRAWN: _(
            "You withdrew this request, so it will not be decided. You can send a new request at any time."
        ),
    }
    return texts.get(status, "")
