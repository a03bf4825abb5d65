"""Outcomes of the passports services that are not a success, each with a code and a message."""

from django.utils.translation import gettext as _


class PassportsError(Exception):
    code = "error"

    def message(self) -> str:  # pragma: no cover - every outcome says its own
        return _("Something went wrong. Try again.")


class ServiceRefused(PassportsError):
    """A rule refused the service: the decision's reason codes say why."""

    code = "refused"

    def __init__(self, decision):
        super().__init__(decision.reasons)
        self.decision = decision

    def message(self) -> str:
        from .reasons import reason_texts

        return " ".join(reason_texts(self.decision))


class BillAlreadyPaid(PassportsError):
    code = "bill_already_paid"

    def message(self) -> str:
        return _("This bill is already paid: it cannot be paid twice.")


class BillNotPaid(PassportsError):
    code = "bill_not_paid"

    def message(self) -> str:
        return _("This bill is not paid yet: the service goes ahead once it is paid.")


class BillAlreadyUsed(PassportsError):
    code = "bill_already_used"

    def message(self) -> str:
        return _("This bill paid for a service that was carried out: it cannot be refunded.")


class BillRefunded(PassportsError):
    code = "bill_refunded"

    def message(self) -> str:
        return _("This bill was refunded: it can no longer be paid or used.")


class BillRefundPending(PassportsError):
    code = "bill_refund_pending"

    def message(self) -> str:
        return _("A refund of this bill is under way: it can no longer be paid or used.")


class BillMoveNotAllowed(PassportsError):
    """A move outside the bill status table (passports.billing.BILL_MOVES): a bug, never a user's doing."""

    code = "bill_move_not_allowed"

    def __init__(self, from_status: str, to_status: str):
        super().__init__(from_status, to_status)
        self.from_status = from_status
        self.to_status = to_status

    def message(self) -> str:
        return _("This bill cannot change that way.")


class PaymentDeclined(PassportsError):
    code = "payment_declined"

    def message(self) -> str:
        return _("The payment was declined. The bill is still waiting for payment.")


class PaymentGatewayError(PassportsError):
    code = "payment_gateway_error"

    def message(self) -> str:
        return _("The payment service could not be reached. Nothing was charged; try again later.")


class RefundDeclined(PassportsError):
    """The gateway refused the refund: nothing was refunded, the bill is paid again and may be refunded later."""

    code = "refund_declined"

    def message(self) -> str:
        return _("The payment service refused the refund. The bill is still paid; try again later.")
