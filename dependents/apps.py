from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DependentsConfig(AppConfig):
    name = "dependents"
    verbose_name = _("Dependents")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from civil_affairs import inbox

        from .behaviours import AddDependentRequest

        inbox.register(AddDependentRequest)
