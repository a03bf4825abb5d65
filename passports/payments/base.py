class BasePaymentBackend:
    """A payment gateway. A real one (SADAD through a bank's gateway) implements these three."""

    #: True only for the simulated backend: its pay-or-decline page is served by the portal.
    simulated = False

    def start(self, *, bill, request) -> str:  # pragma: no cover - interface
        """Where to send the payer to pay `bill` (a URL); the gateway brings them back to the return view."""
        raise NotImplementedError

    def verify(self, *, bill, request):  # pragma: no cover - interface
        """A PaymentOutcome from what the gateway sent back to the return view (check its signature here)."""
        raise NotImplementedError

    def refund(self, *, bill) -> str:  # pragma: no cover - interface
        """Refund a paid bill; return the gateway's refund reference or raise PaymentGatewayError."""
        raise NotImplementedError
