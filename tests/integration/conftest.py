"""Worker tests: a real `celery -A absher worker` process on Redis, sharing the test database.

- The broker is a Redis database of these tests' own (ABSHER_WORKER_TEST_BROKER, default
  redis://127.0.0.1:6379/6), flushed before and after each test.
- Tasks are queued, not run eagerly, in the test process too (the `queued` fixture).
- The worker reads tests/integration/worker_settings.py: the test settings, the test database
  passed through DATABASE_URL (pytest-django's name for it, connection.settings_dict["NAME"]),
  SMS through the file backend to a file the test reads, with faults the test injects.
- Tests use `django_db(transaction=True)`, so that the worker sees committed rows.
- On SQLite or without Redis they skip with the reason; under CI=true they fail instead.
- The worker runs on the real clock, so these tests do too (they depend on no date).
Every wait is bounded; every worker a test starts is stopped (or killed) at its end.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import time_machine
from django.db import connection

from absher import celery_app

ROOT = Path(__file__).resolve().parents[2]
BROKER_URL = os.environ.get("ABSHER_WORKER_TEST_BROKER", "redis://127.0.0.1:6379/6")
START_TIMEOUT = 60


def unavailable(why: str):
    if os.environ.get("CI"):
        pytest.fail(f"CI runs the worker tests: {why}")
    pytest.skip(f"{why} (CI runs them)")


@pytest.fixture(autouse=True)
def _frozen_clock():
    """Instead of the run's frozen instant: the real clock, which the worker process runs on."""
    with time_machine.travel(time_machine.escape_hatch.time.time(), tick=True):
        yield


def wait_for(predicate, *, timeout: float, what: str, every: float = 0.1, log=None):
    """Poll `predicate` until it is true, at most `timeout` seconds; fail saying what did not happen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    tail = ""
    if log is not None:
        tail = "\n--- worker log ---\n" + "\n".join(log().splitlines()[-40:])
    pytest.fail(f"waited {timeout:.0f} s for {what}{tail}")


@pytest.fixture
def broker(transactional_db):
    if connection.vendor != "postgresql":
        unavailable("the worker tests need PostgreSQL: the worker shares the test database")
    import redis

    client = redis.Redis.from_url(BROKER_URL, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        unavailable(f"the worker tests need Redis at {BROKER_URL} ({type(exc).__name__})")
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def queued(broker, settings):
    """Tasks enqueued in this process go to the broker (eager off), as in a deployment."""
    conf = celery_app.conf
    saved = {name: conf[name] for name in ("task_always_eager", "broker_url", "broker_transport_options")}
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = BROKER_URL
    conf.task_always_eager = False
    conf.broker_url = BROKER_URL
    conf.broker_transport_options = {**saved["broker_transport_options"], "visibility_timeout": 3600}
    _drop_broker_pools()  # no connection made for another broker is reused
    yield celery_app
    _drop_broker_pools()
    for name, value in saved.items():
        conf[name] = value


def _drop_broker_pools():
    from kombu import pools

    pools.reset()  # closes kombu's pools (kept per broker URL) and forgets them
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def worker_database_url() -> str:
    """The test database pytest-django made, as a URL for the worker's DATABASE_URL."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    host = s.get("HOST") or "127.0.0.1"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{quote(s['NAME'], safe='')}"


class Gateway:
    """The files the worker's SMS backend (tests/integration/gateway.py) writes and reads."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.sms_file = folder / "sms.jsonl"

    def faults(self, **faults) -> None:
        tmp = self.folder / "faults.tmp"
        tmp.write_text(json.dumps(faults))
        os.replace(tmp, self.folder / "faults.json")

    def _lines(self, name: str) -> list[dict]:
        path = self.folder / name
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def sent(self, to: str | None = None) -> list[dict]:
        return [m for m in self._lines("sms.jsonl") if to is None or m["to"] == to]

    def attempts(self, to: str | None = None) -> list[dict]:
        return [m for m in self._lines("attempts.jsonl") if to is None or m["to"] == to]

    def progress(self) -> list[str]:
        path = self.folder / "progress.log"
        return path.read_text().splitlines() if path.exists() else []


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # pid (comm) state ppid ...: comm may hold spaces, so read after its closing parenthesis.
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


class Worker:
    """One `celery -A absher worker` (or `beat`) process, in its own process group, so that a kill
    takes its pool processes too."""

    def __init__(self, *, env: dict, folder: Path, pool: str, number: int, beat: bool = False):
        self.env, self.pool, self.beat = env, pool, beat
        self.log_path = folder / (f"beat-{number}.log" if beat else f"worker-{number}.log")
        self.name = f"absher-test-{number}@%h"
        self.proc = None

    def start(self) -> "Worker":
        cmd = [sys.executable, "-m", "celery", "-A", "absher", "worker", f"--pool={self.pool}", "--concurrency=1",
               "--loglevel=INFO", "--without-gossip", "--without-mingle", f"--hostname={self.name}"]
        ready = " ready."
        if self.beat:
            cmd = [sys.executable, "-m", "celery", "-A", "absher", "beat", "--loglevel=INFO"]
            ready = "beat: Starting..."
        with self.log_path.open("w") as log:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(lambda: self.proc.poll() is not None or ready in self.log(), timeout=START_TIMEOUT,
                 what="the worker to be ready", log=self.log)
        if self.proc.poll() is not None:
            pytest.fail(f"the worker did not start:\n{self.log()}")
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL, the whole process group: nothing gets to acknowledge or hand back a message."""
        if self.alive:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def kill_child(self, pid: int) -> None:
        """SIGKILL one pool process (prefork), the one the task recorded: the parent sees its worker lost."""
        assert pid in children_of(self.proc.pid), f"{pid} is not a pool process of this worker"
        os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        if not self.alive:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)  # warm shutdown
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()


@pytest.fixture
def gateway(tmp_path) -> Gateway:
    folder = tmp_path / "gateway"
    folder.mkdir()
    return Gateway(folder)


@pytest.fixture
def workers(broker, gateway):
    """`workers.start(pool="solo", visibility_timeout=3600)` starts one; all are stopped at the end."""
    started: list[Worker] = []

    class Workers:
        def start(self, *, pool: str = "solo", visibility_timeout: int = 3600, beat: bool = False,
                  **extra_env) -> Worker:
            """A worker, or with `beat` the beat process (its schedule: tests/integration/worker_settings.py).
            `extra_env` reaches worker_settings.py, e.g. ABSHER_WORKER_NOTIFY_LEASE=2."""
            env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
            env.update({
                "DJANGO_SETTINGS_MODULE": "tests.integration.worker_settings",
                "DATABASE_URL": worker_database_url(),
                "ABSHER_WORKER_BROKER_URL": BROKER_URL,
                "ABSHER_WORKER_VISIBILITY_TIMEOUT": str(visibility_timeout),
                "ABSHER_WORKER_SMS_FILE": str(gateway.sms_file),
                **{k: str(v) for k, v in extra_env.items()},
            })
            worker = Worker(env=env, folder=gateway.folder, pool=pool, number=len(started) + 1, beat=beat)
            started.append(worker)
            return worker.start()

    yield Workers()
    for worker in started:
        worker.stop()
    # No worker may outlive its test (it would hold connections to the test database).
    for worker in started:
        worker.kill()
