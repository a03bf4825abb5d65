"""Delivery receipts from the SMS gateway: Twilio's StatusCallback.

Accepted only with a valid `X-Twilio-Signature` (the SDK's RequestValidator, keyed with the auth
token, over the URL Twilio called and the posted fields); anything unsigned or badly signed is
refused with 403 and changes nothing. A receipt is applied at most once (delivery.receipt_record),
so a replayed one changes nothing either. The URL names the outbox row (`?message=<id>`), inside
the signed URL, so that a receipt finds its row even when the worker died before recording the
gateway's reference.
"""

import logging

from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import delivery

logger = logging.getLogger(__name__)


def _called_url(request) -> str:
    """The URL Twilio signed: our public origin (behind the proxy) and the path with its query."""
    base = (getattr(settings, "NOTIFY_CALLBACK_BASE_URL", "") or "").rstrip("/")
    return f"{base}{request.get_full_path()}" if base else request.build_absolute_uri()


def signature_valid(request) -> bool:
    from twilio.request_validator import RequestValidator

    signature = request.headers.get("X-Twilio-Signature", "")
    token = getattr(settings, "TWILIO_AUTH_TOKEN", "") or ""
    if not signature or not token:
        return False
    return RequestValidator(token).validate(_called_url(request), request.POST, signature)


@csrf_exempt  # Twilio cannot hold a CSRF token: its signature is the check
@require_POST
def twilio_status(request):
    if not signature_valid(request):
        logger.warning("SMS receipt refused: missing or invalid signature")
        return HttpResponseForbidden()
    message_id = request.GET.get("message", "")
    if not (message_id.isascii() and message_id.isdigit() and len(message_id) <= 18):
        return HttpResponse(status=204)  # signed, but not about an outbox row of ours: nothing to do
    changed = delivery.receipt_record(
        message_id=int(message_id),
        provider_reference=request.POST.get("MessageSid", ""),
        provider_status=request.POST.get("MessageStatus", ""),
        error_code=request.POST.get("ErrorCode", ""),
    )
    logger.info("SMS receipt for message %s: %s (%s)", message_id, request.POST.get("MessageStatus", "")[:30],
                "recorded" if changed else "nothing to change")
    return HttpResponse(status=204)
