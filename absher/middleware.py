import re
import secrets

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import trans_real

# What Django answers with a 4xx page (404, 403, 400): the visitor's mistake, not the portal's.
CLIENT_ERRORS = (Http404, PermissionDenied, BadRequest, SuspiciousOperation, MultiPartParserError)


class LanguageMiddleware:
    """Arabic unless the visitor chose English with the switcher (a cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language; the portal is
    Arabic first whatever the browser says, and remembers an explicit choice.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        if request.path_info.startswith("/api/"):
            # The mobile app says its language in Accept-Language (Arabic when it names neither).
            language = self.accepted(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
            translation.activate(language)
            request.LANGUAGE_CODE = language
            response = self.get_response(request)
            patch_vary_headers(response, ("Accept-Language",))
            response.headers.setdefault("Content-Language", language)
            return response
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


    def accepted(self, header: str) -> str:
        """The supported language the header prefers most ("en-GB,en;q=0.9,ar;q=0.8" -> "en")."""
        for code, _quality in trans_real.parse_accept_lang_header(header[:255]):
            base = code.split("-")[0].lower()
            if base in self.supported:
                return base
        return settings.LANGUAGE_CODE


def remember_language(response, language: str) -> None:
    """The switcher's cookie: the language a visitor chose, kept for a year."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=True,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


# The start of a request id that can serve as a reference read out on the phone: eight hex digits.
HEX8 = re.compile(r"[0-9A-Fa-f]{8}")


def error_reference(request) -> str:
    """The reference number of the server error this request met (made on first use).

    The 500 page shows it, and the one ERROR record of the error carries it
    (`absher.logging.RequestOutcomeHandler`): an operator finds the traceback from what the
    citizen reads out on the phone. It is the first eight characters of the request's id
    (absher.request_id), in capitals, when those are hex digits (the portal's own ids and
    nginx's always are): `grep -i` of the reference then finds every line of the request, not
    only the error's. A proxy's id of another shape gets a random reference, as before ids.
    """
    reference = getattr(request, "error_reference", "")
    if not reference:
        start = (getattr(request, "request_id", "") or "")[:8]
        reference = start.upper() if HEX8.fullmatch(start) else secrets.token_hex(4).upper()
        request.error_reference = reference
    return reference


class ErrorReferenceMiddleware:
    """Gives a view's unhandled error its reference number as soon as it is raised.

    Only server errors get one: a 404, 403 or 400 is an answer, not an error. Nothing is logged
    here: Django logs the error once (`django.request`), with the reference added to the record.
    An error raised outside the views (in a middleware) gets its reference from the 500 page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, CLIENT_ERRORS):
            error_reference(request)
        return None
