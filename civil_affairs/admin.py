"""Staff's side of civil affairs: the registry and the request queues, behind the same services."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import models
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from absher.admin_site import ReadOnlyModelAdmin
from absher.request_info import client_address
from absher.templatetags.country_names import country_name

from . import person_rules, services, services_registry, statuses
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
from .templatetags.calendars import dual_date

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
        if self.value() == "open":
            return queryset.filter(status__in=statuses.OPEN)
        if self.value() == "decided":
            # Every status that is not open, whatever statuses the table adds.
            return queryset.exclude(status__in=statuses.OPEN)
        return queryset


class StaffMessageForm(forms.Form):
    body = forms.CharField(label=gettext_lazy("Message to the citizen"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason (the citizen sees it)"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


# --- staff wording and the decisions, shared by the queue's actions and the decision page ----------

# The model's labels speak to the citizen ("Waiting for you"); staff read the same status in their words.
STAFF_STATUS_LABELS = {
    RequestStatus.WAITING_CITIZEN: gettext_lazy("Waiting for the citizen"),
}


def staff_status_label(code: str) -> str:
    """A status in staff's words; a status this page does not know is shown by its model label."""
    if code in STAFF_STATUS_LABELS:
        return str(STAFF_STATUS_LABELS[code])
    return str(dict(RequestStatus.choices).get(code) or code)


@dataclass(frozen=True)
class Decision:
    """One decision staff may take on a request: the service it calls and the status it leads to."""

    name: str
    label: object
    to_status: str
    run: Callable
    done: Callable[[int], str]
    text_form: type[forms.Form] | None = None
    text_field: str = ""


def _take(obj, actor, text, address):
    return services.request_take(request=obj, actor=actor, client_address=address)


def _ask(obj, actor, text, address):
    return services.request_ask_citizen(request=obj, actor=actor, body=text, client_address=address)


def _approve(obj, actor, text, address):
    return services.request_transition(request=obj, to_status=RequestStatus.APPROVED, actor=actor, client_address=address)


def _reject(obj, actor, text, address):
    return services.request_transition(
        request=obj, to_status=RequestStatus.REJECTED, actor=actor, note=text, client_address=address
    )


DECISIONS = {
    decision.name: decision
    for decision in (
        Decision("take", gettext_lazy("Take into review"), RequestStatus.IN_REVIEW, _take,
                 lambda n: ngettext("%(n)d request taken into review.", "%(n)d requests taken into review.", n)),
        Decision("ask_citizen", gettext_lazy("Ask the citizen for more information"), RequestStatus.WAITING_CITIZEN, _ask,
                 lambda n: ngettext("%(n)d request now waits for the citizen.", "%(n)d requests now wait for the citizen.", n),
                 StaffMessageForm, "body"),
        Decision("approve", gettext_lazy("Approve"), RequestStatus.APPROVED, _approve,
                 lambda n: ngettext("%(n)d request approved.", "%(n)d requests approved.", n)),
        Decision("reject", gettext_lazy("Reject with a reason"), RequestStatus.REJECTED, _reject,
                 lambda n: ngettext("%(n)d request rejected.", "%(n)d requests rejected.", n),
                 ReasonForm, "reason"),
    )
}


def decisions_open(status: str) -> list[Decision]:
    """The decisions the status table allows from this status: none from a final or unknown one."""
    return [decision for decision in DECISIONS.values() if statuses.can_move(status, decision.to_status)]


def is_decided(status: str) -> bool:
    """Read-only: anything but the open statuses (final ones, and any this code does not know)."""
    return status not in statuses.OPEN


def registry_rows(person: Person | None) -> list[tuple[str, str, bool]]:
    """A registry record as label, value and whether the value reads left to right (numbers)."""
    if person is None:
        return []
    rows = [
        (_("ID or iqama number"), person.national_id, True),
        (_("Name in Arabic"), person.name_ar, False),
        (_("Name in English"), person.name_en, False),
        (_("Sex"), person.get_sex_display(), False),
        (_("Date of birth"), dual_date(person.birth_date), False),
        (_("Nationality"), country_name(person.nationality), False),
        (_("Registry status"), person.get_status_display(), False),
    ]
    if person.is_citizen:
        card = dual_date(person.national_id_expiry) if person.national_id_expiry else (
            _("Issued") if person.national_id_issued else _("Not issued"))
        rows.append((_("National ID card expiry"), card, False))
    elif person.iqama_expiry:
        rows.append((_("Iqama expiry"), dual_date(person.iqama_expiry), False))
    return rows


