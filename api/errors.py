"""Every error of the API has one shape (documented as the `Error` component of the schema):

    {"error": {"code": "otp_wrong", "message": "<translated, in the Accept-Language>",
               "fields": {"code": [{"code": "invalid", "message": "..."}]}}}

`code` is the reason code the pages use (the service's exception `code`), so an app can act on it;
`message` is what the pages would show; `fields` only for a form's field errors.
"""

import math

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from accounts.exceptions import AccountError, LoginBlocked, OtpSendRefused

#: Domain exceptions of the services and the HTTP status each answers with. The first match wins:
#: list subclasses before their bases. An exception gives its reason as `code` and its text as
#: `message()` (or `message`, or str()).
DOMAIN_ERRORS: list[tuple[type[Exception], int]] = [
    (LoginBlocked, status.HTTP_429_TOO_MANY_REQUESTS),
    (OtpSendRefused, status.HTTP_429_TOO_MANY_REQUESTS),
    (AccountError, status.HTTP_400_BAD_REQUEST),
]


def register(exception_class: type[Exception], http_status: int) -> None:
    """Another app's domain errors (passports, civil affairs) as API errors, before the bases."""
    DOMAIN_ERRORS.insert(0, (exception_class, http_status))


class ApiError(exceptions.APIException):
    """An error an API view raises itself: `ApiError("token_reused", _("..."), 401)`."""

    def __init__(self, code: str, message: str, http_status: int = status.HTTP_400_BAD_REQUEST):
        super().__init__(detail=message, code=code)
        self.status_code = http_status
        self.reason = code


def _text(exc) -> str:
    message = getattr(exc, "message", None)
    if callable(message):
        return str(message())
    if message:
        return str(message)
    return str(exc) or _("Something went wrong. Try again.")


def body(code: str, message: str, fields: dict | None = None) -> dict:
    error = {"code": code, "message": str(message)}
    if fields:
        error["fields"] = fields
    return {"error": error}


def _field_errors(detail) -> dict:
    """DRF's nested error details as {"field": [{"code", "message"}]} (nested fields dotted)."""
    out: dict[str, list] = {}

    def walk(prefix, value):
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), item)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, (dict, list)):
                    walk(prefix, item)
                else:
                    out.setdefault(prefix or "non_field_errors", []).append(
                        {"code": getattr(item, "code", "invalid"), "message": str(item)}
                    )
        else:
            out.setdefault(prefix or "non_field_errors", []).append(
                {"code": getattr(value, "code", "invalid"), "message": str(value)}
            )

    walk("", detail)
    return out


def _retry_after(moment) -> dict:
    """Retry-After (whole seconds, at least 1) for a refusal that ends at `moment` (a lockout, a code cap)."""
    if moment is None:
        return {}
    from django.utils import timezone

    return {"Retry-After": str(max(1, math.ceil((moment - timezone.now()).total_seconds())))}


_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "token_invalid",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ParseError: "parse_error",
}


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(_("You may not do this."))

    if isinstance(exc, ApiError):
        set_rollback()
        return Response(body(exc.reason, exc.detail), status=exc.status_code)
    if isinstance(exc, serializers.ValidationError):
        set_rollback()
        fields = _field_errors(exc.detail)
        return Response(body("invalid", _("Check the marked fields."), fields), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, exceptions.APIException):
        set_rollback()
        code = next((c for cls, c in _CODES.items() if isinstance(exc, cls)), "error")
        headers = {}
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            headers["WWW-Authenticate"] = 'Bearer realm="api"'
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        detail = exc.detail if isinstance(exc.detail, str) else _("Something went wrong. Try again.")
        return Response(body(code, detail), status=exc.status_code, headers=headers)
    if isinstance(exc, (RequestDataTooBig, TooManyFieldsSent)):
        # Django's caps on what a request may carry (DATA_UPLOAD_MAX_*): the error shape, not a bare page.
        return Response(body("too_large", _("What you sent is too large.")), status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, SuspiciousOperation):
        return Response(body("bad_request", _("Something went wrong. Try again.")), status=status.HTTP_400_BAD_REQUEST)
    for cls, http_status in DOMAIN_ERRORS:
        if isinstance(exc, cls):
            set_rollback()
            headers = {}
            if http_status == status.HTTP_429_TOO_MANY_REQUESTS:
                headers = _retry_after(getattr(exc, "until", None) or getattr(exc, "retry_at", None))
            return Response(body(getattr(exc, "code", "error") or "error", _text(exc)), status=http_status, headers=headers)
    return None  # a bug: Django's 500 handler answers (and Sentry hears of it)
