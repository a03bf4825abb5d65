from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DevicesConfig(AppConfig):
    name = "devices"
    verbose_name = _("Sessions and devices")

    def ready(self):
        from . import signals  # noqa: F401  (a web sign-in records its device)
