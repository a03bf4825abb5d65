class BasePaymentBackend:
    """A payment gateway. A real one (SADAD through a bank's gateway) implements these four.

    It must also send the portal a signed notification of every payment (the view
    `passports:payment-notification`, see passports.payments.signing), since a payer may close the
    tab before the browser comes back.
    """

    #: True only for the simulated backend: its pay-or-decline page is served by the portal.
    simulated = False

    def start(self, *, bill, request) -> str:  # pragma: no cover - interface
        """Where to send the payer to pay `bill` (a URL); the gateway brings them back to the return view."""
        raise NotImplementedError

    def verify(self, *, bill, request):  # pragma: no cover - interface
        """A PaymentStatus from what the gateway sent back to the return view (check its signature here)."""
        raise NotImplementedError

    def status(self, *, bill_number: str):  # pragma: no cover - interface
        """What the gateway knows of this bill (a PaymentStatus), for reconciliation; raise
        PaymentGatewayError when it cannot be asked."""
        raise NotImplementedError

    def refund(self, *, bill, idempotency_key: str) -> str:  # pragma: no cover - interface
        """Refund a paid bill; return the gateway's refund reference.

        The same idempotency key twice refunds once (the second call answers the first refund's
        reference). Raise RefundDeclined when the gateway refuses (nothing was refunded) and
        PaymentGatewayError when the outcome is unknown (a timeout): the caller repeats the call
        with the same key.
        """
        raise NotImplementedError
