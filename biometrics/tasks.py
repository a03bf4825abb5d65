"""Background work of the kiosks and of enrolment: thin tasks round the services.

`deduplicate(request_id)` runs one de-duplication search (biometrics.enrolment), enqueued on the
commit of the enrolment; an engine that does not answer is tried again after growing waits, and
after the last the request fails, visible to staff. `acks_late`: a worker lost mid-search hands
the message back, and the run is idempotent (a request not queued any more is left alone).
"""

from celery import shared_task

from absher.periodic import periodic_task

from . import retention

#: Waits (seconds) before the tries of a search whose engine did not answer.
DEDUP_RETRY_DELAYS = (30, 120, 600, 1800)


@periodic_task()
def purge_kiosk_attempts() -> dict:
    return {"attempts": retention.kiosk_attempts_purge(), "match_throttles": retention.match_throttles_purge()}


@shared_task(name="biometrics.tasks.deduplicate", bind=True, max_retries=len(DEDUP_RETRY_DELAYS), acks_late=True,
             reject_on_worker_lost=True, ignore_result=True)
def deduplicate(self, request_id: int) -> str:
    from . import enrolment

    outcome = enrolment.dedup_request_run(request_id=request_id)
    if outcome.retry:
        tries = self.request.retries
        if tries < len(DEDUP_RETRY_DELAYS) and not self.request.is_eager:
            raise self.retry(countdown=DEDUP_RETRY_DELAYS[tries])
        outcome = enrolment.dedup_request_fail(request_id=request_id, failure="the matcher was unavailable")
    return outcome.status


@periodic_task()
def resume_dedup_requests() -> dict:
    from . import enrolment

    return {"requeued": enrolment.dedup_requests_resume()}
