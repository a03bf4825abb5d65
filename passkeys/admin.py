from django.contrib import admin

from .models import Passkey


@admin.register(Passkey)
class PasskeyAdmin(admin.ModelAdmin):
    """Read only for staff: the citizen adds, renames and removes passkeys from the profile."""

    list_display = ["user", "name", "created_at", "last_used_at", "sign_count", "backed_up"]
    list_filter = ["backed_up"]
    search_fields = ["user__username", "name"]
    list_select_related = ["user"]
    fields = ["user", "name", "created_at", "last_used_at", "sign_count", "backed_up", "aaguid", "transports"]
    readonly_fields = fields
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
