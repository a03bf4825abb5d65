"""Celery tasks of the notification pipeline: thin wrappers round delivery.py.

`send_message(message_id)`: one message (enqueued on the commit that wrote it, again by the
sweeper, or by itself with a countdown for the next retry). `acks_late` with
`reject_on_worker_lost`: a worker killed mid-task hands the broker message back, and the claim
in delivery.py keeps the second run from sending what the first one sent. Its time limits stay
under NOTIFY_LEASE, so that a claim outlives only a dead worker.

`outbox_sweep()`: the periodic sweeper (CELERY_BEAT_SCHEDULE, every minute).
"""

from celery import shared_task

from absher.periodic import periodic_task

from . import delivery

#: The gateway call has its own timeout (NOTIFY_GATEWAY_TIMEOUT, seconds); these bound the rest.
SOFT_TIME_LIMIT = 60
TIME_LIMIT = 90


@shared_task(
    name="absher.notifications.tasks.send_message",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    soft_time_limit=SOFT_TIME_LIMIT,
    time_limit=TIME_LIMIT,
)
def send_message(message_id: int) -> str:
    outcome = delivery.message_deliver(message_id=message_id)
    if outcome.retry_in is not None:
        # Where tasks run eagerly (development, unit tests) the retry runs at once.
        send_message.apply_async((message_id,), countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="absher.notifications.tasks.outbox_sweep", ignore_result=True, acks_late=True)
def outbox_sweep() -> dict:
    counts = delivery.outbox_sweep()
    return {"expired": counts.expired, "dead_letter": counts.dead_letter, "requeued": counts.requeued,
            "no_receipt": counts.no_receipt}


@periodic_task()
def purge_outbox() -> dict:
    return {"deleted": delivery.outbox_purge()}
