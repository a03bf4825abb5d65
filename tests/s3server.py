"""A real S3 server for the storage tests: moto's standalone server (moto[server], requirements-dev.txt)
in a process of its own on 127.0.0.1 at a free port, started once per run when a test asks for it, or
the server at ABSHER_TEST_S3_ENDPOINT (MinIO, say) when that is set. Without moto the S3 tests skip
with the reason; under CI=true they fail instead, as the worker tests do.

The server runs on the real clock while the tests run on the frozen one (tests/clock.py): the
storage measures an object's age on the server's own clock (civil_affairs/storage.py), so the two
never need to agree. A server that refuses requests signed at a skewed time (MinIO does; moto does
not) needs a run at the real date (the default --clock is today, at noon in Riyadh).
"""

import importlib.util
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ACCESS_KEY = os.environ.get("ABSHER_TEST_S3_ACCESS_KEY_ID", "testing")
SECRET_KEY = os.environ.get("ABSHER_TEST_S3_SECRET_ACCESS_KEY", "testing")
REGION = os.environ.get("ABSHER_TEST_S3_REGION", "us-east-1")
STARTUP_SECONDS = 30


def unavailable(why: str):
    if os.environ.get("CI"):
        pytest.fail(f"CI runs the S3 storage tests: {why}")
    pytest.skip(f"{why} (CI runs them)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class MotoServer:
    """`python -m moto.server` in its own process group, so that stopping it stops all of it."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.log_path = folder / "moto-server.log"
        self.process = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        env = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
            )
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if listening(self.port):
                return self
            time.sleep(0.1)
        self.stop()
        tail = self.log_path.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"moto's S3 server did not start on port {self.port}:\n{tail}")

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def client(endpoint: str):
    import boto3

    return boto3.client(
        "s3", endpoint_url=endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
    )


def empty_and_delete(s3, bucket: str) -> None:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", ())]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})
    s3.delete_bucket(Bucket=bucket)


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory):
    """The URL of a running S3 server for this run."""
    given = os.environ.get("ABSHER_TEST_S3_ENDPOINT")
    if given:
        yield given
        return
    for module in ("boto3", "storages.backends.s3", "moto.server", "flask"):
        if importlib.util.find_spec(module.split(".")[0]) is None:
            unavailable(f"{module} is not installed (pip install -r requirements-dev.txt)")
    server = MotoServer(tmp_path_factory.mktemp("s3"))
    try:
        server.start()
    except RuntimeError as exc:
        unavailable(str(exc))
    try:
        yield server.endpoint
    finally:
        server.stop()
