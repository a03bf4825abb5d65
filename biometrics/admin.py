from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Case, IntegerField, Value, When
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from absher.admin_site import ReadOnlyModelAdmin
from absher.request_info import client_address

from . import enrolment, services
from .models import DedupRequest, DuplicateCase, EnrollmentAttempt, Kiosk, MatchThrottle


class StatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        from .models import KioskStatus

        return KioskStatus.choices

    def queryset(self, request, queryset):
        from django.utils import timezone

        from .models import KioskStatus, offline_after

        value = self.value()
        fresh = timezone.now() - offline_after()
        if value == KioskStatus.OUT_OF_SERVICE:
            return queryset.filter(in_service=False)
        if value == KioskStatus.ONLINE:
            return queryset.filter(in_service=True, last_heartbeat_at__gte=fresh)
        if value == KioskStatus.OFFLINE:
            from django.db.models import Q

            return queryset.filter(in_service=True).filter(Q(last_heartbeat_at__lt=fresh) | Q(last_heartbeat_at=None))
        return queryset


@admin.register(Kiosk)
class KioskAdmin(admin.ModelAdmin):
    list_display = ("serial", "site_name_en", "site_name_ar", "city_en", "region", "status_display", "last_heartbeat_at", "provisioned")
    list_filter = ("region", StatusFilter, "in_service")
    search_fields = ("serial", "site_name_en", "site_name_ar", "city_en", "city_ar")
    readonly_fields = ("last_heartbeat_at", "provisioned_at", "provisioned_by", "in_service", "out_of_service_reason")
    fieldsets = (
        (None, {"fields": ("serial", "region")}),
        (_("Place"), {"fields": ("city_ar", "city_en", "site_name_ar", "site_name_en", "address_ar", "address_en",
                                 "phone", "latitude", "longitude")}),
        (_("Opening hours and access"), {"fields": ("opening_hours_ar", "opening_hours_en", "accessibility_ar", "accessibility_en")}),
        (_("State"), {"fields": ("in_service", "out_of_service_reason", "last_heartbeat_at", "provisioned_at", "provisioned_by")}),
    )
    actions = ["take_out_of_service", "return_to_service", "end_session", "unbind_device"]

    @admin.display(description=_("status"))
    def status_display(self, obj):
        return obj.get_status_display()

    @admin.display(description=_("device bound"), boolean=True)
    def provisioned(self, obj):
        return obj.is_provisioned

    def _each(self, request, queryset, service, **kwargs):
        count = 0
        for kiosk in queryset:
            if service(kiosk=kiosk, actor=request.user, client_address=client_address(request), **kwargs):
                count += 1
        return count

    @admin.action(description=_("Take out of service"), permissions=["change"])
    def take_out_of_service(self, request, queryset):
        count = self._each(request, queryset, services.kiosk_service_set, in_service=False, reason=str(_("taken out of service in the admin")))
        self.message_user(request, ngettext("%(n)d kiosk is out of service.", "%(n)d kiosks are out of service.", count) % {"n": count}, messages.SUCCESS)

    @admin.action(description=_("Return to service"), permissions=["change"])
    def return_to_service(self, request, queryset):
        count = self._each(request, queryset, services.kiosk_service_set, in_service=True)
        self.message_user(request, ngettext("%(n)d kiosk is back in service.", "%(n)d kiosks are back in service.", count) % {"n": count}, messages.SUCCESS)

    @admin.action(description=_("End the citizen session in progress"), permissions=["change"])
    def end_session(self, request, queryset):
        count = self._each(request, queryset, services.kiosk_session_end)
        self.message_user(request, ngettext("%(n)d session was ended.", "%(n)d sessions were ended.", count) % {"n": count}, messages.SUCCESS)

    @admin.action(description=_("Unbind the device (its credential stops working)"), permissions=["change"])
    def unbind_device(self, request, queryset):
        count = self._each(request, queryset, services.kiosk_unbind)
        self.message_user(request, ngettext("%(n)d kiosk was unbound.", "%(n)d kiosks were unbound.", count) % {"n": count}, messages.SUCCESS)


