"""Reporting a domestic worker absent from work ("huroob"), and its cancellation.

Sources
    - Absher "Report absence from work (domestic labor)", conditions of the service (absher.sa,
      read in its Arabic text): the iqama is valid; one report only for each worker; no final
      exit visa issued to the worker; the report cannot be cancelled on Absher but only at the
      expatriates' affairs department (passports) within 15 days of the report; after 15 days it
      can no longer be cancelled, and the worker is put on the watch list and deported; after
      the report the worker no longer appears in the sponsor's e-services.
    - Issue 5 adds: not while the worker is abroad on a valid exit/re-entry visa.

Effect on the worker's other services (see `blocks`): an active report refuses the worker's
iqama renewal, exit/re-entry visas and final exit (each rule's REPORTED_ABSENT). In this
portal the sponsor still sees the worker and the report, so that they can follow it and ask
the passports department to cancel it in time (a request of the inbox, decided by an officer).
"""

from dataclasses import dataclass
from datetime import date, timedelta

from . import Decision, authority, ordered

CANCEL_WITHIN = timedelta(days=15)

ACTIVE = "active"
CANCELLED = "cancelled"

NOT_SPONSOR = "not_sponsor"
IQAMA_EXPIRED = "iqama_expired"
ALREADY_REPORTED = "already_reported"
FINAL_EXIT_ISSUED = "final_exit_issued"
ABROAD_ON_VISA = "abroad_on_visa"
REPORT_NOT_ACTIVE = "report_not_active"
CANCEL_WINDOW_CLOSED = "cancel_window_closed"
REASONS = (NOT_SPONSOR, IQAMA_EXPIRED, ALREADY_REPORTED, FINAL_EXIT_ISSUED, ABROAD_ON_VISA, REPORT_NOT_ACTIVE,
           CANCEL_WINDOW_CLOSED)


@dataclass(frozen=True)
class Worker:
    iqama_expiry: date | None
    #: Any report ever filed for this worker (cancelled ones too: once per worker).
    already_reported: bool
    final_exit_issued: bool
    #: Abroad on an exit/re-entry visa that is still valid.
    abroad_on_valid_visa: bool


def decide(*, worker: Worker, relation: str, today: date) -> Decision:
    failed = {
        NOT_SPONSOR: relation != authority.WORKER,
        IQAMA_EXPIRED: worker.iqama_expiry is None or worker.iqama_expiry < today,
        ALREADY_REPORTED: worker.already_reported,
        FINAL_EXIT_ISSUED: worker.final_exit_issued,
        ABROAD_ON_VISA: worker.abroad_on_valid_visa,
    }
    return Decision(reasons=ordered(failed, REASONS), outcome={"cancellable_until": today + CANCEL_WITHIN})


def cancellable_until(reported_on: date) -> date:
    """The last day the report can be cancelled (at the passports department)."""
    return reported_on + CANCEL_WITHIN


def cancellation_decide(*, status: str, reported_on: date, today: date) -> Decision:
    last = cancellable_until(reported_on)
    failed = {
        REPORT_NOT_ACTIVE: status != ACTIVE,
        CANCEL_WINDOW_CLOSED: status == ACTIVE and today > last,
    }
    return Decision(reasons=ordered(failed, REASONS))


def blocks(status: str) -> bool:
    """Whether a report in this status refuses the worker's other services."""
    return status == ACTIVE
