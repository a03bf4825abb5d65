from django.utils.translation import gettext as _

from .inbox import RequestNotAllowed  # noqa: F401  (re-exported: an outcome of submission)


class InboxError(Exception):
    code = "error"

    def message(self) -> str:  # pragma: no cover
        return _("Something went wrong. Try again.")


class TransitionNotAllowed(InboxError):
    code = "transition_not_allowed"

    def __init__(self, from_status: str, to_status: str):
        super().__init__(from_status, to_status)
        self.from_status, self.to_status = from_status, to_status

    def message(self) -> str:
        from .models import RequestStatus

        labels = dict(RequestStatus.choices)
        return _("A request that is “%(from)s” cannot become “%(to)s”.") % {
            "from": labels.get(self.from_status, self.from_status),
            "to": labels.get(self.to_status, self.to_status),
        }


class ReasonRequired(InboxError):
    code = "reason_required"

    def message(self) -> str:
        return _("Write the reason: the citizen sees it.")


class RequestTypeClosed(InboxError):
    code = "request_type_closed"

    def message(self) -> str:
        return _("This service does not take new requests now.")


class ReplyNotExpected(InboxError):
    code = "reply_not_expected"

    def message(self) -> str:
        return _("You can reply when the request waits for you.")
