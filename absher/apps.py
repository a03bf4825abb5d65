from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AbsherConfig(AppConfig):
    default = True
    name = "absher"
    verbose_name = _("Portal")

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
        from .notifications import checks as notification_checks  # noqa: F401
        from .notifications import tasks  # noqa: F401  (the workers' tasks: not in an app's tasks.py)


class AbsherAdminConfig(admin_apps.AdminConfig):
    """The Django admin, as the staff's tool, behind the portal's own sign-in with a one-time code."""

    default = False
    default_site = "absher.admin_site.StaffAdminSite"
