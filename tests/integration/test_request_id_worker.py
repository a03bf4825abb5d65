"""Issue 10 with a real worker process: a task enqueued during a request logs under the request's id."""

import json

import pytest

from absher import request_id

from .conftest import wait_for
from .tasks_for_tests import record_request_id

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_the_worker_runs_a_task_under_the_id_of_the_request_that_enqueued_it(queued, workers, gateway):
    worker = workers.start(DJANGO_LOG_FORMAT="json")  # production's format
    token = request_id.activate("c0ffee00deadbeef0123456789abcdef")
    try:
        record_request_id.delay("in-request")
    finally:
        request_id.deactivate(token)
    record_request_id.delay("outside")  # enqueued by no request (beat, a command): no id

    def lines():
        found = {line.split()[0]: line.split()[1] for line in gateway.progress()}
        return found if {"in-request", "outside"} <= set(found) else None

    found = wait_for(lines, timeout=30, what="both tasks to run", log=worker.log)
    assert found == {"in-request": "request_id=c0ffee00deadbeef0123456789abcdef", "outside": "request_id=None"}
    # The task's own record, in the worker's log, is a JSON line with the request's id.
    records = [json.loads(line) for line in worker.log().splitlines() if line.startswith("{")]
    mine = {record["message"]: record["request_id"] for record in records if record["logger"] == "tests.integration.tasks"}
    assert mine == {"recorded in-request": "c0ffee00deadbeef0123456789abcdef", "recorded outside": None}
