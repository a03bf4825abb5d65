"""The outbox in the staff admin: what was sent, what failed and why; failed messages resent.

Read-only: only the pipeline writes these rows. The text of a message that carries a code is
never shown (it is encrypted until sent, then wiped); neither is its ciphertext.
"""

from datetime import timedelta

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from absher.admin_site import ReadOnlyModelAdmin
from absher.request_info import client_address

from . import services
from .models import OutboxMessage

AGES = {"1h": timedelta(hours=1), "1d": timedelta(days=1), "7d": timedelta(days=7)}


class AgeFilter(admin.SimpleListFilter):
    title = _("age")
    parameter_name = "older_than"

    def lookups(self, request, model_admin):
        return [("1h", _("older than an hour")), ("1d", _("older than a day")), ("7d", _("older than a week"))]

    def queryset(self, request, queryset):
        age = AGES.get(self.value() or "")
        return queryset.filter(created_at__lt=timezone.now() - age) if age else queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "created_at", "purpose", "channel", "masked_recipient", "status", "attempts",
                    "next_attempt_at", "last_error")
    list_filter = ("status", AgeFilter, "purpose", "channel")
    search_fields = ("=id", "=provider_reference", "purpose")
    date_hierarchy = "created_at"
    actions = ["resend"]
    fields = (
        "channel", "masked_recipient", "user", "purpose", "language", "subject_line", "shown_text", "secret",
        "expires_at", "status", "attempts", "next_attempt_at", "lease_until", "provider_reference", "provider_status",
        "last_error", "history", "created_at", "updated_at", "sent_at", "finished_at",
    )
    readonly_fields = fields
    list_select_related = False

    @admin.display(description=_("recipient"))
    def masked_recipient(self, obj):
        # Enough for staff to match a citizen's complaint; the full number is on the account.
        return f"…{obj.recipient[-4:]}" if obj.channel == "sms" else obj.recipient

    @admin.display(description=_("text"))
    def shown_text(self, obj):
        if obj.secret:
            return _("(a one-time code: never shown)")
        return obj.body

    def get_queryset(self, request):
        return super().get_queryset(request).defer("body_sealed")

    def has_resend_permission(self, request):
        return request.user.has_perm("absher.change_outboxmessage")

    @admin.action(description=_("Send the selected failed messages again"), permissions=["resend"])
    def resend(self, request, queryset):
        sent, refused = 0, 0
        for message in queryset:
            try:
                services.message_resend(message=message, actor=request.user, client_address=client_address(request))
            except services.ResendRefused:
                refused += 1
            else:
                sent += 1
        if sent:
            self.message_user(request, ngettext("%(n)d message will be sent again.",
                                                "%(n)d messages will be sent again.", sent) % {"n": sent},
                              messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                ngettext("%(n)d message was not resent: it carries a one-time code or it has not failed.",
                         "%(n)d messages were not resent: they carry a one-time code or they have not failed.",
                         refused) % {"n": refused},
                messages.WARNING,
            )
