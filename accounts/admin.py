from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from absher.request_info import client_address

from . import services
from .exceptions import AccountError
from .forms import StaffReasonForm
from .models import AccountStateChange, User


class StateChangeInline(admin.TabularInline):
    model = AccountStateChange
    fk_name = "user"
    extra = 0
    can_delete = False
    fields = ("at", "from_state", "to_state", "actor", "reason")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


def _with_reason(title, service, done_messages):
    """An admin action that asks staff for a reason, then calls the account service per user."""

    def action(modeladmin, request, queryset):
        form = StaffReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done = 0
            for user in queryset:
                try:
                    service(user=user, actor=request.user, reason=form.cleaned_data["reason"], client_address=client_address(request))
                    done += 1
                except AccountError as exc:
                    modeladmin.message_user(request, f"{user}: {exc.message()}", messages.ERROR)
            modeladmin.message_user(request, done_messages(done) % {"n": done}, messages.SUCCESS)
            return None
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "form": form,
            "queryset": queryset,
            "action": request.POST.get("action"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "opts": modeladmin.model._meta,
        }
        return TemplateResponse(request, "admin/action_with_form.html", context)

    return action


def _activate(*, user, actor, reason, client_address):
    return services.account_activate(
        user=user, actor=actor, method="in_person", reason=reason, client_address=client_address
    )


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    list_display = ("username", "national_id_display", "state", "mobile", "date_joined", "is_staff")
    list_filter = ("state", "is_staff", "preferred_language")
    search_fields = ("username", "person__national_id", "mobile", "email")
    list_select_related = ("person",)
    raw_id_fields = ("person",)
    readonly_fields = (
        "state", "state_before_suspension", "phone_confirmed_at", "activated_at", "activation_method",
        "terms_version", "terms_accepted_at", "last_login", "date_joined",
    )
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (gettext_lazy("Portal"), {"fields": (
            "person", "mobile", "email", "preferred_language", "state", "state_before_suspension",
            "phone_confirmed_at", "activated_at", "activation_method", "terms_version", "terms_accepted_at",
        )}),
        (gettext_lazy("Staff permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (gettext_lazy("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    inlines = [StateChangeInline]
    actions = ["activate_in_person", "suspend", "reinstate"]

    @admin.display(description=gettext_lazy("ID number"), ordering="person__national_id")
    def national_id_display(self, obj):
        return obj.national_id

    @admin.action(description=gettext_lazy("Activate (identity checked in person)"), permissions=["change"])
    def activate_in_person(self, request, queryset):
        return _with_reason(_("Activate accounts"), _activate, lambda n: ngettext("%(n)d account activated.", "%(n)d accounts activated.", n))(self, request, queryset)

    @admin.action(description=gettext_lazy("Suspend"), permissions=["change"])
    def suspend(self, request, queryset):
        return _with_reason(_("Suspend accounts"), services.account_suspend, lambda n: ngettext("%(n)d account suspended.", "%(n)d accounts suspended.", n))(
            self, request, queryset
        )

    @admin.action(description=gettext_lazy("Reinstate"), permissions=["change"])
    def reinstate(self, request, queryset):
        return _with_reason(_("Reinstate accounts"), services.account_reinstate, lambda n: ngettext("%(n)d account reinstated.", "%(n)d accounts reinstated.", n))(
            self, request, queryset
        )
