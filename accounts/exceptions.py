"""Outcomes of account services that are not success. Each says, translated, what happened."""

from django.utils.translation import gettext as _

from absher.moments import until_text


def _when(moment) -> str:
    return until_text(moment)


class AccountError(Exception):
    code = "error"

    def message(self) -> str:  # pragma: no cover - every subclass says its own
        return _("Something went wrong. Try again.")


class RegistrationRefused(AccountError):
    def __init__(self, code: str, eligible_from=None):
        super().__init__(code)
        self.code = code
        self.eligible_from = eligible_from

    def message(self) -> str:
        from civil_affairs.templatetags.calendars import dual_date

        from .rules import REFUSAL_MESSAGES

        text = str(REFUSAL_MESSAGES[self.code])
        return text % {"date": dual_date(self.eligible_from)} if self.eligible_from else text


class IdentifierTaken(AccountError):
    """The mobile number or the username already belongs to an account."""

    def __init__(self, field: str):
        super().__init__(field)
        self.field = field
        self.code = f"{field}_taken"

    def message(self) -> str:
        if self.field == "mobile":
            return _("This mobile number belongs to another account. Each mobile number serves one account.")
        return _("This username is taken. Choose another.")


class OtpSendRefused(AccountError):
    def __init__(self, reason: str, retry_at):
        super().__init__(reason)
        self.code = reason
        self.retry_at = retry_at

    def message(self) -> str:
        from django.conf import settings
        from django.utils.translation import ngettext

        when = _when(self.retry_at)
        if self.code == "mobile_15_min":
            n = settings.OTP_MAX_PER_MOBILE_15_MIN
            return ngettext(
                "%(n)d code was sent to this mobile in 15 minutes. You can ask for a new one at %(when)s.",
                "%(n)d codes were sent to this mobile in 15 minutes. You can ask for a new one at %(when)s.",
                n,
            ) % {"n": n, "when": when}
        if self.code == "mobile_day":
            n = settings.OTP_MAX_PER_MOBILE_DAY
            return ngettext(
                "%(n)d code was sent to this mobile in 24 hours. You can ask for a new one at %(when)s.",
                "%(n)d codes were sent to this mobile in 24 hours. You can ask for a new one at %(when)s.",
                n,
            ) % {"n": n, "when": when}
        texts = {
            "cooldown": _("A code was sent less than a minute ago. You can ask for a new one at %(when)s."),
            "address_hour": _("Too many codes were asked for from your network. Try again at %(when)s."),
        }
        return texts[self.code] % {"when": when}


class LookupsExhausted(AccountError):
    """Too many answers about ID numbers and mobiles for one client address this hour (QUALITY 25)."""

    code = "lookups_exhausted"

    def __init__(self, until):
        super().__init__(until)
        self.until = until

    def message(self) -> str:
        return _("Too many ID numbers and mobile numbers were checked from your network. Try again at %(when)s.") % {
            "when": _when(self.until)
        }


class RegistrationVoided(AccountError):
    """The pending registration is gone: another one for its ID, mobile or username was confirmed, or it expired."""

    code = "registration_void"

    def message(self) -> str:
        return _("This registration can no longer be confirmed. Register again.")


class ClaimNotPossible(AccountError):
    """Only a confirmed account that is not yet activated can be claimed by the ID's owner."""

    code = "claim_not_possible"

    def message(self) -> str:
        return _("This account cannot be taken over here. Visit a civil affairs or passports office.")


class OtpRejected(AccountError):
    def __init__(self, outcome: str, remaining: int = 0):
        super().__init__(outcome)
        self.code = outcome
        self.remaining = remaining

    def message(self) -> str:
        from django.utils.translation import ngettext

        if self.code == "wrong":
            return ngettext(
                "The code is incorrect. You have %(n)d more try.",
                "The code is incorrect. You have %(n)d more tries.",
                self.remaining,
            ) % {"n": self.remaining}
        if self.code == "expired":
            return _("The code has expired. Ask for a new code.")
        return _("This code can no longer be used. Ask for a new code.")


class InvalidCredentials(AccountError):
    code = "invalid_credentials"

    def message(self) -> str:
        return _("The username, ID number or password is incorrect.")


class LoginBlocked(AccountError):
    code = "locked"

    def __init__(self, until):
        super().__init__(until)
        self.until = until

    def message(self) -> str:
        return _("Too many failed sign-ins. You can try again at %(when)s, or reset your password.") % {
            "when": _when(self.until)
        }


class AccountSuspended(AccountError):
    code = "suspended"

    def message(self) -> str:
        return _("This account is suspended. Contact us or visit a civil affairs or passports office.")


class PhoneNotConfirmed(AccountError):
    code = "pending_phone"

    def __init__(self, user):
        super().__init__(user.pk)
        self.user = user

    def message(self) -> str:
        return _("Confirm your mobile number to finish your registration: ask for a new code below.")


class ResetNoMatch(AccountError):
    code = "reset_no_match"

    def message(self) -> str:
        return _("The ID number and the mobile number do not match an account.")


class ResetNotVerified(AccountError):
    code = "reset_not_verified"

    def message(self) -> str:
        return _("Your confirmed code is no longer valid. Start the password reset again.")


class InvalidTransition(AccountError):
    code = "invalid_transition"

    def __init__(self, from_state: str, to_state: str):
        super().__init__(from_state, to_state)
        self.from_state = from_state
        self.to_state = to_state

    def message(self) -> str:
        from .models import AccountState

        labels = dict(AccountState.choices)
        return _("An account in state “%(from)s” cannot move to “%(to)s”.") % {
            "from": labels.get(self.from_state, self.from_state),
            "to": labels.get(self.to_state, self.to_state),
        }
