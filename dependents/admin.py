from django.contrib import admin

from absher.admin_site import ReadOnlyModelAdmin

from .models import GuardianLink


@admin.register(GuardianLink)
class GuardianLinkAdmin(ReadOnlyModelAdmin):
    """Links are made by approving an add-dependent request (the inbox), never typed here."""

    list_display = ("dependent", "relation", "guardian", "guardian_account", "request", "created_at", "created_by")
    list_filter = ("relation", "created_at")
    search_fields = ("dependent__national_id", "dependent__name_en", "dependent__name_ar", "guardian__national_id",
                     "guardian_account__username", "request__reference")
    list_select_related = ("dependent", "guardian", "guardian_account", "request", "created_by")
    date_hierarchy = "created_at"
    readonly_fields = ("guardian", "dependent", "guardian_account", "relation", "request", "created_at", "created_by")
