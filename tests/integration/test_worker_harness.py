"""QUALITY figure 32 with a real worker process, on a tiny task of the tests' own
(tests/integration/tasks_for_tests.py): what Celery itself guarantees with our settings.
test_outbox_worker.py shows the same on the notification pipeline."""

from functools import partial

import pytest
from django.db import transaction

from .conftest import wait_for
from .tasks_for_tests import send_test_sms

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

MOBILE = "+966500000101"
OTHER = "+966500000102"


class Rollback(Exception):
    pass


def barrier(gateway, worker, key="barrier"):
    """A message sent last and waited for: one worker takes one message at a time, in order, so
    whatever was queued before it has been taken by then."""
    to = "+966599999999"
    send_test_sms.delay(key, to, key)
    wait_for(lambda: any(m["body"] == key for m in gateway.sent(to)), timeout=30, what=f"the {key} message",
             log=worker.log)


def test_a_task_enqueued_in_a_transaction_that_rolls_back_never_runs(queued, workers, gateway):
    worker = workers.start()
    with pytest.raises(Rollback), transaction.atomic():
        transaction.on_commit(partial(send_test_sms.delay, "rolled-back", MOBILE, "never"))
        raise Rollback
    with transaction.atomic():
        transaction.on_commit(partial(send_test_sms.delay, "committed", OTHER, "once"))
    wait_for(lambda: gateway.sent(OTHER), timeout=30, what="the committed message", log=worker.log)
    barrier(gateway, worker)
    assert gateway.attempts(MOBILE) == [] and gateway.sent(MOBILE) == []
    assert [m["body"] for m in gateway.sent(OTHER)] == ["once"]
    assert "rolled-back" not in worker.log()


def test_a_gateway_that_fails_twice_then_answers_delivers_once(queued, workers, gateway):
    gateway.faults(fail=2)
    worker = workers.start()
    send_test_sms.delay("flaky", MOBILE, "third time lucky")
    wait_for(lambda: gateway.sent(MOBILE), timeout=60, what="the message after two failures", log=worker.log)
    barrier(gateway, worker)
    assert len(gateway.attempts(MOBILE)) == 3
    assert [m["body"] for m in gateway.sent(MOBILE)] == ["third time lucky"]
    assert [line.split()[1] for line in gateway.progress() if line.startswith("flaky ")] == [
        "started", "failed-0", "started", "failed-1", "started", "sent"]


def test_a_worker_killed_before_the_gateway_call_delivers_the_message_once_after_a_restart(queued, workers, gateway):
    """SIGKILL of the whole worker, parent and pool process: nobody hands the message back, and with
    acks_late nobody acknowledged it either; Redis gives it to the next worker after the visibility
    timeout. (Acknowledged early, as Celery does by default, it would be lost.)"""
    gateway.faults(task_hold_before=120)
    first = workers.start(pool="prefork", visibility_timeout=3)
    send_test_sms.delay("killed-before", MOBILE, "after the restart")
    wait_for(lambda: "killed-before task_hold_before" in " ".join(gateway.progress()), timeout=30,
             what="the task to be under way", log=first.log)
    first.kill()
    assert gateway.sent(MOBILE) == []
    gateway.faults()
    second = workers.start(pool="prefork", visibility_timeout=3)
    wait_for(lambda: gateway.sent(MOBILE), timeout=60, what="the message after the restart", log=second.log)
    barrier(gateway, second)
    assert [m["body"] for m in gateway.sent(MOBILE)] == ["after the restart"]


def test_a_worker_killed_after_the_gateway_took_the_message_does_not_send_it_again(queued, workers, gateway):
    """Killed after sending, before acknowledging: the message comes back, and the claim guard
    (the task's own record that it sent it) keeps the second run from sending again."""
    gateway.faults(task_hold_after=120)
    first = workers.start(pool="prefork", visibility_timeout=3)
    send_test_sms.delay("killed-after", MOBILE, "exactly once")
    wait_for(lambda: "killed-after task_hold_after" in " ".join(gateway.progress()), timeout=30,
             what="the task to have sent", log=first.log)
    first.kill()
    gateway.faults()
    second = workers.start(pool="prefork", visibility_timeout=3)
    wait_for(lambda: "killed-after already-sent" in " ".join(gateway.progress()), timeout=60,
             what="the message to come back to the new worker", log=second.log)
    barrier(gateway, second)
    assert [m["body"] for m in gateway.sent(MOBILE)] == ["exactly once"]


def test_a_pool_process_killed_mid_task_hands_the_message_back_at_once(queued, workers, gateway):
    """Prefork: SIGKILL of the child running the task. The parent sees its worker lost and, with
    reject_on_worker_lost, hands the message back to the queue at once (the visibility timeout
    here is an hour: only the hand-back can bring it back within the wait)."""
    gateway.faults(task_hold_before=120)
    worker = workers.start(pool="prefork", visibility_timeout=3600)
    send_test_sms.delay("child-killed", MOBILE, "handed back")
    wait_for(lambda: "child-killed task_hold_before" in " ".join(gateway.progress()), timeout=30,
             what="the task to be under way", log=worker.log)
    gateway.faults()
    worker.kill_child(int(next(line.split()[2] for line in gateway.progress() if line.startswith("child-killed "))))
    wait_for(lambda: gateway.sent(MOBILE), timeout=60, what="the message handed back", log=worker.log)
    barrier(gateway, worker)
    assert [m["body"] for m in gateway.sent(MOBILE)] == ["handed back"]
    assert "WorkerLostError" in worker.log()
