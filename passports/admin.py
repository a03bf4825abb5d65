"""Staff's side of the passports records: read-mostly lists, actions that call the same services,
and a record of every staff view of a person's data (shown to the person)."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy, ngettext

from absher.audit import audit_record
from absher.request_info import client_address
from civil_affairs import services as inbox_services
from civil_affairs.models import PersonDataAccess

from . import services
from .exceptions import PassportsError
from .models import (
    AbscondingReport,
    Bill,
    ExpiryReminder,
    Fee,
    Fine,
    IqamaRecord,
    IqamaRenewal,
    Passport,
    PaymentNotification,
    Receipt,
    Sponsorship,
    TravelPermit,
    TravelRecord,
    Visa,
)


class PersonRecordAdmin(admin.ModelAdmin):
    """Opening a record of a person is recorded as a staff view of that person's data."""

    person_field = "holder"
    what_label = "passports record"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None:
            person = getattr(obj, self.person_field)
            inbox_services.staff_view_record(
                staff=request.user, person=person, what=PersonDataAccess.What.REGISTRY_RECORD,
                reason=f"{self.what_label} (admin)",
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyMixin:
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Fee)
class FeeAdmin(admin.ModelAdmin):
    list_display = ("code", "name_en", "name_ar", "amount", "source", "updated_at")
    readonly_fields = ("code", "updated_at")
    fields = ("code", "name_ar", "name_en", "amount", "source", "updated_at")

    def has_add_permission(self, request):
        return False  # the rules name fees by code: the seeded table is complete

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(action="fee_changed", actor=request.user, client_address=client_address(request),
                     fee=obj.code, amount=str(obj.amount), changed=list(form.changed_data))


@admin.register(Passport)
class PassportAdmin(PersonRecordAdmin):
    list_display = ("number", "holder", "country", "issued_on", "expires_on", "status", "delivery")
    list_filter = ("status", "country", "delivery")
    search_fields = ("=number", "=holder__national_id")
    raw_id_fields = ("holder",)
    list_select_related = ("holder",)
    show_full_result_count = False
    what_label = "passport"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields] if obj else ()

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        # A passport typed in by staff (a resident's foreign passport) goes through the service.
        recorded = services.passport_record(
            holder=obj.holder, number=obj.number, country=obj.country, issued_on=obj.issued_on, expires_on=obj.expires_on,
            validity_years=obj.validity_years, actor=request.user,
        )
        obj.pk = recorded.pk


class RenewalInline(admin.TabularInline):
    model = IqamaRenewal
    extra = 0
    can_delete = False
    fields = ("renewed_on", "previous_expiry", "new_expiry", "years", "late", "amount", "actor")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(IqamaRecord)
class IqamaRecordAdmin(PersonRecordAdmin):
    list_display = ("holder", "sponsor", "employer_name", "occupation_en", "issued_on")
    search_fields = ("=holder__national_id", "=sponsor__national_id", "employer_name")
    raw_id_fields = ("holder", "sponsor")
    list_select_related = ("holder", "sponsor")
    inlines = [RenewalInline]
    what_label = "iqama details"


@admin.register(Visa)
class VisaAdmin(ReadOnlyMixin, PersonRecordAdmin):
    list_display = ("number", "holder", "kind", "months", "issued_on", "travel_by", "return_by", "status")
    list_filter = ("kind", "status")
    search_fields = ("=number", "=holder__national_id")
    list_select_related = ("holder",)
    show_full_result_count = False
    what_label = "visa"


class TravelRecordForm(forms.ModelForm):
    class Meta:
        model = TravelRecord
        fields = ("holder", "direction", "port", "on", "passport_number")


@admin.register(TravelRecord)
class TravelRecordAdmin(PersonRecordAdmin):
    """The border's record: staff add crossings; a resident's exit uses their open visa."""

    form = TravelRecordForm
    list_display = ("on", "holder", "direction", "port", "visa")
    list_filter = ("direction", "port")
    search_fields = ("=holder__national_id",)
    raw_id_fields = ("holder",)
    list_select_related = ("holder", "visa")
    date_hierarchy = "on"
    show_full_result_count = False
    what_label = "travel record"

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        record = services.crossing_record(
            holder=obj.holder, direction=obj.direction, port=obj.port, on=obj.on, actor=request.user,
            passport_number=obj.passport_number,
        )
        obj.pk = record.pk


@admin.register(TravelPermit)
class TravelPermitAdmin(ReadOnlyMixin, PersonRecordAdmin):
    list_display = ("number", "holder", "granted_by", "destination", "valid_from", "valid_until", "status")
    list_filter = ("status", "destination")
    search_fields = ("=number", "=holder__national_id")
    list_select_related = ("holder", "granted_by")
    what_label = "travel permit"


