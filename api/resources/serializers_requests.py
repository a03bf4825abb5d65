"""The civil affairs requests' shapes: the lists, one request, the types on offer, and what a
citizen sends (a new request, a reply, a dependent to add).

What is sent is checked twice in order: its types and lengths here (the lengths read from the
page's forms, so a limit is written once), then by the page's own form (civil_affairs.forms,
the type's form), whose codes and messages the answer carries.
"""

from django import forms
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from civil_affairs.forms import ReplyForm, RequestForm
from civil_affairs.models import Department, DocumentKind, RequestStatus
from civil_affairs.templatetags.calendars import dual_datetime
from dependents.forms import AddDependentForm

from .serializers_citizen import MomentTextField, RefusalSerializer, language

DESCRIPTION_MAX = RequestForm.base_fields["description"].max_length
REPLY_MAX = ReplyForm.base_fields["body"].max_length
NATIONAL_ID_MAX = AddDependentForm.base_fields["dependent_national_id"].max_length
#: A type's own field (a name, a date, a choice): its text, whatever the type.
DATA_VALUE_MAX = 1000

FILES_HELP = "PDF, JPEG or PNG files (multipart/form-data), checked as on the pages (UPLOAD_MAX_BYTES, UPLOAD_MAX_FILES)."


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Download it at .../attachments/{id}/.")
    name = serializers.CharField(source="display_name")
    size = serializers.IntegerField(help_text="Bytes.")
    content_type = serializers.CharField()
    at = serializers.DateTimeField()


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    from_staff = serializers.BooleanField(help_text="From the department (else from the citizen).")
    body = serializers.CharField()
    at = serializers.DateTimeField()
    at_text = MomentTextField(source="at")
    attachments = AttachmentSerializer(many=True)


class EventSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=RequestStatus.choices, source="to_status")
    status_label = serializers.CharField()
    at = serializers.DateTimeField()
    at_text = MomentTextField(source="at")


class SummaryItemSerializer(serializers.Serializer):
    label = serializers.CharField()
    value = serializers.CharField()


class RequestDetailSerializer(serializers.Serializer):
    """One request, as its page shows it to the citizen."""

    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=RequestStatus.choices)
    status_label = serializers.CharField()
    request_type = serializers.CharField(help_text="The type's code.")
    request_type_name = serializers.CharField()
    subject_name = serializers.CharField(allow_null=True)
    description = serializers.CharField()
    summary = SummaryItemSerializer(many=True, help_text="The type's own data, as label/value pairs.")
    step = serializers.IntegerField(allow_null=True, help_text="1 sent, 2 in review, 3 decided; 4: all done; null: withdrawn.")
    what_next = serializers.CharField(help_text="What happens now, and what to do if anything.")
    asked = MessageSerializer(allow_null=True, help_text="While it waits for the citizen: what the department asked.")
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    withdrawn_at_text = MomentTextField(source="withdrawn_at", allow_null=True)
    decision_reason = serializers.CharField(allow_blank=True, help_text="The reason of a rejection.")
    has_decision = serializers.BooleanField(help_text="Approved or rejected: the decision document exists.")
    can_reply = serializers.BooleanField()
    can_withdraw = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    attachments = AttachmentSerializer(many=True, help_text="The files sent with the request.")
    messages = MessageSerializer(many=True, help_text="The thread, oldest first, each with its files.")
    events = EventSerializer(many=True, help_text="The timeline, oldest first.")


class RequestListRowSerializer(serializers.Serializer):
    """A row of My requests (civil_affairs.selectors.request_rows_of)."""

    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=RequestStatus.choices)
    status_label = serializers.CharField()
    request_type_name = serializers.CharField()
    subject_name = serializers.CharField(allow_null=True)
    updated_at = serializers.DateTimeField()
    updated_at_text = MomentTextField(source="updated_at")

    def to_representation(self, values):
        lang = language()
        subject = values[f"subject__name_{lang}"] if values["subject"] is not None else None
        return {
            "reference": values["reference"],
            "status": values["status"],
            "status_label": self.context["labels"].get(values["status"], values["status"]),
            "request_type_name": values[f"request_type__name_{lang}"] or values["request_type__name_en"],
            "subject_name": subject,
            "updated_at": serializers.DateTimeField().to_representation(values["updated_at"]),
            "updated_at_text": dual_datetime(values["updated_at"]),
        }


