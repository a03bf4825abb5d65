from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DevicesConfig(AppConfig):
    name = "devices"
    verbose_name = _("Sessions and devices")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import signals  # noqa: F401  (a web sign-in records its device)

        # After every migrate and every test flush, once the passkeys' permissions exist too.
        post_migrate.connect(_seed_after_migrate, dispatch_uid="devices_seed")


def _seed_after_migrate(sender, app_config=None, using="default", **kwargs):
    from .seed import seed_groups

    if app_config is not None and app_config.label == "passkeys":
        seed_groups(using=using)
