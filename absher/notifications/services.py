"""Writes of the notification pipeline, called inside the caller's transaction.

`notify` writes a notice for the portal and, when the account has a mobile, an SMS;
`message_enqueue` writes one outgoing message. Both write rows only: the message is handed to
a Celery task with `transaction.on_commit`, so a transaction that rolls back leaves no row and
sends nothing, and no web request ever waits on a gateway (the task calls it; in development
and unit tests tasks run eagerly at the commit). The delivery itself is delivery.py.
"""

import logging
from collections.abc import Callable
from datetime import datetime
from functools import partial

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone, translation

from absher.audit import audit_record

from . import crypto, texts
from .models import FAILED, Channel, MessageStatus, Notice, OutboxMessage

logger = logging.getLogger(__name__)


class ResendRefused(Exception):
    """Staff cannot send this message again (it carries a code, or it has not failed)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def enqueue(message_id: int) -> None:
    """Hand a message to the workers (after the commit that wrote it).

    A broker that cannot be reached loses nothing: the row stays `created` and the sweeper
    enqueues it again; the request that wrote it does not fail for that.
    """
    from kombu.exceptions import OperationalError

    from .tasks import send_message

    try:
        send_message.delay(message_id)
    except (OperationalError, OSError) as exc:
        logger.warning("outbox message %s not enqueued (%s): the sweeper will", message_id, type(exc).__name__)


def message_enqueue(
    *,
    to: str,
    language: str,
    purpose: str,
    render: Callable[[], str],
    channel: str = Channel.SMS,
    user=None,
    subject_line: Callable[[], str] | str = "",
    secret: bool = False,
    expires_at: datetime | None = None,
) -> OutboxMessage:
    """Write one message to send, rendered in the recipient's language; a task sends it after the commit.

    `secret`: the text carries a one-time code. It is stored only encrypted and wiped once the
    message is sent, fails or expires; with `expires_at` it is never sent after that instant.
    """
    with translation.override(language):
        body = render()
        line = subject_line() if callable(subject_line) else subject_line
    now = timezone.now()
    message = OutboxMessage.objects.create(
        channel=channel,
        recipient=to,
        user=user if getattr(user, "pk", None) else None,
        purpose=purpose[:40],
        language=language,
        subject_line=str(line)[:200],
        body="" if secret else body,
        body_sealed=crypto.seal(body) if secret else "",
        secret=secret,
        expires_at=expires_at,
        created_at=now,
        updated_at=now,
    )
    transaction.on_commit(partial(enqueue, message.pk))
    return message


def notify(*, user, source: str, kind: str, params: dict | None = None, subject=None, sms: bool = True) -> Notice:
    """A notice in the user's portal now (in the caller's transaction) and, when the account has a
    mobile, an SMS once it commits. `subject` is the object the notice is about (a request, a bill)."""
    params = params or {}
    notice = Notice.objects.create(
        user=user,
        source=source,
        kind=kind,
        params=params,
        subject_type=ContentType.objects.get_for_model(subject) if subject is not None else None,
        subject_id=subject.pk if subject is not None else None,
    )
    if sms and user.mobile:
        message_enqueue(
            to=user.mobile, language=user.preferred_language, purpose=f"{source}.{kind}", user=user,
            render=partial(texts.sms_text, source, kind, params),
        )
    return notice


def notices_mark_read(*, user, source: str, subject=None) -> int:
    """Mark the user's unread notices of one app (about one object, when given) read."""
    notices = Notice.objects.filter(user=user, source=source, read_at=None)
    if subject is not None:
        # Through the content type's natural key: no lookup of its id first.
        notices = notices.filter(
            subject_type__app_label=subject._meta.app_label, subject_type__model=subject._meta.model_name,
            subject_id=subject.pk,
        )
    # Most views of a page find nothing unread: a read first, so that they write nothing (an UPDATE
    # of no rows is a write all the same: with a read replica it pins the browser to the primary).
    if not notices.exists():
        return 0
    return notices.update(read_at=timezone.now())


def message_resend(*, message: OutboxMessage, actor, client_address: str | None = None) -> OutboxMessage:
    """Staff send a failed message again (the admin's action): a new round of attempts.

    A message that carried a code is never sent again (its text is gone; the citizen asks for a
    new code), nor one that has not failed.
    """
    if message.secret:
        raise ResendRefused("carries_code")
    now = timezone.now()
    with transaction.atomic(durable=True):
        entry = {"at": now.isoformat(), "resent_by": getattr(actor, "pk", None)}
        row = OutboxMessage.objects.select_for_update().filter(pk=message.pk).first()
        if row is None or row.status not in FAILED:
            raise ResendRefused("not_failed")
        updated = OutboxMessage.objects.filter(pk=row.pk, status__in=FAILED, secret=False).update(
            status=MessageStatus.CREATED, attempts=0, next_attempt_at=None, lease_until=None, finished_at=None,
            history=[*row.history, entry], updated_at=now,
        )
        if not updated:  # pragma: no cover - the row is locked
            raise ResendRefused("not_failed")
        audit_record(
            action="message_resent", actor=actor, subject=row.user, client_address=client_address,
            message=row.pk, purpose=row.purpose, previous_status=row.status,
        )
        transaction.on_commit(partial(enqueue, row.pk))
    row.refresh_from_db()
    return row
