"""The Django side of the matcher process: start it on first use, one request at a time, a deadline on each.

One worker per process that matches (each gunicorn or Celery worker process has its own, so a
pool of web workers is a pool of matchers). A worker that fails, times out or answers garbage
is killed and started again at the next request; when it cannot start at all (libfprint is not
installed), the engine is unavailable for RETRY_AFTER seconds and says so without trying.
"""

import base64
import contextlib
import logging
import os
import select
import subprocess  # noqa: S404 - our own worker module, fixed arguments
import sys
import threading
import time
from pathlib import Path

from ..images import FingerImage
from .protocol import ProtocolError, read_frame, write_frame

logger = logging.getLogger(__name__)

RETRY_AFTER = 30.0  # seconds an unavailable engine is not tried again
START_TIMEOUT = 15.0
# libfprint models a reader's temperature: a device busy for minutes on end is "disabled to prevent
# overheating" until it cools. A worker is replaced once it has been busy this long (a start costs
# ~0.2 s), so a busy matcher never gets there; a worker that fails anyway is replaced and the
# request tried once more.
RECYCLE_AFTER_BUSY = 60.0
PROJECT_ROOT = Path(__file__).resolve().parents[2]


class EngineUnavailable(Exception):
    """The matcher process cannot run here (libfprint missing) or failed: no comparison was made."""


class NoMinutiae(Exception):
    """libfprint found no minutiae in the image (its retry condition)."""


class _DeadlineReader:
    """A binary stream over a pipe whose reads fail after a deadline (select on the descriptor)."""

    def __init__(self, fd: int):
        self.fd = fd
        self.deadline = 0.0

    def read(self, size: int) -> bytes:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        ready, _w, _x = select.select([self.fd], [], [], left)
        if not ready:
            raise TimeoutError
        return os.read(self.fd, size)


def image_message(image: FingerImage) -> dict:
    return {"pixels": base64.b64encode(image.pixels).decode(), "width": image.width, "height": image.height}


class EngineClient:
    def __init__(self, *, timeout: float = 10.0, command: list[str] | None = None):
        self.timeout = timeout
        self.command = command or [sys.executable, "-m", "biometrics.engine.worker"]
        self._process: subprocess.Popen | None = None
        self._pid = 0
        self._reader: _DeadlineReader | None = None
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._busy = 0.0
        self.version = ""

    # -- the process ------------------------------------------------------------------------

    def _start(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH", "")]))
        self._process = subprocess.Popen(  # noqa: S603 - our own module, no shell
            self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=env, cwd=str(PROJECT_ROOT), bufsize=0, close_fds=True,
        )
        self._pid = os.getpid()
        self._busy = 0.0
        self._reader = _DeadlineReader(self._process.stdout.fileno())
        reply = self._exchange({"op": "hello"}, START_TIMEOUT)
        self.version = reply.get("engine", "")

    def _stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if self._pid == os.getpid():
            process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=2)

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _exchange(self, message: dict, timeout: float) -> dict:
        self._reader.deadline = time.monotonic() + timeout
        write_frame(self._process.stdin, message)
        reply = read_frame(self._reader)
        if "error" in reply:
            raise EngineUnavailable(reply["error"])
        return reply

    def call(self, message: dict, *, timeout: float | None = None) -> dict:
        """The worker's answer; NoMinutiae for libfprint's retry; EngineUnavailable otherwise."""
        with self._lock:
            if time.monotonic() < self._down_until:
                raise EngineUnavailable("the fingerprint engine is not available")
            for attempt in (1, 2):
                try:
                    reply = self._call_once(message, timeout or self.timeout)
                    break
                except (OSError, ProtocolError, TimeoutError, ValueError, EngineUnavailable) as error:
                    never_started = self.version == ""
                    self._stop()
                    logger.warning("fingerprint engine: %s", error if isinstance(error, EngineUnavailable) else type(error).__name__)
                    if never_started:
                        self._down_until = time.monotonic() + RETRY_AFTER
                    if never_started or attempt == 2 or isinstance(error, TimeoutError):
                        raise EngineUnavailable("the fingerprint engine failed") from None
        if "retry" in reply:
            raise NoMinutiae(reply["retry"])
        return reply

    def _call_once(self, message: dict, timeout: float) -> dict:
        if self._process is not None and (self._pid != os.getpid() or self._process.poll() is not None):
            self._process = None  # a forked child never kills its parent's worker
        if self._process is not None and self._busy >= RECYCLE_AFTER_BUSY:
            self._stop()
        if self._process is None:
            self._start()
        started = time.monotonic()
        try:
            return self._exchange(message, timeout)
        finally:
            self._busy += time.monotonic() - started

    # -- operations -------------------------------------------------------------------------

    def extract(self, image: FingerImage) -> list[list[int]]:
        return self.call({"op": "extract", "image": image_message(image)})["probe"]

    def compare(self, image: FingerImage, gallery: list, *, stop_at: int | None, timeout: float | None = None):
        """(probe xyt, scores): bozorth3 scores of the image against each gallery print (None: not reached)."""
        reply = self.call({"op": "compare", "image": image_message(image), "gallery": gallery, "stop_at": stop_at}, timeout=timeout)
        return reply["probe"], reply["scores"]


_client: EngineClient | None = None
_client_lock = threading.Lock()


def engine(timeout: float | None = None) -> EngineClient:
    """This process's client (one per process; a forked child starts its own worker)."""
    global _client
    with _client_lock:
        if _client is None:
            _client = EngineClient(timeout=timeout or 10.0)
        elif timeout:
            _client.timeout = timeout
        return _client
