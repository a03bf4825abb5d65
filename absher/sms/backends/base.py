class BaseSmsBackend:
    """A backend delivers one message or raises absher.sms.SmsDeliveryError."""

    def send(self, message) -> None:  # pragma: no cover - interface
        raise NotImplementedError
