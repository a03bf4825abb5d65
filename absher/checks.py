"""System checks: a driver named by dotted path in settings must import at start-up."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.utils.module_loading import import_string

DRIVER_SETTINGS = ("SMS_BACKEND", "MALWARE_SCANNER")


@register()
def check_driver_paths(app_configs, **kwargs):
    errors = []
    for name in DRIVER_SETTINGS:
        path = getattr(settings, name, "")
        try:
            import_string(path)
        except ImportError as exc:
            errors.append(Error(f"{name} = {path!r} does not import: {exc}", id="absher.E001"))
    return errors


@register(Tags.security, deploy=True)
def check_no_test_shortcuts_in_deployment(app_configs, **kwargs):
    errors = []
    if getattr(settings, "CAPTCHA_TEST_MODE", False):
        errors.append(Error("CAPTCHA_TEST_MODE accepts any captcha answer: never in a deployment", id="absher.E002"))
    if settings.SMS_BACKEND.endswith(("locmem.SmsBackend", "console.SmsBackend", "file.SmsBackend")) and not settings.DEBUG:
        errors.append(
            Error(
                "a development SMS backend shows codes in clear: use the Twilio backend in a deployment",
                id="absher.E003",
            )
        )
    if settings.MALWARE_SCANNER.endswith("SignatureScanner") and not settings.DEBUG:
        errors.append(
            Error("the signature scanner knows only the EICAR test file: use ClamdScanner in a deployment", id="absher.E004")
        )
    return errors


@register(Tags.security, deploy=True)
def check_tasks_leave_the_request(app_configs, **kwargs):
    """Outside effects leave through the workers: a deployment never runs its tasks inside the request."""
    broker = getattr(settings, "CELERY_BROKER_URL", "") or ""
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False) or broker.startswith("memory://"):
        return [
            Error(
                "tasks run eagerly, inside the web request that enqueues them (no CELERY_BROKER_URL): every SMS "
                "and refund would wait on its gateway; set CELERY_BROKER_URL to the Redis of the workers",
                id="absher.E010",
            )
        ]
    return []
