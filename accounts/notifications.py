"""SMS texts of accounts. The services write them to the outbox (absher.notifications), rendered in
the recipient's language; a task sends them after the commit."""

from django.utils.translation import gettext as _


def code_text(purpose: str, code: str, minutes: int) -> str:
    purposes = {
        "registration": _("to confirm your mobile number"),
        "login": _("to sign in"),
        "password_reset": _("to reset your password"),
        "password_change": _("to change your password"),
        "kiosk_mobile": _("to confirm your mobile number at the kiosk"),
        "mobile_change": _("to make this your account's mobile number"),
        "passkey_add": _("to add a passkey to your account"),
        "account_close": _("to close your account"),
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
        "mobile_changed": _(
            "Absher: your account's mobile number was changed at a self-service kiosk. If it was not you, call 920020405 now."
        ),
    }
    return texts[kind]
