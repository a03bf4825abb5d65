"""System checks of the notification pipeline: the key that encrypts codes at rest, the receipts' URL."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

KEY_HINT = "Generate one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"


@register()
def check_encryption_key(app_configs, **kwargs):
    from cryptography.fernet import Fernet

    key = getattr(settings, "NOTIFY_ENCRYPTION_KEY", "") or ""
    for part in (k.strip() for k in key.split(",") if k.strip()):
        try:
            Fernet(part)
        except ValueError:
            return [Error("NOTIFY_ENCRYPTION_KEY is not a Fernet key (32 url-safe base64-encoded bytes)",
                          hint=KEY_HINT, id="notify.E002")]
    return []


@register(Tags.security, deploy=True)
def check_encryption_key_in_deployment(app_configs, **kwargs):
    if not (getattr(settings, "NOTIFY_ENCRYPTION_KEY", "") or "").strip():
        return [Error(
            "NOTIFY_ENCRYPTION_KEY is not set: one-time codes waiting in the outbox would be encrypted with a key "
            "derived from SECRET_KEY",
            hint=KEY_HINT, id="notify.E001",
        )]
    return []


@register(Tags.security, deploy=True)
def check_receipts_url(app_configs, **kwargs):
    if not settings.SMS_BACKEND.endswith("twilio.SmsBackend"):
        return []
    base = getattr(settings, "NOTIFY_CALLBACK_BASE_URL", "") or ""
    if not base.startswith("https://"):
        return [Warning(
            "NOTIFY_CALLBACK_BASE_URL is not an https origin: Twilio sends no delivery receipts, so a message counts "
            "as delivered once Twilio accepts it, and a worker that dies right after Twilio accepted a message "
            "sends it again when its claim runs out",
            hint="Set it to the portal's public origin, e.g. https://absher.example", id="notify.W001",
        )]
    return []
