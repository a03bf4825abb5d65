from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DependentsConfig(AppConfig):
    name = "dependents"
    verbose_name = _("Dependents")
