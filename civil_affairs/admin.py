"""Staff's side of civil affairs: the registry and the request queues, behind the same services."""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import models
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from absher.admin_site import ReadOnlyModelAdmin
from absher.request_info import client_address

from . import person_rules, services, services_registry
from .exceptions import InboxError
from .inbox import RequestNotAllowed
from .models import (
    Attachment,
    Department,
    Person,
    PersonDataAccess,
    RequestEvent,
    RequestMessage,
    RequestStatus,
    RequestType,
    Requirement,
    ServiceRequest,
)

# Which department's queue a staff group sees (superusers see all).
GROUP_DEPARTMENTS = {
    "Civil affairs officers": Department.CIVIL_AFFAIRS,
    "Civil affairs supervisors": Department.CIVIL_AFFAIRS,
    "Passport officers": Department.PASSPORTS,
    "Passport supervisors": Department.PASSPORTS,
}


def staff_departments(user) -> set[str] | None:
    """None: every department (superusers and auditors)."""
    if user.is_superuser:
        return None
    names = set(user.groups.values_list("name", flat=True))
    if "Auditors" in names:
        return None
    return {GROUP_DEPARTMENTS[name] for name in names if name in GROUP_DEPARTMENTS}


class PersonRecordForm(forms.Form):
    """The facts staff may change in a registry record (or type for a new one), and why.

    Parents are typed as ID numbers; the rules themselves are checked by the service.
    """

    def __init__(self, *args, person: Person | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.person = person
        names = list(services_registry.EDITABLE_FIELDS)
        if person is None:
            names.insert(0, "national_id")
        for name in names:
            model_field = Person._meta.get_field(name)
            if name in ("father", "mother"):
                field = forms.CharField(
                    label=_("Father's ID number") if name == "father" else _("Mother's ID number"), required=False,
                    max_length=10, help_text=_("Leave empty when not known."),
                )
            elif isinstance(model_field, models.DateField):
                field = model_field.formfield(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
            else:
                field = model_field.formfield()
            if name in ("national_id", "father", "mother"):
                field.widget.attrs.update(inputmode="numeric", autocomplete="off", dir="ltr")
            self.fields[name] = field
            if person is not None:
                value = getattr(person, name)
                self.initial[name] = value.national_id if isinstance(value, Person) else value
        self.fields["reason"] = forms.CharField(
            label=_("Reason for the change"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000,
            help_text=_("Kept in the audit trail with the old and the new values."),
            error_messages={"required": _("Write the reason for the change: the audit trail keeps it.")},
        )

    def _parent(self, name: str):
        national_id = (self.cleaned_data.get(name) or "").strip()
        if not national_id:
            return None
        parent = Person.objects.filter(national_id=national_id).first()
        if parent is None:
            violation = person_rules.Violation(name, "parent_unknown", {"id": national_id})
            raise forms.ValidationError(violation.message(), code=violation.code)
        return parent

    def clean_father(self):
        return self._parent("father")

    def clean_mother(self):
        return self._parent("mother")

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields if name != "reason"}

    def add_refusal(self, refusal: services_registry.PersonChangeRefused) -> None:
        for violation in refusal.violations:
            field = violation.field if violation.field in self.fields else None
            self.add_error(field, forms.ValidationError(violation.message(), code=violation.code))


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    """The registry, read-only here: changes go through civil_affairs.services_registry with a reason
    (the "Change registry record" page, for those with the change permission: supervisors)."""

    list_display = ("national_id", "name_en", "name_ar", "sex", "birth_date", "nationality", "status", "national_id_issued")
    list_filter = ("status", "sex", "nationality", "national_id_issued")
    search_fields = ("=national_id", "name_en", "name_ar")
    list_select_related = True
    show_full_result_count = False

    def has_change_permission(self, request, obj=None):
        # The record page is for reading; the change page below calls the audited service.
        return False

    def has_delete_permission(self, request, obj=None):
        # A person leaves the registry by a status (deceased, ID cancelled), never by deletion.
        return False

    def may_change_record(self, request) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.change_{self.opts.model_name}")

    def get_urls(self):
        return [
            path(
                "<path:object_id>/record/",
                self.admin_site.admin_view(self.record_change_view),
                name="civil_affairs_person_record_change",
            ),
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        person = self.get_object(request, object_id)
        if person is not None:
            services.staff_view_record(staff=request.user, person=person, what=PersonDataAccess.What.REGISTRY_RECORD, reason="civil registry (admin)")
            if self.may_change_record(request):
                extra_context = {
                    **(extra_context or {}),
                    "record_change_url": reverse("admin:civil_affairs_person_record_change", args=[person.pk]),
                }
        return super().change_view(request, object_id, form_url, extra_context)

    def _form_page(self, request, *, form, title, obj=None, back_url, lead=""):
        context = {
            **self.admin_site.each_context(request), "title": title, "form": form, "obj": obj, "opts": self.opts,
            "back_url": back_url, "lead": lead,
        }
        return TemplateResponse(request, "admin/identity_change_form.html", context)

    def record_change_view(self, request, object_id):
        person = self.get_object(request, object_id)
        if person is None:
            raise Http404
        if not self.may_change_record(request):
            raise PermissionDenied
        back_url = reverse("admin:civil_affairs_person_change", args=[person.pk])
        form = PersonRecordForm(request.POST if request.method == "POST" else None, person=person)
        if request.method == "POST" and form.is_valid():
            try:
                updated = services_registry.person_update(
                    person=person, changes=form.values(), actor=request.user, reason=form.cleaned_data["reason"],
                    client_address=client_address(request),
                )
            except services_registry.PersonChangeRefused as refusal:
                form.add_refusal(refusal)
            else:
                if updated.updated_at != person.updated_at:
                    self.message_user(request, _("The registry record was changed."), messages.SUCCESS)
                else:
                    self.message_user(request, _("Nothing changed: the record is as it was."), messages.INFO)
                return HttpResponseRedirect(back_url)
        elif request.method != "POST":
            services.staff_view_record(staff=request.user, person=person, what=PersonDataAccess.What.REGISTRY_RECORD, reason="civil registry change (admin)")
        return self._form_page(
            request, form=form, obj=person, back_url=back_url, title=_("Change registry record"),
            lead=_("Every change is kept in the audit trail with the old and the new values, who made it and why."),
        )

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        back_url = reverse("admin:civil_affairs_person_changelist")
        form = PersonRecordForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                person = services_registry.person_create(
                    values=form.values(), actor=request.user, reason=form.cleaned_data["reason"],
                    client_address=client_address(request),
                )
            except services_registry.PersonChangeRefused as refusal:
                form.add_refusal(refusal)
            else:
                self.message_user(request, _("The person was added to the registry."), messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:civil_affairs_person_change", args=[person.pk]))
        return self._form_page(request, form=form, back_url=back_url, title=_("Add a person to the registry"))


class RequirementInline(admin.TabularInline):
    model = Requirement
    extra = 0


@admin.register(RequestType)
class RequestTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name_en", "name_ar", "department", "is_active", "position")
    list_editable = ("is_active", "position")
    list_filter = ("department", "is_active")
    inlines = [RequirementInline]

    def get_readonly_fields(self, request, obj=None):
        # The code ties the data to the behaviour in code: fixed once created.
        return ("code",) if obj else ()


class EventInline(admin.TabularInline):
    model = RequestEvent
    extra = 0
    can_delete = False
    fields = ("at", "from_status", "to_status", "actor", "note")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class MessageInline(admin.StackedInline):
    model = RequestMessage
    extra = 0
    can_delete = False
    fields = ("at", "author", "from_staff", "body")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    can_delete = False
    fields = ("download", "content_type", "size", "uploaded_by", "at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("file"))
    def download(self, obj):
        url = reverse("admin:civil_affairs_servicerequest_attachment", args=[obj.request_id, obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.display_name)


class AgeFilter(admin.SimpleListFilter):
    title = gettext_lazy("age of the request")
    parameter_name = "age"

    def lookups(self, request, model_admin):
        return [("1", _("under a day")), ("7", _("up to a week")), ("30", _("up to a month")), ("old", _("older than a month"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() in {"1", "7", "30"}:
            return queryset.filter(created_at__gte=now - timedelta(days=int(self.value())))
        if self.value() == "old":
            return queryset.filter(created_at__lt=now - timedelta(days=30))
        return queryset


class CappedCountPaginator(Paginator):
    """Counts at most CAP rows: a queue of a million pages needs no exact total to be useful."""

    CAP = 10_000

    @cached_property
    def count(self):
        return self.object_list.values("pk")[: self.CAP + 1].count()


class QueueFilter(admin.SimpleListFilter):
    """The queue opens on the requests still to handle; decided ones are one click away."""

    title = gettext_lazy("queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("open", _("To handle")), ("decided", _("Decided or closed")), ("all", _("All"))]

    def value(self):
        return super().value() or "open"

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        from .statuses import FINAL, OPEN

        if self.value() == "open":
            return queryset.filter(status__in=OPEN)
        if self.value() == "decided":
            return queryset.filter(status__in=FINAL)
        return queryset


class StaffMessageForm(forms.Form):
    body = forms.CharField(label=gettext_lazy("Message to the citizen"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason (the citizen sees it)"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin):
    list_display = ("reference", "request_type", "status", "applicant_id_number", "subject", "assigned_to", "created_at", "updated_at")
    list_filter = (QueueFilter, "status", "request_type", "department", AgeFilter)
    search_fields = ("=reference", "=applicant__person__national_id", "=subject__national_id")
    list_select_related = ("request_type", "applicant__person", "subject", "assigned_to")
    ordering = ("created_at",)
    show_full_result_count = False
    paginator = CappedCountPaginator
    readonly_fields = (
        "reference", "request_type", "department", "applicant", "subject", "status", "description", "data",
        "assigned_to", "decision_reason", "created_at", "updated_at", "decided_at",
    )
    exclude = ("submission_key",)
    inlines = [EventInline, MessageInline, AttachmentInline]
    actions = ["take", "approve", "reject", "ask_citizen"]

    @admin.display(description=gettext_lazy("applicant's ID"), ordering="applicant__person__national_id")
    def applicant_id_number(self, obj):
        return obj.applicant.national_id

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        departments = staff_departments(request.user)
        return queryset if departments is None else queryset.filter(department__in=departments)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "<int:request_id>/attachments/<int:attachment_id>/",
                self.admin_site.admin_view(self.attachment_view),
                name="civil_affairs_servicerequest_attachment",
            ),
            path("<int:request_id>/message/", self.admin_site.admin_view(self.message_view), name="civil_affairs_servicerequest_message"),
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None:
            services.staff_view_record(staff=request.user, request=obj, what=PersonDataAccess.What.REQUEST, reason=f"request {obj.reference}")
            from .inbox import behaviour_for

            extra_context = {
                **(extra_context or {}),
                "summary": behaviour_for(obj.request_type.code).summary(request=obj),
                "message_url": reverse("admin:civil_affairs_servicerequest_message", args=[obj.pk]),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def attachment_view(self, request, request_id, attachment_id):
        from .views import attachment_response

        obj = self.get_queryset(request).filter(pk=request_id).first()
        attachment = obj and obj.attachments.filter(pk=attachment_id).first()
        if attachment is None or not self.has_view_permission(request, obj):
            raise Http404
        services.staff_view_record(staff=request.user, request=obj, attachment=attachment, what=PersonDataAccess.What.ATTACHMENT, reason=f"request {obj.reference}")
        return attachment_response(attachment)

    def message_view(self, request, request_id):
        obj = self.get_queryset(request).filter(pk=request_id).first()
        if obj is None or not self.has_change_permission(request, obj):
            raise Http404
        form = StaffMessageForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.message_post(request=obj, author=request.user, body=form.cleaned_data["body"], client_address=client_address(request))
            except InboxError as exc:
                self.message_user(request, exc.message(), messages.ERROR)
            else:
                self.message_user(request, _("The message was sent to the citizen."), messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:civil_affairs_servicerequest_change", args=[obj.pk]))
        context = {**self.admin_site.each_context(request), "title": _("Message to the citizen"), "form": form, "obj": obj, "opts": self.model._meta}
        return TemplateResponse(request, "admin/civil_affairs/message_form.html", context)

    # --- actions: the same services as the citizen side ---

    def _run(self, request, queryset, call, done_text):
        done = 0
        for obj in queryset:
            try:
                call(obj)
                done += 1
            except RequestNotAllowed as exc:
                self.message_user(request, f"{obj}: " + " ".join(str(m) for m in exc.refusal.messages or exc.refusal.reasons), messages.ERROR)
            except InboxError as exc:
                self.message_user(request, f"{obj}: {exc.message()}", messages.ERROR)
        if done:
            self.message_user(request, done_text(done) % {"n": done}, messages.SUCCESS)

    def _ask(self, request, queryset, form_class, title):
        form = form_class(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            return form
        context = {
            **self.admin_site.each_context(request), "title": title, "form": form, "queryset": queryset,
            "action": request.POST.get("action"), "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/action_with_form.html", context)

    @admin.action(description=gettext_lazy("Take into review"), permissions=["change"])
    def take(self, request, queryset):
        address = client_address(request)
        self._run(request, queryset, lambda obj: services.request_take(request=obj, actor=request.user, client_address=address),
                  lambda n: ngettext("%(n)d request taken into review.", "%(n)d requests taken into review.", n))

    @admin.action(description=gettext_lazy("Approve"), permissions=["change"])
    def approve(self, request, queryset):
        address = client_address(request)
        self._run(
            request, queryset,
            lambda obj: services.request_transition(request=obj, to_status=RequestStatus.APPROVED, actor=request.user, client_address=address),
            lambda n: ngettext("%(n)d request approved.", "%(n)d requests approved.", n),
        )

    @admin.action(description=gettext_lazy("Reject with a reason"), permissions=["change"])
    def reject(self, request, queryset):
        form = self._ask(request, queryset, ReasonForm, _("Reject requests"))
        if isinstance(form, TemplateResponse):
            return form
        address = client_address(request)
        reason = form.cleaned_data["reason"]
        self._run(
            request, queryset,
            lambda obj: services.request_transition(request=obj, to_status=RequestStatus.REJECTED, actor=request.user, note=reason, client_address=address),
            lambda n: ngettext("%(n)d request rejected.", "%(n)d requests rejected.", n),
        )
        return None

    @admin.action(description=gettext_lazy("Ask the citizen for more information"), permissions=["change"])
    def ask_citizen(self, request, queryset):
        form = self._ask(request, queryset, StaffMessageForm, _("Ask for more information"))
        if isinstance(form, TemplateResponse):
            return form
        address = client_address(request)
        body = form.cleaned_data["body"]
        self._run(
            request, queryset,
            lambda obj: services.request_ask_citizen(request=obj, actor=request.user, body=body, client_address=address),
            lambda n: ngettext("%(n)d request now waits for the citizen.", "%(n)d requests now wait for the citizen.", n),
        )
        return None


@admin.register(PersonDataAccess)
class PersonDataAccessAdmin(ReadOnlyModelAdmin):
    list_display = ("at", "staff", "person", "request", "what", "reason")
    list_select_related = ("staff", "person", "request")
    search_fields = ("=person__national_id", "staff__username")
    date_hierarchy = "at"
