"""The probes an orchestrator, a load balancer or the smoke test asks (django-health-check).

    GET /health/live/    the process answers: no database, no cache, nothing outside it
    GET /health/ready/   it can serve: the database, the cache, the Celery broker (a connection,
                         not a worker's answer: a worker that is down delays messages, it does not
                         make the portal unable to serve) and the attachments' storage

Both answer `{"status": "ok"}` (200) or `{"status": "unavailable"}` (503), never cached, and say
nothing else: which check failed and why (a host name, a driver's message) goes to the log, where
django-health-check writes each failure as a WARNING with its traceback, and this module one
line naming the failed checks. They need no session: a probe sends no cookie, so the session,
the sign-in timeout and the language middlewares do nothing for it and no cookie is set; the
security headers and the Content-Security-Policy apply as to every page.
"""

import asyncio
import dataclasses
import datetime
import logging

from django.conf import settings
from django.http import JsonResponse
from django.utils.cache import add_never_cache_headers
from health_check.base import HealthCheck
from health_check.checks import Cache, Database, Storage
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

logger = logging.getLogger("absher.health")


def probe_response(ok: bool) -> JsonResponse:
    response = JsonResponse({"status": "ok" if ok else "unavailable"}, status=200 if ok else 503)
    add_never_cache_headers(response)
    return response


def live(request):
    """Liveness: the process is up and serves requests. Restarting it is the only cure otherwise."""
    return probe_response(True)


@dataclasses.dataclass
class Broker(HealthCheck):
    """A connection to the Celery broker can be opened (the portal can enqueue work).

    With the broker Redis, kombu pings it on connecting. Development's in-memory broker (tasks
    run eagerly) always passes.
    """

    timeout: datetime.timedelta = dataclasses.field(default=datetime.timedelta(seconds=3), repr=False)

    def run(self):
        from absher.celery import app

        try:
            # One try (max_retries=0), within the transport's own connect timeout: the prober asks again soon.
            with app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=0, timeout=self.timeout.total_seconds())
        except Exception as exc:  # kombu's and the transport's errors alike: not reachable
            raise ServiceUnavailable("broker connection failed") from exc


def attachments_storage() -> str:
    """The storage alias of the citizens' attachments: its own when STORAGES names one."""
    return "attachments" if "attachments" in settings.STORAGES else "default"


class ReadyView(HealthCheckView):
    """Readiness: the checks below, run at once; 503 when any fails."""

    def get_checks(self):
        yield Database()
        yield Cache()
        yield Broker()
        yield Storage(alias=attachments_storage())

    async def get(self, request, *args, **kwargs):
        with self.get_executor() as executor:
            self.results = await asyncio.gather(*(check.get_result(executor) for check in self.get_checks()))
        failed = [result for result in self.results if result.error]
        if failed:
            logger.warning("not ready: %s", "; ".join(f"{result.check!r}: {result.error}" for result in failed))
        return probe_response(not failed)


ready = ReadyView.as_view()
