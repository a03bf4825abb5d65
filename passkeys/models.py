from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Passkey(models.Model):
    """A WebAuthn credential of an account: only its public key is kept (the private key never
    leaves the citizen's device or password manager)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("account"), on_delete=models.CASCADE, related_name="passkeys"
    )
    name = models.CharField(_("name"), max_length=64)
    #: base64url of the credential ID (at most 1,023 bytes: 1,364 characters).
    credential_id = models.CharField(_("credential ID"), max_length=1400, unique=True)
    public_key = models.BinaryField(_("public key (COSE)"))
    #: The authenticator's signature counter at its last accepted use (0: it keeps none).
    sign_count = models.PositiveBigIntegerField(_("signature counter"), default=0)
    #: The user handle given to the authenticator (the same for every passkey of the account).
    user_handle = models.CharField(max_length=100)
    transports = models.JSONField(_("transports"), default=list, blank=True)
    aaguid = models.CharField(_("authenticator model (AAGUID)"), max_length=36, blank=True)
    backed_up = models.BooleanField(_("synced to a cloud account"), default=False)
    created_at = models.DateTimeField(_("added at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("passkey")
        verbose_name_plural = _("passkeys")

    def __str__(self):
        return f"{self.name} ({self.user_id})"
