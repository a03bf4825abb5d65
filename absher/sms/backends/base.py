class BaseSmsBackend:
    """A backend hands one message to the gateway and returns the gateway's reference (or None),
    or raises absher.sms.SmsDeliveryError (try again later) or SmsRejected (never). A backend
    that talks to the network bounds every call with absher.sms.gateway_timeout()."""

    #: True when the gateway reports the delivery later (a signed receipt): the message then
    #: waits in `sent` until the receipt; otherwise acceptance counts as delivery.
    receipts = False

    def send(self, message) -> str | None:  # pragma: no cover - interface
        raise NotImplementedError
