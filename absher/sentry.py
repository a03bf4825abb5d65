"""Error tracking with Sentry (sentry-sdk), in production when SENTRY_DSN is set, never otherwise.

absher/settings/production.py calls `init_sentry` with what the environment says:

    SENTRY_DSN                   where events go; unset: Sentry is not initialised at all
    SENTRY_ENVIRONMENT           e.g. "production", "staging" (default "production")
    SENTRY_RELEASE               the deployed version (a git commit), if the deployment knows it
    SENTRY_TRACES_SAMPLE_RATE    share of requests traced for performance, 0 to 1 (default 0: none)

What a citizen sent stays home: no personal data by default (send_default_pii False: no user,
no client address), no local variables of the failing frames (they hold national IDs, codes and
passwords), no request bodies, and `before_send` drops what is left of the request but its
method and path (cookies, the query string, the headers that authenticate). Each event carries
the request's id (absher.request_id) as a tag, so that it leads to the request's log lines.
"""

from .request_id import current_request_id

# The request's parts an event may keep: which page failed, and how it was asked for.
KEPT_REQUEST_KEYS = {"method", "url"}
KEPT_HEADERS = {"host", "user-agent", "accept", "accept-language", "content-type", "content-length", "referer",
                "x-request-id"}


def before_send(event, hint):
    request = event.get("request")
    if isinstance(request, dict):
        kept = {key: value for key, value in request.items() if key in KEPT_REQUEST_KEYS}
        headers = request.get("headers")
        if isinstance(headers, dict):
            kept["headers"] = {name: value for name, value in headers.items() if name.lower() in KEPT_HEADERS}
        if isinstance(kept.get("url"), str):
            kept["url"] = kept["url"].split("?", 1)[0]
        event["request"] = kept
    request_id = current_request_id()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return event


def sentry_options(*, dsn: str, environment: str = "production", release: str | None = None,
                   traces_sample_rate: float = 0.0) -> dict:
    """The arguments of sentry_sdk.init (a function of its own, so that tests read them)."""
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    return {
        "dsn": dsn,
        "environment": environment or "production",
        "release": release or None,
        "traces_sample_rate": traces_sample_rate,
        "send_default_pii": False,
        "include_local_variables": False,
        "max_request_body_size": "never",
        "before_send": before_send,
        "integrations": [DjangoIntegration(), CeleryIntegration()],
    }


def init_sentry(**options) -> None:
    import sentry_sdk

    sentry_sdk.init(**sentry_options(**options))
