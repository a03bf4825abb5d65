from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CivilAffairsConfig(AppConfig):
    name = "civil_affairs"
    verbose_name = _("Civil affairs")

    def ready(self):
        from django.db.models.signals import post_migrate

        # Registers civil affairs' own request types, the texts of its notices and its system checks.
        from . import behaviours, checks, notifications  # noqa: F401

        # After every migrate and every test flush, once the last app's permissions exist.
        post_migrate.connect(_seed_after_migrate, dispatch_uid="civil_affairs_seed")


def _seed_after_migrate(sender, app_config=None, using="default", **kwargs):
    from .seed import seed_reference_data

    # post_migrate fires once per app with models; seed after the last one whose permissions it uses.
    if app_config is not None and app_config.label == "dependents":
        seed_reference_data()
