import logging
import secrets

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers

logger = logging.getLogger("absher.errors")


class LanguageMiddleware:
    """Arabic unless the visitor chose English with the switcher (a cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language; the portal is
    Arabic first whatever the browser says, and remembers an explicit choice.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


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


class ErrorReferenceMiddleware:
    """Gives every unhandled error a reference number the 500 page shows and the log keeps."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        request.error_reference = secrets.token_hex(4).upper()
        logger.error("error reference %s on %s", request.error_reference, request.path, exc_info=exception)
        return None
