"""Shared pieces of the OpenAPI schema: the one error shape, and the errors a route documents."""

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

_FieldError = inline_serializer(
    name="FieldError", fields={"code": serializers.CharField(), "message": serializers.CharField()}
)
ErrorBody = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorDetail",
            fields={
                "code": serializers.CharField(help_text="The reason code, as on the pages: otp_wrong, locked, not_found..."),
                "message": serializers.CharField(help_text="What to tell the citizen, in the Accept-Language."),
                "fields": serializers.DictField(
                    child=serializers.ListField(child=_FieldError), required=False,
                    help_text="A form's field errors: {field: [{code, message}]}.",
                ),
            },
        )
    },
)

_DESCRIPTIONS = {
    400: "The request was refused: the reason code says why.",
    401: "No access token, or it expired or was revoked: refresh it or sign in again.",
    403: "The account may not do this (not activated, not the parent...).",
    404: "No such object for this account.",
    409: "The object moved on (already paid, already decided).",
    413: "The upload is too large.",
    415: "The body is of a type this route does not take (JSON, or multipart where it takes files).",
    429: "Too many tries: wait (Retry-After) and try again.",
}


def ERRORS(*statuses: int) -> dict:  # noqa: N802 - reads as a constant in extend_schema(responses=...)
    """{status: the Error response} for extend_schema's responses."""
    return {code: OpenApiResponse(ErrorBody, description=_DESCRIPTIONS.get(code, "")) for code in statuses}


def _error_response(code: int) -> dict:
    return {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        "description": _DESCRIPTIONS.get(code, ""),
    }


def document_common_errors(result, generator, request, public):
    """drf-spectacular's postprocessing hook: what DRF itself answers on any route, documented
    once here rather than on each view — 415 (a body of a type the route does not take) on every
    route with a body, and 404 (a page past the end) on every paginated list."""
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            if "requestBody" in operation:
                responses.setdefault("415", _error_response(415))
            if method == "get" and any(p.get("name") == "page" for p in operation.get("parameters", [])):
                responses.setdefault("404", _error_response(404))
    return result
