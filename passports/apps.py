from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PassportsConfig(AppConfig):
    name = "passports"
    verbose_name = _("Passports")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_migrate

        from civil_affairs import inbox

        # Registers the payment backend check and the texts of its notices.
        from . import checks, notifications  # noqa: F401
        from .behaviours import CancelAbscondingReportRequest

        inbox.register(CancelAbscondingReportRequest)
        # After every migrate and every test flush, once this app's permissions exist.
        post_migrate.connect(_seed_after_migrate, dispatch_uid="passports_seed")


def _seed_after_migrate(sender, app_config=None, using="default", **kwargs):
    from .seed import seed_reference_data

    if app_config is not None and app_config.label == "passports":
        seed_reference_data()
