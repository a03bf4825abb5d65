"""The citizen's notices and the outbox of messages to send, for every app.

`Notice`: what the citizen reads in the portal. It holds its kind and the facts its text needs
(`params`, in no language); the text is rendered when it is read, in the reader's language, by
the renderer its app registered (absher.notifications.texts). It may point at the object it is
about (a request, a bill, a receipt) through (subject_type, subject_id).

`OutboxMessage`: one message to send (an SMS now, an e-mail through the same path), written in
the caller's transaction and delivered by a Celery task (absher.notifications.tasks). The body is
rendered in the recipient's language when it is written. A message that carries a one-time code
is `secret`: its body is kept only encrypted (`body_sealed`, Fernet) and wiped once the message
is sent, has failed for good or has expired.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notice(models.Model):
    """A notice in the citizen's portal: an app (`source`) says something (`kind`) about an object."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("account"), on_delete=models.CASCADE, related_name="notices"
    )
    source = models.CharField(_("service"), max_length=30)
    kind = models.CharField(_("kind"), max_length=30)
    params = models.JSONField(default=dict, blank=True)
    subject_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    # A default, not auto_now_add, so that the rows moved from the old notice tables keep their time.
    at = models.DateTimeField(_("time"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        indexes = [
            models.Index(fields=["user", "source", "read_at"], name="notice_user_source_read"),
            models.Index(fields=["user", "source", "-at"], name="notice_user_source_at"),
            # The dashboard's latest notices of every service (absher.dashboard.latest_notices): a
            # top-N read of the index, however many notices the citizen has.
            models.Index(fields=["user", "-at", "-id"], name="notice_user_at"),
            models.Index(fields=["subject_type", "subject_id"], name="notice_subject"),
        ]

    def __str__(self):
        return f"{self.source}.{self.kind} for {self.user_id}"

    @property
    def text(self) -> str:
        """The notice's text in the active language."""
        from . import texts

        return texts.notice_text(self.source, self.kind, self.params)

    @property
    def html(self):
        """The notice's text for a page: escaped, its numbers, references and amounts isolated
        left to right (`{{ notice.html }}`)."""
        from . import texts

        return texts.isolate_values(self.text)


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("e-mail")


class MessageStatus(models.TextChoices):
    """GOV.UK Notify's statuses, with `sending` as the claim of one worker (under a lease), `sent`
    for a message the gateway accepted whose receipt is awaited, and two ends of our own."""

    CREATED = "created", _("created")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent, waiting for the receipt")
    DELIVERED = "delivered", _("delivered")
    TEMPORARY_FAILURE = "temporary-failure", _("temporary failure (will be retried)")
    PERMANENT_FAILURE = "permanent-failure", _("permanent failure")
    TECHNICAL_FAILURE = "technical-failure", _("technical failure")
    EXPIRED = "expired", _("expired before it could be sent")
    DEAD_LETTER = "dead-letter", _("dead letter (retries exhausted)")


#: Waiting for a worker: counted as the outbox's depth.
PENDING = (MessageStatus.CREATED, MessageStatus.SENDING, MessageStatus.TEMPORARY_FAILURE)
#: A worker may claim a message in these (a `sending` one only once its lease has run out).
CLAIMABLE = (MessageStatus.CREATED, MessageStatus.TEMPORARY_FAILURE)
#: Nothing more will happen to the message (staff may resend a failed one that carries no code).
FINAL = (
    MessageStatus.DELIVERED, MessageStatus.PERMANENT_FAILURE, MessageStatus.TECHNICAL_FAILURE,
    MessageStatus.EXPIRED, MessageStatus.DEAD_LETTER,
)
FAILED = (
    MessageStatus.PERMANENT_FAILURE, MessageStatus.TECHNICAL_FAILURE, MessageStatus.EXPIRED, MessageStatus.DEAD_LETTER,
)


class OutboxMessage(models.Model):
    """One message to send, and what became of it."""

    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.SMS)
    recipient = models.CharField(_("recipient"), max_length=254)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("account"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    #: What the message is for, "<app>.<kind>" (e.g. "passports.paid", "otp.login"): staff filter on it.
    purpose = models.CharField(_("purpose"), max_length=40, db_index=True)
    language = models.CharField(_("language"), max_length=5)
    subject_line = models.CharField(_("e-mail subject"), max_length=200, blank=True)
    body = models.TextField(_("text"), blank=True)
    #: A secret message's body, Fernet-encrypted; emptied once the message is sent, failed or expired.
    body_sealed = models.TextField(blank=True, editable=False)
    secret = models.BooleanField(_("carries a one-time code"), default=False)
    #: A code's end of life: the message is never sent after it.
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    status = models.CharField(_("status"), max_length=20, choices=MessageStatus.choices, default=MessageStatus.CREATED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    #: Until when the worker that claimed the message (status `sending`) holds it.
    lease_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    provider_reference = models.CharField(_("gateway reference"), max_length=64, blank=True, db_index=True)
    provider_status = models.CharField(_("gateway status"), max_length=30, blank=True)
    last_error = models.CharField(_("last error"), max_length=200, blank=True)
    #: One entry an attempt or receipt: when, what came of it, the delay before the next try.
    history = models.JSONField(default=list, blank=True, editable=False)

    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    sent_at = models.DateTimeField(_("handed to the gateway at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outbox")
        indexes = [
            models.Index(fields=["status", "created_at"], name="outbox_status_created"),
            # The sweeper's scans: only the few rows still waiting are in this index.
            models.Index(
                fields=["status", "lease_until", "next_attempt_at"], name="outbox_pending",
                condition=models.Q(status__in=["created", "sending", "temporary-failure"]),
            ),
        ]

    def __str__(self):
        return f"{self.purpose} #{self.pk} ({self.status})"

    @property
    def outcome(self) -> str:
        """"pending", "sent" or "failed", for the pages that wait on a message (the code pages)."""
        if self.status in FAILED:
            return "failed"
        if self.status in (MessageStatus.SENT, MessageStatus.DELIVERED):
            return "sent"
        return "pending"
