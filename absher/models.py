from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

#: The actions of signing in and out, failures included: a citizen's sign-in history reads them
#: (devices.selectors.sign_ins_of, accounts.export), through the partial index below.
SIGN_IN_ACTIONS = (
    "login_password_ok", "login_succeeded", "login_failed", "login_refused_locked", "login_refused_suspended",
    "account_locked", "device_signed_in", "device_ended", "api_refresh_token_reused", "account_not_me",
    "passkey_used", "passkey_clone_suspected",
)


class AuditEvent(models.Model):
    """One row a recorded fact: who did what to whom, when (UTC) and from where.

    Rows are written once: no admin permission changes them, and on PostgreSQL a trigger
    refuses UPDATE and DELETE. The user links carry no database constraint so that a row
    outlives the account it speaks of (expired registrations are deleted). Never a password
    or a code in `details`.
    """

    at = models.DateTimeField(_("time (UTC)"), auto_now_add=True, db_index=True)
    action = models.CharField(_("action"), max_length=64)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    subject_label = models.CharField(_("account or identifier"), max_length=64, blank=True)
    client_address = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit trail")
        # An insert-heavy table: every index costs each insert (and the WAL the replicas replay), so
        # an index stays only for a query that runs: the staff's audit trail in the admin (the one
        # reader, absher/admin.py).
        # - `at` (the field's db_index): the list in its order (newest first, 100 a page), the date
        #   hierarchy's range and its first and last dates.
        # - (action, at): the list filtered by an action, newest first, without reading the other
        #   actions' rows; it also serves the filter's list of distinct actions (an index-only scan).
        # - (subject, at), only the sign-in actions: the citizen's own sign-in history, on the sessions
        #   page (devices.selectors.sign_ins_of) and in the data download (accounts.export), newest
        #   first; partial, so the other actions' inserts do not pay for it.
        # No index on actor: nothing filters by it (the links carry no constraint, so deleting an
        # account never looks here); the admin's search is a `contains`, which no btree serves.
        indexes = [
            models.Index(fields=["action", "at"], name="audit_action_at"),
            models.Index(
                fields=["subject", "-at", "-id"], name="audit_subject_sign_ins",
                condition=models.Q(action__in=SIGN_IN_ACTIONS),
            ),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.subject_label}"


# The notification pipeline's models live in their package; imported here to belong to this app.
from .notifications.models import Notice, OutboxMessage  # noqa: E402, F401
