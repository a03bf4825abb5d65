"""Outcomes of passkey services that are not success (accounts' AccountError: the pages and the
API show them the same way)."""

from django.utils.translation import gettext as _

from accounts.exceptions import AccountError


class PasskeyError(AccountError):
    code = "passkey_invalid"

    def message(self) -> str:
        return _("The passkey could not be checked. Try again, or sign in with your password.")


class PasskeyUnknown(PasskeyError):
    """No account of this portal has this passkey (removed, or made for another site)."""

    code = "passkey_unknown"

    def message(self) -> str:
        return _("This passkey is not registered with Absher. Sign in with your password.")


class PasskeyCloned(PasskeyError):
    """The signature counter went back: a copy of the authenticator may be in other hands."""

    code = "passkey_cloned"

    def message(self) -> str:
        return _(
            "This passkey was refused for your security: it may have been copied. Sign in with your password "
            "and remove it from your account."
        )


class PasskeyExpired(PasskeyError):
    """The challenge is gone (used, or too old)."""

    code = "passkey_expired"

    def message(self) -> str:
        return _("This request has expired. Try again.")


class PasskeyAlreadyRegistered(PasskeyError):
    code = "passkey_registered"

    def message(self) -> str:
        return _("This passkey is already registered.")


class PasskeyLimit(PasskeyError):
    code = "passkey_limit"

    def __init__(self, limit: int):
        super().__init__(limit)
        self.limit = limit

    def message(self) -> str:
        from django.utils.translation import ngettext

        return ngettext(
            "An account can have at most %(n)d passkey. Remove one first.",
            "An account can have at most %(n)d passkeys. Remove one first.",
            self.limit,
        ) % {"n": self.limit}


class PasskeyNotVerified(PasskeyError):
    """Adding a passkey needs the SMS code first (and not too long ago)."""

    code = "passkey_code_needed"

    def message(self) -> str:
        return _("Confirm the SMS code first: start adding the passkey again.")
