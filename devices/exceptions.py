"""What ending a session or device can refuse, as outcomes with a reason code and a message."""

from django.utils.translation import gettext as _


class DeviceError(Exception):
    code = "device_error"

    def message(self) -> str:  # pragma: no cover - each outcome says
        raise NotImplementedError


class DeviceNotFound(DeviceError):
    """No such session or device on this account (another citizen's is the same: not found)."""

    code = "not_found"

    def message(self) -> str:
        return _("This session or device is not on your account.")


class DeviceIsCurrent(DeviceError):
    """The session (or app) asking is the one it would end: that is signing out."""

    code = "device_current"

    def message(self) -> str:
        return _("This is the session you are using now. To end it, sign out.")
