"""Staff read an account's sessions and devices (search by username or ID number) and may end one
(devices.services.device_end with Ending.STAFF, audited). Tokens are never shown: only digests exist."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy, ngettext

from absher.admin_site import ReadOnlyModelAdmin
from absher.request_info import client_address

from . import services
from .models import Device


class LiveFilter(admin.SimpleListFilter):
    title = gettext_lazy("signed in")
    parameter_name = "live"

    def lookups(self, request, model_admin):
        return [("yes", gettext_lazy("Still signed in")), ("no", gettext_lazy("Ended"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(ended_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(ended_at__isnull=False)
        return queryset


@admin.register(Device)
class DeviceAdmin(ReadOnlyModelAdmin):
    list_display = ("user", "kind", "name", "client_address", "signed_in_at", "last_seen_at", "ended_at", "ending")
    list_filter = (LiveFilter, "kind", "ending", "signed_in_with")
    search_fields = ("=user__username", "=user__person__national_id", "=client_address")
    list_select_related = ("user",)
    date_hierarchy = "signed_in_at"
    # The digests of the device cookie and of the session key stay out of sight: of no use to staff.
    fields = (
        "user", "kind", "name", "user_agent", "client_address", "last_seen_address", "signed_in_with",
        "signed_in_at", "last_seen_at", "ended_at", "ending",
    )
    readonly_fields = fields
    actions = ["end_devices"]

    def has_end_permission(self, request):
        return request.user.has_perm("devices.change_device")

    @admin.action(description=gettext_lazy("End the selected sessions and devices"), permissions=["end"])
    def end_devices(self, request, queryset):
        ended = sum(
            services.device_end(device, ending=Device.Ending.STAFF, actor=request.user, client_address=client_address(request))
            for device in queryset.filter(ended_at__isnull=True)
        )
        self.message_user(
            request,
            ngettext("%(count)d session or device was ended.", "%(count)d sessions or devices were ended.", ended) % {"count": ended},
            messages.SUCCESS,
        )
