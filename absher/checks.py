"""System checks: a driver named by dotted path in settings must import at start-up."""

from django.conf import settings
from django.core.checks import Error, register
from django.utils.module_loading import import_string

DRIVER_SETTINGS = ("SMS_BACKEND",)


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
