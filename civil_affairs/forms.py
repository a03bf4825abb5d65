import uuid

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern); each is checked by content later."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}))
        kwargs.setdefault("required", False)
        # An empty file goes on to the upload check, whose message names it like every other refusal.
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def _files_help():
    max_mb = getattr(settings, "UPLOAD_MAX_BYTES", 5 * 1024 * 1024) // (1024 * 1024)
    max_files = getattr(settings, "UPLOAD_MAX_FILES", 10)
    return _("PDF, JPEG or PNG; at most %(mb)d MB each and %(n)d files in all.") % {"mb": max_mb, "n": max_files}


class RequestForm(forms.Form):
    """What every request has: a description, attachments and the submission key that makes a
    double click or a resent form file one request."""

    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=4000,
        help_text=_("Say what you ask for, and anything that helps the department decide."),
        error_messages={"required": _("Write a description of your request.")},
    )
    files = MultipleFileField(label=_("Attachments"))
    submission_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = _files_help()
        if not self.is_bound:
            self.initial.setdefault("submission_key", uuid.uuid4())


def request_form_class(extra_form_class):
    """The behaviour's own fields first, then the common ones."""
    if extra_form_class is None:
        return RequestForm
    return type("TypedRequestForm", (extra_form_class, RequestForm), {})


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        error_messages={"required": _("Write your reply.")},
    )
    files = MultipleFileField(label=_("More attachments"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = _files_help()
