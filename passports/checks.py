"""System check: the payment backend named by PAYMENT_BACKEND must import at start-up."""

from django.core.checks import Error, register
from django.utils.module_loading import import_string

from .payments import backend_path


@register()
def check_payment_backend(app_configs, **kwargs):
    path = backend_path()
    try:
        import_string(path)
    except ImportError as exc:
        return [Error(f"PAYMENT_BACKEND = {path!r} does not import: {exc}", id="passports.E001")]
    return []
