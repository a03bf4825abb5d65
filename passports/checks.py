"""System checks: the payment backend named by PAYMENT_BACKEND must import at start-up, and a
deployment has its own key for the gateway's payment notifications."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.utils.module_loading import import_string

from .payments import backend_path

#: An HMAC key shorter than this is guessable offline from one signed notification.
NOTIFICATION_KEY_MIN_LENGTH = 32


@register()
def check_payment_backend(app_configs, **kwargs):
    path = backend_path()
    try:
        import_string(path)
    except ImportError as exc:
        return [Error(f"PAYMENT_BACKEND = {path!r} does not import: {exc}", id="passports.E001")]
    return []


@register(Tags.security, deploy=True)
def check_payment_notification_key(app_configs, **kwargs):
    key = getattr(settings, "PAYMENT_NOTIFICATION_KEY", "") or ""
    if not key:
        return [Error(
            "PAYMENT_NOTIFICATION_KEY is not set: the gateway's payment notifications would be checked with a key "
            "derived from SECRET_KEY, which the gateway does not have",
            hint="Set the key agreed with the payment gateway (python -c 'import secrets; print(secrets.token_urlsafe(48))').",
            id="passports.E002",
        )]
    if len(key) < NOTIFICATION_KEY_MIN_LENGTH:
        return [Error(f"PAYMENT_NOTIFICATION_KEY is shorter than {NOTIFICATION_KEY_MIN_LENGTH} characters",
                      id="passports.E003")]
    return []


@register(Tags.security, deploy=True)
def check_payment_backend_is_real(app_configs, **kwargs):
    """The simulated gateway lets whoever holds a bill press "Pay": a deployment takes real money,
    or says explicitly that it is a demo (PAYMENT_SIMULATOR_ALLOWED), like the fingerprint reader."""
    try:
        simulated = getattr(import_string(backend_path()), "simulated", False)
    except ImportError:
        return []  # passports.E001 says so
    if simulated and not settings.DEBUG and not getattr(settings, "PAYMENT_SIMULATOR_ALLOWED", False):
        return [Error(
            "PAYMENT_BACKEND is the simulated gateway: anyone with a bill could mark it paid",
            hint="Set PAYMENT_BACKEND to the ministry's payment gateway; a demo deployment sets "
                 "PAYMENT_SIMULATOR_ALLOWED=true.",
            id="passports.E004",
        )]
    return []