# --- the types on offer ----------------------------------------------------------------------


class ChoiceOptionSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class FormFieldSerializer(serializers.Serializer):
    """One of a type's own fields: send it in `data` (multipart: `data.<name>`)."""

    name = serializers.CharField()
    label = serializers.CharField()
    input_type = serializers.ChoiceField(choices=[("text", "text"), ("date", "date"), ("choice", "choice")],
                                         help_text="date: YYYY-MM-DD; choice: one of `choices`' values.")
    required = serializers.BooleanField()
    max_length = serializers.IntegerField(allow_null=True)
    help_text = serializers.CharField(allow_blank=True)
    choices = ChoiceOptionSerializer(many=True)


def describe_form(form_class) -> list[dict]:
    """A type's own form (the behaviour's form_class) described for the app."""
    if form_class is None:
        return []
    described = []
    for name, field in form_class.base_fields.items():
        if isinstance(field, forms.DateField):
            input_type = "date"
        elif isinstance(field, forms.ChoiceField):
            input_type = "choice"
        else:
            input_type = "text"
        described.append({
            "name": name, "label": str(field.label or name), "input_type": input_type, "required": field.required,
            "max_length": getattr(field, "max_length", None), "help_text": str(field.help_text or ""),
            "choices": [{"value": str(v), "label": str(lbl)} for v, lbl in getattr(field, "choices", [])] if input_type == "choice" else [],
        })
    return described


class RequirementSerializer(serializers.Serializer):
    document_kind = serializers.ChoiceField(choices=DocumentKind.choices, source="kind")
    text = serializers.SerializerMethodField()
    mandatory = serializers.BooleanField()

    def get_text(self, requirement) -> str:
        return requirement.text(language())


class RequestTypeSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.SerializerMethodField()
    description = serializers.SerializerMethodField()
    department = serializers.ChoiceField(choices=Department.choices)
    requirements = RequirementSerializer(many=True, help_text="The documents to attach.")
    form_fields = serializers.SerializerMethodField(help_text="The type's own fields, sent in `data`.")
    can_file = serializers.SerializerMethodField(help_text="False: `refusal` says why (the type's checks before its form).")
    refusal = RefusalSerializer(allow_null=True, source="refusal_data")

    def get_name(self, request_type) -> str:
        return request_type.name(language())

    def get_description(self, request_type) -> str:
        return request_type.description(language())

    @extend_schema_field(FormFieldSerializer(many=True))
    def get_form_fields(self, request_type):
        return FormFieldSerializer(describe_form(request_type.form_class), many=True).data

    def get_can_file(self, request_type) -> bool:
        return request_type.refusal_data is None


def refusal_data(refusal) -> dict | None:
    if refusal is None:
        return None
    return {"reasons": list(refusal.reasons), "messages": [str(m) for m in refusal.messages],
            "allowed_from": refusal.allowed_from}


# --- what the citizen sends --------------------------------------------------------------------


def files_field():
    return serializers.ListField(
        child=serializers.FileField(allow_empty_file=True, use_url=False), required=False, help_text=FILES_HELP,
    )


class RequestNewSerializer(serializers.Serializer):
    request_type = serializers.SlugField(max_length=50, help_text="A code of /request-types/.")
    description = serializers.CharField(max_length=DESCRIPTION_MAX)
    submission_key = serializers.UUIDField(
        help_text="A new random UUID for each request the citizen files: sent again (a retry), it gives the same request.",
    )
    data = serializers.DictField(
        child=serializers.CharField(max_length=DATA_VALUE_MAX, allow_blank=True), required=False,
        help_text="The type's own fields (/request-types/: `fields`). In multipart/form-data: `data.<name>`.",
    )
    files = files_field()


class ReplySerializer(serializers.Serializer):
    body = serializers.CharField(max_length=REPLY_MAX)
    files = files_field()


class DependentAddSerializer(serializers.Serializer):
    dependent_national_id = serializers.CharField(max_length=NATIONAL_ID_MAX, help_text="One of `children` that can be added.")
    description = serializers.CharField(max_length=DESCRIPTION_MAX)
    submission_key = serializers.UUIDField(help_text="A new random UUID for each request: a retry gives the same request.")
    files = files_field()

