"""Prometheus metrics at /metrics (django-prometheus), for the operators' scraper only.

What is there:
- django-prometheus's request metrics (its two middlewares, first and last in MIDDLEWARE: counts,
  latencies by view, statuses, exceptions) and its database metrics (the `django_prometheus.db`
  engines, which count and time every query: absher.settings.base.with_query_metrics);
- the notification outbox, read from the database at each scrape (`OutboxCollector`):
  `absher_outbox_messages{status}` (messages by status), `absher_outbox_pending_messages`
  (waiting for a worker), `absher_outbox_oldest_pending_age_seconds` (0 when nothing waits) and
  `absher_outbox_scrape_ok` (0 when the database could not be read: the others are then absent).

Who may read it: a client whose address (absher.request_info.client_address, so behind the
proxies TRUSTED_PROXY_COUNT names the real client's) is in METRICS_ALLOWED_IPS (addresses or
networks; loopback by default), or one that sends `Authorization: Bearer <METRICS_TOKEN>`. Anyone
else gets the portal's 404 page, as for an address that does not exist. The proxy in front should
not pass /metrics on at all; this check is the second line.

Gunicorn runs several worker processes, each with counters of its own, and a scrape reaches one
of them. With PROMETHEUS_MULTIPROC_DIR set (an empty folder, emptied at each start, writable by
the workers; the environment variable must be set before the process starts) prometheus_client
keeps every process's samples in files there and a scrape adds them up (gunicorn.conf.py's
child_exit drops a dead worker's). Without it each scrape reads the one process that answered:
counters then jump between scrapes; fine on a single-process server (runserver), not in production.
The outbox gauges come from the database, so they are right from any process in either mode.
"""

import hmac
import ipaddress
import logging
import os
from functools import lru_cache

from django.conf import settings
from django.db import DatabaseError
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from .request_info import client_address

logger = logging.getLogger("absher.metrics")


class OutboxCollector:
    """The outbox's depth and lag, read at scrape time (absher.notifications.selectors.outbox_stats)."""

    def collect(self):
        from absher.notifications.selectors import outbox_stats

        up = GaugeMetricFamily("absher_outbox_scrape_ok", "1 when the outbox could be read at this scrape, else 0.")
        try:
            stats = outbox_stats()
        except DatabaseError:
            logger.warning("metrics: the outbox could not be read", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        by_status = GaugeMetricFamily("absher_outbox_messages", "Outbox messages by status.", labels=["status"])
        for status, count in sorted(stats["by_status"].items()):
            by_status.add_metric([status], count)
        yield by_status
        yield GaugeMetricFamily("absher_outbox_pending_messages",
                                "Outbox messages waiting for a worker (created, sending, temporary failure).",
                                value=stats["pending"])
        yield GaugeMetricFamily("absher_outbox_oldest_pending_age_seconds",
                                "Age of the oldest message waiting for a worker, in seconds (0 when none waits).",
                                value=stats["oldest_pending_seconds"] or 0.0)


class _Scrape:
    """What one scrape reads: the process's (or all processes') metrics and the outbox."""

    def __init__(self, *collectors):
        self.collectors = collectors

    def collect(self):
        for collector in self.collectors:
            yield from collector.collect()


def multiprocess_mode() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def scrape() -> bytes:
    if multiprocess_mode():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        source = _Scrape(registry, OutboxCollector())
    else:
        source = _Scrape(REGISTRY, OutboxCollector())
    return generate_latest(source)


@lru_cache(maxsize=8)
def _networks(allowed: tuple[str, ...]):
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in allowed if entry.strip())


def may_read_metrics(request) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        scheme, _space, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
            return True
    try:
        address = ipaddress.ip_address(client_address(request))
    except ValueError:
        return False
    return any(address in network for network in _networks(tuple(settings.METRICS_ALLOWED_IPS)))


@never_cache
def metrics(request):
    if not may_read_metrics(request):
        raise Http404
    return HttpResponse(scrape(), content_type=CONTENT_TYPE_LATEST)
