"""Reads that may go to a PostgreSQL read replica; everything else goes to the primary.

Off unless DATABASE_REPLICA_URL is set (absher/settings/base.py): then this router and its
middleware are installed. The replica is a streaming copy of the primary, some moments behind,
so a read goes there only when nothing can tell the difference:

- only inside a web request the middleware let through: a safe method (GET, HEAD) by a visitor
  who is not staff and has not written in the last DATABASE_REPLICA_PIN_SECONDS. A browser that
  has just written carries a signed cookie that pins its reads to the primary for that long (the
  replica's lag budget), so a citizen reads their own writes; a cookie, not the session, so that
  pinning costs no session write. Staff read the primary: they act on what they read (a queue, a
  record they are about to change), and they are few.
- never outside a request: Celery tasks, management commands and the shell act on state they
  were told about, which a lagging replica may not have yet. A task run eagerly inside a
  request reads the primary too.
- never inside transaction.atomic() (a service reads what it is about to change, and its reads
  must see its own writes), nor with select_for_update or get_or_create (Django sends those to
  db_for_write).
- once a request has written, the rest of it reads the primary too (a page that marks notices
  read, then shows the unread count), and its browser is pinned as after a POST.

Writes always go to the primary, and migrations run on it alone (the replica copies its schema).
"""

from contextvars import ContextVar
from dataclasses import dataclass

from celery import current_task
from django.conf import settings
from django.core import signing
from django.db import DEFAULT_DB_ALIAS, connections

PRIMARY = DEFAULT_DB_ALIAS
REPLICA = "replica"

#: The cookie that pins a browser to the primary; its signature carries the time it was set.
PIN_COOKIE = "absher_primary"
PIN_SALT = "absher.db_router.pin"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class _RequestReads:
    replica: bool
    wrote: bool = False


# Per request (a context variable, so threads and async tasks each see their own); None outside one.
_reads: ContextVar[_RequestReads | None] = ContextVar("absher_request_reads", default=None)


def _in_transaction() -> bool:
    return connections[PRIMARY].in_atomic_block


class PrimaryReplicaRouter:
    """DATABASE_ROUTERS: the replica for the reads the middleware allows, the primary for the rest."""

    def db_for_read(self, model, **hints):
        reads = _reads.get()
        if reads is None or not reads.replica or _in_transaction() or current_task:
            return PRIMARY
        return REPLICA

    def db_for_write(self, model, **hints):
        reads = _reads.get()
        if reads is not None:
            # From here on this request reads what it wrote, and its browser is pinned.
            reads.replica = False
            reads.wrote = True
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows: an object read there may be linked to one read on the primary.
        return {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA} or None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY


def pinned(request) -> bool:
    """Did this browser write within the last DATABASE_REPLICA_PIN_SECONDS?"""
    try:
        request.get_signed_cookie(PIN_COOKIE, salt=PIN_SALT, max_age=settings.DATABASE_REPLICA_PIN_SECONDS)
    except (KeyError, signing.BadSignature):  # none, forged, or expired (SignatureExpired is a BadSignature)
        return False
    return True


class ReplicaReadsMiddleware:
    """Lets a request's reads go to the replica, or not, and pins a browser that wrote.

    Listed after the authentication and session-timeout middleware, so the session and the user
    are read from the primary (a session written a moment ago may not have reached the replica).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        replica = request.method in SAFE_METHODS and not getattr(user, "is_staff", False) and not pinned(request)
        reads = _RequestReads(replica=replica)
        token = _reads.set(reads)
        try:
            response = self.get_response(request)
        finally:
            _reads.reset(token)
        if reads.wrote or request.method not in SAFE_METHODS:
            # Any unsafe request, even one that changed nothing: simpler than proving it did not.
            response.set_signed_cookie(
                PIN_COOKIE, "1", salt=PIN_SALT, max_age=settings.DATABASE_REPLICA_PIN_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE, httponly=True, samesite="Lax",
            )
        return response
