"""The client's address, as the audit trail and the rate limits count it."""

import ipaddress

from django.conf import settings


def _address(value: str) -> str | None:
    """`value` as an IP address, or None when it is not one (junk a client wrote in a header)."""
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_address(request) -> str:
    # Behind N trusted proxies the client is the N-th address from the right of
    # X-Forwarded-For; anything to its left was written by the client and is not trusted.
    # A value there that is not an address (the proxy passed on junk) falls back to the peer.
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if len(forwarded) >= proxies:
            address = _address(forwarded[-proxies])
            if address is not None:
                return address
    return request.META.get("REMOTE_ADDR", "")
