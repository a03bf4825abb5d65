"""The client's address, as the audit trail and the rate limits count it."""

from django.conf import settings


def client_address(request) -> str:
    # Behind N trusted proxies the client is the N-th address from the right of
    # X-Forwarded-For; anything to its left was written by the client and is not trusted.
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")