def request_summary(obj: ServiceRequest) -> list[tuple[str, str]]:
    """The type's summary in words; for a type without one, its form's fields by their labels."""
    from .inbox import behaviour_for

    behaviour = behaviour_for(obj.request_type.code)
    rows = [(str(label), str(value)) for label, value in behaviour.summary(request=obj)]
    if rows or not behaviour.form_class or not isinstance(obj.data, dict):
        return rows
    for name, field in behaviour.form_class.base_fields.items():
        if name not in obj.data:
            continue
        value = obj.data[name]
        choices = dict(getattr(field, "choices", None) or [])
        rows.append((str(field.label or name), str(choices.get(value, value))))
    return rows


#: A preview loaded within this time of the staff member's recorded view of the file is not recorded again.
PREVIEW_RECORD_FRESH = timedelta(hours=1)


def preview_kind(attachment: Attachment) -> str:
    if attachment.content_type in ("image/png", "image/jpeg"):
        return "image"
    if attachment.content_type == "application/pdf":
        return "pdf"
    return ""


class StaffStatusFilter(admin.SimpleListFilter):
    """The statuses in staff's words (the model's labels are the citizen's)."""

    title = gettext_lazy("status")
    parameter_name = "status__exact"

    def lookups(self, request, model_admin):
        return [(code, staff_status_label(code)) for code in RequestStatus.values]

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() else queryset


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin):
    list_display = ("reference_number", "request_type", "staff_status", "applicant_id_number", "assigned_to", "submitted")
    list_display_links = ("reference_number",)
    list_filter = (QueueFilter, StaffStatusFilter, "request_type", "department", AgeFilter)
    search_fields = ("=reference", "=applicant__person__national_id", "=subject__national_id")
    list_select_related = ("request_type", "applicant__person", "assigned_to")
    # What to handle first: the oldest request of the officer's own departments (get_queryset).
    ordering = ("created_at", "id")
    list_per_page = 50
    show_full_result_count = False
    paginator = CappedCountPaginator
    actions = ["take", "approve", "reject", "ask_citizen"]

    @admin.display(description=gettext_lazy("reference number"), ordering="reference")
    def reference_number(self, obj):
        return format_html('<bdi dir="ltr" class="staff-nowrap">{}</bdi>', obj.reference or f"#{obj.pk}")

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def staff_status(self, obj):
        return staff_status_label(obj.status)

    @admin.display(description=gettext_lazy("applicant's ID"), ordering="applicant__person__national_id")
    def applicant_id_number(self, obj):
        return format_html('<bdi dir="ltr">{}</bdi>', obj.applicant.national_id or "")

    @admin.display(description=gettext_lazy("submitted at"), ordering="created_at")
    def submitted(self, obj):
        at = timezone.localtime(obj.created_at)
        return format_html(
            '<bdi dir="ltr" class="staff-nowrap">{}</bdi><br><span class="staff-age">{}</span>',
            f'{date_format(at, "SHORT_DATE_FORMAT")} {date_format(at, "H:i")}', _("%(age)s ago") % {"age": timesince(obj.created_at, timezone.now(), depth=1)},
        )

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        departments = staff_departments(request.user)
        return queryset if departments is None else queryset.filter(department__in=departments)

    def get_list_filter(self, request):
        departments = staff_departments(request.user)
        if departments is not None and len(departments) <= 1:  # one department: nothing to choose
            return tuple(item for item in self.list_filter if item != "department")
        return self.list_filter

    def lookup_allowed(self, lookup, value, request=None):
        # The dashboard's links name the department even where the filter is not shown (one department).
        return lookup == "department__exact" or super().lookup_allowed(lookup, value, request)

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"title": _("Request queue"), **(extra_context or {})})

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
            path(
                "<int:request_id>/attachments/<int:attachment_id>/preview/",
                self.admin_site.admin_view(self.attachment_preview_view),
                name="civil_affairs_servicerequest_attachment_preview",
            ),
            path("<int:request_id>/message/", self.admin_site.admin_view(self.message_view), name="civil_affairs_servicerequest_message"),
            path("<int:request_id>/decide/", self.admin_site.admin_view(self.decide_view), name="civil_affairs_servicerequest_decide"),
        ] + super().get_urls()

    # --- the decision page ---

    def _decision_request(self, request, object_id):
        """The request with everything its page shows, in a fixed number of queries; None outside the user's queues."""
        try:
            pk = int(object_id)
        except (TypeError, ValueError):
            return None
        return (
            self.get_queryset(request)
            .select_related("request_type", "applicant__person", "subject", "assigned_to")
            .prefetch_related(
                models.Prefetch("events", queryset=RequestEvent.objects.select_related("actor")),
                models.Prefetch("messages", queryset=RequestMessage.objects.select_related("author")),
                "attachments",
            )
            .filter(pk=pk)
            .first()
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self._decision_request(request, object_id)
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        services.staff_view_record(staff=request.user, request=obj, what=PersonDataAccess.What.REQUEST, reason=f"request {obj.reference}")
        if obj.subject_id and obj.subject_id != obj.applicant.person_id:
            services.staff_view_record(
                staff=request.user, person=obj.subject, request=obj, what=PersonDataAccess.What.REGISTRY_RECORD,
                reason=f"request {obj.reference}",
            )
        return self._decision_page(request, obj)

    def _decision_page(self, request, obj, *, bound: dict | None = None, status: int = 200):
        may_decide = self.has_change_permission(request, obj) and not is_decided(obj.status)
        decisions = []
        for decision in decisions_open(obj.status) if may_decide else []:
            form = None
            if decision.text_form:
                form = (bound or {}).get(decision.name) or decision.text_form(prefix=decision.name)
            decisions.append({"decision": decision, "form": form})
        applicant_person = obj.applicant.person if obj.applicant.person_id else None
        events = [
            {
                "at": event.at, "to": staff_status_label(event.to_status),
                "from": staff_status_label(event.from_status) if event.from_status else "",
                "actor": self._actor(event.actor, obj), "note": event.note,
            }
            for event in obj.events.all()
        ]
        thread = [
            {"at": message.at, "author": self._actor(message.author, obj), "from_staff": message.from_staff, "body": message.body}
            for message in obj.messages.all()
        ]
        attachments = [
            {
                "attachment": attachment, "kind": preview_kind(attachment),
                "download_url": reverse("admin:civil_affairs_servicerequest_attachment", args=[obj.pk, attachment.pk]),
                "preview_url": reverse("admin:civil_affairs_servicerequest_attachment_preview", args=[obj.pk, attachment.pk]),
            }
            for attachment in obj.attachments.all()
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Request %(reference)s") % {"reference": obj.reference or obj.pk},
            "subtitle": None,
            "opts": self.opts, "obj": obj, "original": obj, "has_view_permission": True,
            "status_label": staff_status_label(obj.status),
            "decided": is_decided(obj.status),
            "may_decide": may_decide,
            "decisions": decisions,
            "decide_url": reverse("admin:civil_affairs_servicerequest_decide", args=[obj.pk]),
            "message_url": reverse("admin:civil_affairs_servicerequest_message", args=[obj.pk]) if may_decide else "",
            "summary": request_summary(obj),
            "applicant_rows": registry_rows(applicant_person),
            "subject_rows": registry_rows(obj.subject) if obj.subject_id and obj.subject_id != obj.applicant.person_id else [],
            "events": events, "thread": thread, "attachments": attachments,
        }
        return TemplateResponse(request, "admin/civil_affairs/servicerequest/decide.html", context, status=status)

    @staticmethod
    def _actor(user, obj) -> str:
        if user is None:
            return _("the system")
        if user.pk == obj.applicant_id:
            return _("the citizen")
        return user.get_username()

    def decide_view(self, request, request_id):
        """One decision from the decision page (POST), through the same service as the queue's actions."""
        obj = self._decision_request(request, request_id)
        if obj is None:
            raise Http404
        page_url = reverse("admin:civil_affairs_servicerequest_change", args=[obj.pk])
        if request.method != "POST":  # a reload of the address the decision was posted to: the page
            return HttpResponseRedirect(page_url)
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        decision = DECISIONS.get(request.POST.get("decision", ""))
        if decision is None or decision not in decisions_open(obj.status):
            self.message_user(
                request, _("This decision is not possible now: the request is %(status)s.") % {"status": staff_status_label(obj.status)},
                messages.ERROR,
            )
            return HttpResponseRedirect(page_url)
        text = ""
        if decision.text_form:
            form = decision.text_form(request.POST, prefix=decision.name)
            if not form.is_valid():
                return self._decision_page(request, obj, bound={decision.name: form}, status=400)
            text = form.cleaned_data[decision.text_field]
        try:
            decision.run(obj, request.user, text, client_address(request))
        except RequestNotAllowed as exc:
            self.message_user(request, " ".join(str(m) for m in exc.refusal.messages or exc.refusal.reasons), messages.ERROR)
        except InboxError as exc:
            self.message_user(request, exc.message(), messages.ERROR)
        else:
            self.message_user(request, decision.done(1) % {"n": 1}, messages.SUCCESS)
        return HttpResponseRedirect(page_url)

    def _attachment(self, request, request_id, attachment_id):
        obj = self.get_queryset(request).filter(pk=request_id).first()
        attachment = obj and obj.attachments.filter(pk=attachment_id).first()
        if attachment is None or not self.has_view_permission(request, obj):
            raise Http404
        return obj, attachment

    def attachment_view(self, request, request_id, attachment_id):
        from .views import attachment_response

        obj, attachment = self._attachment(request, request_id, attachment_id)
        services.staff_view_record(staff=request.user, request=obj, attachment=attachment, what=PersonDataAccess.What.ATTACHMENT, reason=f"request {obj.reference}")
        return attachment_response(attachment)

    def attachment_preview_view(self, request, request_id, attachment_id):
        """The attachment as a picture for the decision page: an image scaled down, a PDF's first page."""
        from absher.admin_previews import preview_png

        obj, attachment = self._attachment(request, request_id, attachment_id)
        # Each load of a preview is a view of the file, recorded once an hour (the page's reloads add nothing).
        seen = PersonDataAccess.objects.filter(
            staff=request.user, attachment=attachment, at__gte=timezone.now() - PREVIEW_RECORD_FRESH,
        ).exists()
        if not seen:
            services.staff_view_record(
                staff=request.user, request=obj, attachment=attachment, what=PersonDataAccess.What.ATTACHMENT,
                reason=f"request {obj.reference} (preview)",
            )
        response = HttpResponse(preview_png(attachment), content_type="image/png")
        response["Cache-Control"] = "private, no-store"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response

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
        context = {
            **self.admin_site.each_context(request), "title": _("Message to the citizen"), "form": form, "obj": obj,
            "opts": self.model._meta, "status_label": staff_status_label(obj.status),
        }
        return TemplateResponse(request, "admin/civil_affairs/message_form.html", context)

    # --- actions on several requests of the queue: the same decisions as the page ---

    def _run(self, request, queryset, decision: Decision, text: str = ""):
        done = 0
        address = client_address(request)
        for obj in queryset:
            try:
                decision.run(obj, request.user, text, address)
                done += 1
            except RequestNotAllowed as exc:
                self.message_user(request, f"{obj}: " + " ".join(str(m) for m in exc.refusal.messages or exc.refusal.reasons), messages.ERROR)
            except InboxError as exc:
                self.message_user(request, f"{obj}: {exc.message()}", messages.ERROR)
        if done:
            self.message_user(request, decision.done(done) % {"n": done}, messages.SUCCESS)

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

    @admin.action(description=DECISIONS["take"].label, permissions=["change"])
    def take(self, request, queryset):
        self._run(request, queryset, DECISIONS["take"])

    @admin.action(description=DECISIONS["approve"].label, permissions=["change"])
    def approve(self, request, queryset):
        self._run(request, queryset, DECISIONS["approve"])

    @admin.action(description=DECISIONS["reject"].label, permissions=["change"])
    def reject(self, request, queryset):
        form = self._ask(request, queryset, ReasonForm, _("Reject requests"))
        if isinstance(form, TemplateResponse):
            return form
        self._run(request, queryset, DECISIONS["reject"], form.cleaned_data["reason"])
        return None

    @admin.action(description=DECISIONS["ask_citizen"].label, permissions=["change"])
    def ask_citizen(self, request, queryset):
        form = self._ask(request, queryset, StaffMessageForm, _("Ask for more information"))
        if isinstance(form, TemplateResponse):
            return form
        self._run(request, queryset, DECISIONS["ask_citizen"], form.cleaned_data["body"])
        return None


@admin.register(PersonDataAccess)
class PersonDataAccessAdmin(ReadOnlyModelAdmin):
    list_display = ("at", "staff", "person", "request", "what", "reason")
    list_select_related = ("staff", "person", "request")
    search_fields = ("=person__national_id", "staff__username")
    date_hierarchy = "at"
