"""Inbox notices and SMS on every change of status and every staff message, in the citizen's language."""

from functools import partial

from django.db import transaction
from django.utils.translation import gettext as _

from absher.sms import deliver

from .models import Notice, RequestStatus


def status_text(*, reference: str, status: str) -> str:
    label = dict(RequestStatus.choices)[status]
    return _("Absher: your request %(reference)s is now: %(status)s. Details in your inbox.") % {
        "reference": reference,
        "status": label,
    }


def message_text(*, reference: str) -> str:
    return _("Absher: a new message about your request %(reference)s. Sign in to read it.") % {"reference": reference}


def notify_status(request) -> None:
    Notice.objects.create(user=request.applicant, request=request, kind=Notice.Kind.STATUS, status=request.status)
    _sms(request, status_text, reference=request.reference, status=request.status)


def notify_message(request) -> None:
    Notice.objects.create(user=request.applicant, request=request, kind=Notice.Kind.MESSAGE, status=request.status)
    _sms(request, message_text, reference=request.reference)


def _sms(request, render, **kwargs) -> None:
    user = request.applicant
    if user.mobile:
        transaction.on_commit(partial(deliver, to=user.mobile, language=user.preferred_language, render=render, **kwargs))
