from django.contrib import admin

from .admin_site import ReadOnlyModelAdmin
from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyModelAdmin):
    list_display = ("at", "action", "subject_label", "actor", "client_address")
    list_filter = ("action",)
    search_fields = ("subject_label", "client_address", "action")
    date_hierarchy = "at"
    list_select_related = ("actor",)


from .notifications import admin as notifications_admin  # noqa: E402, F401  (the outbox)