@admin.register(AbscondingReport)
class AbscondingReportAdmin(PersonRecordAdmin):
    list_display = ("reference", "worker", "sponsor", "reported_on", "status", "cancellable_until")
    list_filter = ("status",)
    search_fields = ("=reference", "=worker__national_id", "=sponsor__national_id")
    list_select_related = ("worker", "sponsor")
    readonly_fields = ("reference", "worker", "sponsor", "reported_by", "reported_on", "last_seen_on", "status",
                       "cancelled_at", "cancelled_by")
    actions = ["cancel_reports"]
    person_field = "worker"
    what_label = "absence report"

    def has_add_permission(self, request):
        return False

    @admin.action(description=gettext_lazy("Cancel the report (within 15 days)"), permissions=["change"])
    def cancel_reports(self, request, queryset):
        done = 0
        for report in queryset:
            try:
                services.absconding_report_cancel(report=report, actor=request.user, client_address=client_address(request))
                done += 1
            except PassportsError as exc:
                self.message_user(request, f"{report}: {exc.message()}", messages.ERROR)
        if done:
            self.message_user(request, ngettext("%(n)d report cancelled.", "%(n)d reports cancelled.", done) % {"n": done},
                              messages.SUCCESS)


@admin.register(Sponsorship)
class SponsorshipAdmin(PersonRecordAdmin):
    list_display = ("worker", "sponsor", "occupation_en", "started_on", "ended_on")
    list_filter = ("ended_on",)
    search_fields = ("=worker__national_id", "=sponsor__national_id")
    raw_id_fields = ("worker", "sponsor")
    list_select_related = ("worker", "sponsor")
    person_field = "worker"
    what_label = "sponsorship"

    def get_readonly_fields(self, request, obj=None):
        return ("sponsor", "worker", "occupation_ar", "occupation_en", "started_on") if obj else ()

    def save_model(self, request, obj, form, change):
        if change:
            if obj.ended_on:
                services.sponsorship_end(sponsorship=obj, ended_on=obj.ended_on, actor=request.user)
            return
        created = services.sponsorship_start(
            sponsor=obj.sponsor, worker=obj.worker, occupation_ar=obj.occupation_ar, occupation_en=obj.occupation_en,
            started_on=obj.started_on, actor=request.user,
        )
        obj.pk = created.pk


@admin.register(Fine)
class FineAdmin(PersonRecordAdmin):
    list_display = ("reference", "person", "amount", "reason_en", "issued_on", "paid_at")
    list_filter = ("paid_at",)
    search_fields = ("=reference", "=person__national_id")
    raw_id_fields = ("person",)
    list_select_related = ("person",)
    person_field = "person"
    what_label = "fine"

    def get_readonly_fields(self, request, obj=None):
        return ("reference", "person", "amount", "reason_ar", "reason_en", "issued_on", "paid_at") if obj else ("reference", "paid_at")

    def save_model(self, request, obj, form, change):
        if change:
            return
        fine = services.fine_record(person=obj.person, amount=obj.amount, reason_ar=obj.reason_ar, reason_en=obj.reason_en,
                                    issued_on=obj.issued_on, actor=request.user)
        obj.pk = fine.pk
        obj.reference = fine.reference


@admin.register(Bill)
class BillAdmin(ReadOnlyMixin, PersonRecordAdmin):
    list_display = ("number", "service", "holder", "payer", "amount", "status", "created_at", "paid_at")
    list_filter = ("status", "service")
    search_fields = ("=number", "=holder__national_id", "payer__username")
    list_select_related = ("holder", "payer")
    date_hierarchy = "created_at"
    show_full_result_count = False
    exclude = ("submission_key",)
    what_label = "bill"


@admin.register(PaymentNotification)
class PaymentNotificationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """What each gateway notification said and what the portal did with it (passports.settlement)."""

    list_display = ("received_at", "bill", "status", "outcome", "payment_reference", "notification_id")
    list_filter = ("status", "outcome")
    search_fields = ("=bill__number", "=notification_id", "=payment_reference")
    list_select_related = ("bill",)
    date_hierarchy = "received_at"
    show_full_result_count = False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyMixin, PersonRecordAdmin):
    list_display = ("reference", "service", "holder", "applicant", "amount", "created_at")
    list_filter = ("service",)
    search_fields = ("=reference", "=holder__national_id")
    list_select_related = ("holder", "applicant")
    date_hierarchy = "created_at"
    show_full_result_count = False
    what_label = "receipt"


@admin.register(ExpiryReminder)
class ExpiryReminderAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("sent_at", "document", "person", "expires_on", "user")
    list_filter = ("document",)
    list_select_related = ("person", "user")

    def has_delete_permission(self, request, obj=None):
        return False

