"""Issue 10: the probes. /health/live/ answers from the process alone; /health/ready/ checks the
database, the cache, the broker and the attachments' storage; both say only ok or unavailable."""

import json
import logging
from pathlib import Path

import pytest
import redis
from health_check.checks import Database, Storage
from health_check.exceptions import ServiceUnavailable

from absher import celery_app
from absher.health import Broker, ReadyView

LIVE, READY = "/health/live/", "/health/ready/"
SECURITY_HEADERS = ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy")
REDIS_BROKER = "redis://127.0.0.1:6379/15"


def assert_probe(response, status, body):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"status": body}  # nothing else: no versions, no errors
    assert "no-store" in response["Cache-Control"]
    assert not response.cookies
    for header in SECURITY_HEADERS:
        assert response.has_header(header), header
    assert response.has_header("X-Request-ID")


@pytest.fixture
def broker_url():
    """Point the Celery app at another broker for the test (the probe opens a connection of its own)."""
    saved = celery_app.conf.broker_url

    def point(url):
        celery_app.conf.broker_url = url

    yield point
    celery_app.conf.broker_url = saved


# --- liveness ---------------------------------------------------------------------------------


def test_live_answers_without_the_database(client):
    # No django_db mark: pytest-django would fail the test at the first query.
    assert_probe(client.get(LIVE), 200, "ok")


@pytest.mark.django_db
def test_live_costs_no_query_and_sets_no_cookie(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(LIVE, HTTP_ACCEPT="text/html")
    assert_probe(response, 200, "ok")


# --- readiness --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_ready_when_everything_answers(client):
    assert_probe(client.get(READY), 200, "ok")
    assert_probe(client.get(READY, HTTP_ACCEPT="text/html"), 200, "ok")  # a browser gets the same


@pytest.mark.django_db
def test_ready_with_a_redis_broker(client, broker_url):
    try:
        redis.Redis.from_url(REDIS_BROKER, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    broker_url(REDIS_BROKER)
    assert_probe(client.get(READY), 200, "ok")


@pytest.mark.django_db
def test_not_ready_without_the_broker_and_the_client_learns_nothing_more(client, broker_url, caplog):
    broker_url("redis://127.0.0.1:1/0")  # nothing listens there
    caplog.set_level(logging.INFO)
    response = client.get(READY)
    assert_probe(response, 503, "unavailable")
    assert b"127.0.0.1" not in response.content and b"Broker" not in response.content
    [summary] = [record for record in caplog.records if record.name == "absher.health"]
    assert summary.levelno == logging.WARNING and "Broker()" in summary.getMessage()
    assert "broker connection failed" in summary.getMessage()
    # django-health-check's own record has the cause (the host and port), for the operators.
    assert any(record.name == "health_check" and record.exc_info for record in caplog.records)


@pytest.mark.django_db
def test_not_ready_when_the_database_fails(client, monkeypatch, caplog):
    def broken(self):
        raise ServiceUnavailable("could not connect to server db.internal:5432")

    monkeypatch.setattr(Database, "run", broken)
    response = client.get(READY)
    assert_probe(response, 503, "unavailable")
    assert b"db.internal" not in response.content
    assert "db.internal" in caplog.text


@pytest.mark.django_db
def test_not_ready_when_the_cache_fails(client, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}
    assert_probe(client.get(READY), 503, "unavailable")


@pytest.mark.django_db
def test_not_ready_when_the_attachments_cannot_be_written(client, settings, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the store's folder should be")
    settings.STORAGES = {**settings.STORAGES, "attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(blocked)}}}
    assert_probe(client.get(READY), 503, "unavailable")


@pytest.mark.django_db
def test_the_storage_checked_is_the_attachments_one_when_there_is_one(client, settings, tmp_path):
    without = {alias: config for alias, config in settings.STORAGES.items() if alias != "attachments"}
    settings.STORAGES = without
    assert [check.alias for check in ReadyView().get_checks() if isinstance(check, Storage)] == ["default"]
    store = tmp_path / "attachments"
    settings.STORAGES = {**settings.STORAGES, "attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(store)}}}
    assert [check.alias for check in ReadyView().get_checks() if isinstance(check, Storage)] == ["attachments"]
    assert_probe(client.get(READY), 200, "ok")
    # It wrote there, and left nothing but the empty folder of its test files.
    assert store.is_dir() and not [path for path in Path(store).rglob("*") if path.is_file()]


def test_the_broker_check_is_a_connection_not_a_worker_ping(broker_url):
    broker_url("memory://")
    Broker().run()  # development's eager setup: nothing to reach
    broker_url("redis://127.0.0.1:1/0")
    with pytest.raises(ServiceUnavailable):
        Broker().run()