@admin.register(EnrollmentAttempt)
class EnrollmentAttemptAdmin(ReadOnlyModelAdmin):
    list_display = ("at", "kiosk", "national_id", "purpose", "result", "quality", "score", "threshold", "completed_at")
    list_filter = ("result", "purpose", "kiosk__region")
    search_fields = ("=national_id", "kiosk__serial")
    date_hierarchy = "at"
    list_select_related = ("kiosk",)
    show_full_result_count = False


@admin.register(MatchThrottle)
class MatchThrottleAdmin(ReadOnlyModelAdmin):
    list_display = ("national_id", "failures", "lockouts", "locked_until", "updated_at")
    search_fields = ("=national_id",)


# --- de-duplication at enrolment (biometrics.enrolment) ----------------------------------------


class DecisionNoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note for the decision"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
        help_text=_("What you checked (photographs, documents, the registry's records). Kept in the audit trail."),
        error_messages={"required": _("Write a note for the decision: the audit trail keeps it.")},
    )


def _decide(decision, title, done_message):
    """An admin action that asks for a note, then decides each open case selected (enrolment.duplicate_case_decide)."""

    def action(modeladmin, request, queryset):
        form = DecisionNoteForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done = 0
            for case in queryset:
                try:
                    enrolment.duplicate_case_decide(case=case, decision=decision, actor=request.user,
                                                    note=form.cleaned_data["note"], client_address=client_address(request))
                    done += 1
                except enrolment.DecisionRefused as exc:
                    modeladmin.message_user(request, f"{case}: {exc.message()}", messages.ERROR)
            modeladmin.message_user(request, done_message(done) % {"n": done}, messages.SUCCESS)
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


@admin.register(DuplicateCase)
class DuplicateCaseAdmin(admin.ModelAdmin):
    """One finger under two ID numbers: staff check the two records and decide; never edited by hand."""

    list_display = ("national_id", "other_national_id", "score", "status", "opened_at", "decided_at", "decided_by")
    list_filter = ("status",)
    search_fields = ("=national_id", "=other_national_id")
    readonly_fields = ("national_id", "other_national_id", "score", "status", "opened_at", "decided_by", "decided_at",
                       "decision_note")
    list_select_related = ("decided_by",)
    actions = ["release", "refer"]

    def get_ordering(self, request):
        # Open cases first, the oldest first: the queue staff work through.
        open_first = Case(When(status=DuplicateCase.Status.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField())
        return [open_first.asc(), "opened_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    release = admin.action(description=_("Different people: release"), permissions=["change"])(
        _decide(DuplicateCase.Status.DIFFERENT_PEOPLE, _("Different people: release"),
                lambda n: ngettext("%(n)d case was decided: different people, released.",
                                   "%(n)d cases were decided: different people, released.", n)))
    refer = admin.action(description=_("Same person under two ID numbers: keep on hold and refer"), permissions=["change"])(
        _decide(DuplicateCase.Status.SAME_PERSON, _("Same person under two ID numbers: keep on hold and refer"),
                lambda n: ngettext("%(n)d case was decided: same person, kept on hold and referred.",
                                   "%(n)d cases were decided: same person, kept on hold and referred.", n)))


@admin.register(DedupRequest)
class DedupRequestAdmin(ReadOnlyModelAdmin):
    """The searches of new references. "Not searched: template only": a reference imported as a
    template, which the reference engine cannot search (it compares images); it is in the
    gallery all the same, so later enrolments are compared with it."""

    list_display = ("national_id", "status", "hits", "created_at", "finished_at", "failure")
    list_filter = ("status",)
    search_fields = ("=national_id",)
    exclude = ("images",)
    date_hierarchy = "created_at"
    show_full_result_count = False
