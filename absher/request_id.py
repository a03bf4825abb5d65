"""One id a request, on every line the request writes, in the web and in the tasks it enqueues.

`RequestIdMiddleware`, early in MIDDLEWARE, takes the id the proxy gave the request in
`X-Request-ID` (nginx's `$request_id`, a load balancer's) when it is a sane token, or makes one
(a uuid4 in hex), keeps it in a context variable for the request's life and answers with it in
`X-Request-ID`: the proxy's access log, gunicorn's and the portal's records of one request then
share it. `RequestIdFilter`, on every handler of LOGGING, writes it on each record
(`record.request_id`), which the JSON formatter prints (absher.logging).

A task enqueued during the request carries the id in its message headers (`HEADER`), and the
worker sets it for the task's run (absher/celery.py): the SMS a worker sends for a request is
found from the request's id. The 500 page's error reference is the id's first eight characters
(absher.middleware.error_reference).
"""

import contextvars
import re
import uuid

#: The header the proxy sends and the portal answers with.
HTTP_HEADER = "X-Request-ID"
#: The header of a Celery task message that carries the id of the request that enqueued it.
HEADER = "absher_request_id"
# A token a proxy would make (hex, a uuid, base64url): letters, digits and . _ : -, at most 64.
# Anything else (a long string, spaces, control characters) is replaced, not trusted into the log.
SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,63}")

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("absher_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request (or of the request that enqueued the task) being served, if any."""
    return _current.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def sane(value) -> str | None:
    """`value` when it may serve as a request id, else None."""
    if isinstance(value, str) and SANE.fullmatch(value):
        return value
    return None


def activate(request_id: str | None) -> contextvars.Token:
    """Make `request_id` the current one; `deactivate(token)` puts back what was there before."""
    return _current.set(request_id)


def deactivate(token: contextvars.Token) -> None:
    _current.reset(token)


class RequestIdMiddleware:
    """Gives each request its id (the proxy's when sane) and says it in the response's X-Request-ID."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = sane(request.headers.get(HTTP_HEADER)) or new_request_id()
        request.request_id = request_id
        token = activate(request_id)
        try:
            response = self.get_response(request)
        finally:
            deactivate(token)
        response.headers[HTTP_HEADER] = request_id
        return response


class RequestIdFilter:
    """A handler's filter that writes the current request id on each record (None outside a request).

    Django writes its record about a 4xx or 5xx response (`django.request`) once the middlewares
    have returned, the id's context with them: that record carries its request, whose id it takes.
    A record that already has an id keeps it. It filters nothing out.
    """

    def filter(self, record) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = getattr(getattr(record, "request", None), "request_id", None) or current_request_id()
        return True
