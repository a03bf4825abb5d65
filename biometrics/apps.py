from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BiometricsConfig(AppConfig):
    name = "biometrics"
    verbose_name = _("Biometrics")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import checks  # noqa: F401  (registers the system checks)

        # After every migrate and every test flush, once this app's permissions exist.
        post_migrate.connect(_seed_after_migrate, dispatch_uid="biometrics_seed")


def _seed_after_migrate(sender, app_config=None, using="default", **kwargs):
    from .seed import seed_groups

    if app_config is not None and app_config.label == "biometrics":
        seed_groups(using=using)
