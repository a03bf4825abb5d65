"""Where an account is signed in: a browser's session or the mobile app on a device.

A device is one sign-in: it begins with the password and SMS code (or a passkey) and ends when the
citizen signs out or ends it from the sessions page, when its session or tokens expire, or when a
refresh token is used twice. The app's tokens belong to their device and are stored as SHA-256
digests only: the database never holds a token that would work.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Device(models.Model):
    class Kind(models.TextChoices):
        WEB = "web", _("Web browser")
        APP = "app", _("Mobile app")

    class Ending(models.TextChoices):
        SIGNED_OUT = "signed_out", _("signed out")
        ENDED_BY_CITIZEN = "ended", _("ended by the account holder")
        NOT_ME = "not_me", _("ended: the account holder said it was not them")
        TOKEN_REUSED = "token_reused", _("ended: a refresh token was used twice")
        PASSWORD_CHANGED = "password_changed", _("ended: the password was changed")
        EXPIRED = "expired", _("expired")
        ACCOUNT_CLOSED = "account_closed", _("ended: the account was closed")
        STAFF = "staff", _("ended by staff")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="devices")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    #: What the citizen recognises: "Chrome on Android" (from the browser), or the app's device name.
    name = models.CharField(_("name"), max_length=100)
    user_agent = models.CharField(max_length=300, blank=True)
    #: SHA-256 of the browser's long-lived device cookie or of the app's installation id: a sign-in
    #: whose key this account has never signed in with is from a new device (an SMS says so).
    key_digest = models.CharField(max_length=64, blank=True)
    #: SHA-256 of the web session's key (kind web): the session this device is.
    session_digest = models.CharField(max_length=64, blank=True)
    client_address = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    signed_in_with = models.CharField(_("signed in with"), max_length=16, default="password_sms")
    signed_in_at = models.DateTimeField(_("signed in at"))
    last_seen_at = models.DateTimeField(_("last seen"))
    last_seen_address = models.GenericIPAddressField(null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ending = models.CharField(_("ending"), max_length=16, choices=Ending.choices, blank=True)

    class Meta:
        ordering = ["-last_seen_at", "-id"]
        verbose_name = _("session or device")
        verbose_name_plural = _("sessions and devices")
        indexes = [
            # The sessions page: an account's devices still signed in.
            models.Index(fields=["user", "-last_seen_at"], condition=models.Q(ended_at__isnull=True), name="device_user_active"),
            # Has this account signed in from this device before?
            models.Index(fields=["user", "key_digest"], name="device_user_key"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.name} ({self.user_id})"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class RefreshToken(models.Model):
    """A refresh token of the app: used once, it gives a new pair; used twice, its device ends."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="refresh_tokens")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"refresh token of device {self.device_id}"


class AccessToken(models.Model):
    """A short-lived bearer token of the app (API_ACCESS_TOKEN_LIFETIME)."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="access_tokens")
    digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"access token of device {self.device_id}"
