"""SMS texts, each in its recipient's language, sent only after the transaction commits."""

import logging

from django.utils import translation
from django.utils.translation import gettext as _

from absher.sms import SmsDeliveryError, send_sms

logger = logging.getLogger(__name__)


def code_text(purpose: str, code: str, minutes: int) -> str:
    purposes = {
        "registration": _("to confirm your mobile number"),
        "login": _("to sign in"),
        "password_reset": _("to reset your password"),
        "password_change": _("to change your password"),
    }
    return _("Absher: your code %(purpose)s is %(code)s. It is valid for %(minutes)d minutes. Never share it.") % {
        "purpose": purposes.get(purpose, ""),
        "code": code,
        "minutes": minutes,
    }


def notice_text(kind: str) -> str:
    texts = {
        "activated": _("Absher: your account is now active. You can use all e-services."),
        "suspended": _("Absher: your account was suspended. Contact 920020405 for help."),
        "reinstated": _("Absher: your account was reinstated."),
        "password_changed": _("Absher: your password was changed. If it was not you, call 920020405 now."),
    }
    return texts[kind]


def deliver(*, to: str, language: str, render, **kwargs) -> bool:
    """Render the text in `language` and send it; False if the gateway did not take it."""
    with translation.override(language):
        body = render(**kwargs)
    try:
        send_sms(to, body)
    except SmsDeliveryError:
        logger.warning("SMS delivery failed (to a number ending %s)", to[-3:])
        return False
    return True
