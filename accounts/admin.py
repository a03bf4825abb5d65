from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from absher.request_info import client_address
from civil_affairs.models import Person
from civil_affairs.person_rules import MESSAGES as REGISTRY_MESSAGES

from . import services, services_identity
from .exceptions import AccountError
from .forms import StaffReasonForm
from .models import AccountStateChange, User
from .rules import normalize_mobile


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


# --- staff changes of identity: forms for the pages that call accounts.services_identity --------


def _reason_field():
    return forms.CharField(
        label=gettext_lazy("Reason for the change"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000,
        help_text=gettext_lazy("Kept in the audit trail with the old and the new values."),
        error_messages={"required": gettext_lazy("Write the reason for the change: the audit trail keeps it.")},
    )


class MobileChangeForm(forms.Form):
    mobile = forms.CharField(
        label=gettext_lazy("New mobile number"), max_length=20,
        help_text=gettext_lazy("A Saudi mobile number, e.g. 05XXXXXXXX. Both the old and the new number are notified by SMS."),
    )
    reason = _reason_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mobile"].widget.attrs.update(inputmode="tel", autocomplete="off", dir="ltr")

    def clean_mobile(self):
        return normalize_mobile(self.cleaned_data["mobile"])


class PersonLinkForm(forms.Form):
    national_id = forms.CharField(
        label=gettext_lazy("ID or iqama number"), required=False, max_length=10,
        help_text=gettext_lazy("The person of the civil registry this account belongs to. Leave empty to unlink."),
    )
    reason = _reason_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["national_id"].widget.attrs.update(inputmode="numeric", autocomplete="off", dir="ltr")

    def clean_national_id(self):
        national_id = self.cleaned_data["national_id"].strip()
        if not national_id:
            return None
        person = Person.objects.filter(national_id=national_id).first()
        if person is None:
            raise forms.ValidationError(str(REGISTRY_MESSAGES["parent_unknown"]) % {"id": national_id}, code="person_unknown")
        return person


class StaffAccessForm(forms.Form):
    is_staff = forms.BooleanField(
        label=gettext_lazy("Staff status"), required=False, help_text=gettext_lazy("Signs in to the staff pages."),
    )
    is_superuser = forms.BooleanField(
        label=gettext_lazy("Superuser status"), required=False,
        help_text=gettext_lazy("Has every permission without being given it."),
    )
    groups = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Groups"), queryset=Group.objects.order_by("name"), required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    user_permissions = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Permissions of this account alone"),
        queryset=Permission.objects.select_related("content_type").order_by("content_type__app_label", "codename"),
        required=False, widget=forms.SelectMultiple(attrs={"size": 12}),
    )
    reason = _reason_field()


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    list_display = ("username", "national_id_display", "state", "mobile", "date_joined", "is_staff")
    list_filter = ("state", "is_staff", "preferred_language")
    search_fields = ("username", "person__national_id", "mobile", "email")
    list_select_related = ("person",)
    # Identity and access change only through accounts.services_identity (the pages below), with a
    # reason and an audit row; the state through the actions (activate, suspend, reinstate).
    readonly_fields = (
        "person", "mobile", "is_active", "is_staff", "is_superuser", "groups", "user_permissions",
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

    # --- identity pages: each calls one service of accounts.services_identity ---

    def get_urls(self):
        return [
            path("<object_id>/mobile/", self.admin_site.admin_view(self.mobile_view), name="accounts_user_mobile"),
            path("<object_id>/registry-person/", self.admin_site.admin_view(self.person_view), name="accounts_user_person"),
            path("<object_id>/staff-access/", self.admin_site.admin_view(self.staff_access_view), name="accounts_user_staff_access"),
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        user = self.get_object(request, object_id)
        links = []
        if user is not None:
            if self.has_change_permission(request, user):
                links += [
                    (_("Change mobile number"), reverse("admin:accounts_user_mobile", args=[user.pk])),
                    (_("Change registry person"), reverse("admin:accounts_user_person", args=[user.pk])),
                ]
            if request.user.is_superuser:
                links.append((_("Change staff access"), reverse("admin:accounts_user_staff_access", args=[user.pk])))
        extra_context = {**(extra_context or {}), "identity_links": links}
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        # Only what this form changed: a stale page never writes back identity fields that a
        # service changed since it was opened.
        concrete = {field.name for field in obj._meta.concrete_fields}
        update_fields = [name for name in form.changed_data if name in concrete]
        if update_fields:
            obj.save(update_fields=update_fields)
        return None

    def _identity_page(self, request, object_id, *, allowed, form_class, initial, call, title, done):
        user = self.get_object(request, object_id)
        if user is None:
            raise Http404
        if not allowed(user):
            raise PermissionDenied
        back_url = reverse("admin:accounts_user_change", args=[user.pk])
        form = form_class(request.POST if request.method == "POST" else None, initial=initial(user))
        if request.method == "POST" and form.is_valid():
            try:
                call(user, form.cleaned_data)
            except AccountError as exc:
                field = "mobile" if exc.code == "mobile_taken" and "mobile" in form.fields else None
                form.add_error(field, forms.ValidationError(exc.message(), code=exc.code))
            else:
                self.message_user(request, done, messages.SUCCESS)
                return HttpResponseRedirect(back_url)
        context = {
            **self.admin_site.each_context(request), "title": title, "form": form, "obj": user, "opts": self.opts,
            "back_url": back_url,
            "lead": _("Every change is kept in the audit trail with the old and the new values, who made it and why."),
        }
        return TemplateResponse(request, "admin/identity_change_form.html", context)

    def mobile_view(self, request, object_id):
        address = client_address(request)
        return self._identity_page(
            request, object_id,
            allowed=lambda user: self.has_change_permission(request, user),
            form_class=MobileChangeForm,
            initial=lambda user: {},
            call=lambda user, data: services_identity.account_mobile_change(
                user=user, new_mobile=data["mobile"], actor=request.user, reason=data["reason"], client_address=address,
            ),
            title=_("Change mobile number"),
            done=_("The mobile number was changed; both numbers were notified by SMS."),
        )

    def person_view(self, request, object_id):
        address = client_address(request)
        return self._identity_page(
            request, object_id,
            allowed=lambda user: self.has_change_permission(request, user),
            form_class=PersonLinkForm,
            initial=lambda user: {"national_id": user.national_id},
            call=lambda user, data: services_identity.account_person_link(
                user=user, person=data["national_id"], actor=request.user, reason=data["reason"], client_address=address,
            ),
            title=_("Change registry person"),
            done=_("The account's registry person was saved."),
        )

    def staff_access_view(self, request, object_id):
        address = client_address(request)
        return self._identity_page(
            request, object_id,
            allowed=lambda user: request.user.is_superuser,
            form_class=StaffAccessForm,
            initial=lambda user: {
                "is_staff": user.is_staff, "is_superuser": user.is_superuser,
                "groups": list(user.groups.all()), "user_permissions": list(user.user_permissions.all()),
            },
            call=lambda user, data: services_identity.account_staff_access_change(
                user=user, actor=request.user, reason=data["reason"], is_staff=data["is_staff"],
                is_superuser=data["is_superuser"], groups=list(data["groups"]),
                user_permissions=list(data["user_permissions"]), client_address=address,
            ),
            title=_("Change staff access"),
            done=_("The staff access was saved."),
        )
