"""Notices and SMS of the request inbox: on every change of status and every staff message.

The notices and the outbox are absher.notifications'; this module says what they say, in the
active language (the portal's notice when it is read, the SMS in the citizen's language when it
is written), and registers that with absher.notifications.texts (CivilAffairsConfig.ready).
"""

from django.utils.translation import gettext as _

from absher.notifications import texts
from absher.notifications.services import notify

from .models import RequestStatus

SOURCE = "civil_affairs"
STATUS = "status"
MESSAGE = "message"


def _status_label(status: str) -> str:
    return str(dict(RequestStatus.choices).get(status, ""))


def status_text(*, reference: str, status: str) -> str:
    return _("Absher: your request %(reference)s is now: %(status)s. Details in your inbox.") % {
        "reference": reference,
        "status": _status_label(status),
    }


def message_text(*, reference: str) -> str:
    return _("Absher: a new message about your request %(reference)s. Sign in to read it.") % {"reference": reference}


def notice_label(kind: str, params: dict) -> str:
    """What the Civil Affairs page says after the request's reference."""
    if kind == MESSAGE:
        return _("a new message")
    return _status_label(params.get("status", ""))


def sms_text(kind: str, params: dict) -> str:
    if kind == MESSAGE:
        return message_text(reference=params.get("reference", ""))
    return status_text(reference=params.get("reference", ""), status=params.get("status", ""))


texts.register(SOURCE, notice=notice_label, sms=sms_text)


def _params(request) -> dict:
    return {"reference": request.reference, "status": request.status}


def notify_status(request) -> None:
    notify(user=request.applicant, source=SOURCE, kind=STATUS, params=_params(request), subject=request)


def notify_message(request) -> None:
    notify(user=request.applicant, source=SOURCE, kind=MESSAGE, params=_params(request), subject=request)
