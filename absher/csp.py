"""django-csp's middleware, with the policy header built once per policy instead of on every response.

csp.middleware.CSPMiddleware builds the Content-Security-Policy header from the settings on every
response (and looks for a report-only policy too): about thirty directives merged, copied and
joined, each time to the same text. The portal's policy has no nonce (no inline script: base.py
says so) and no view changes it with django-csp's decorators, so the header is the same text for
every response: it is built once, by django-csp's own build_policy, and kept. A response a
decorator changed (`_csp_config`, `_csp_update`, `_csp_replace`) or a request that used a nonce
gets its header built as django-csp builds it. A change of the settings (tests' override_settings)
empties what was kept.
"""

import http.client

from csp import middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed

_SETTINGS = {False: "CONTENT_SECURITY_POLICY", True: "CONTENT_SECURITY_POLICY_REPORT_ONLY"}
_HEADERS = {False: HEADER, True: HEADER_REPORT_ONLY}
_EXEMPT = {False: "_csp_exempt", True: "_csp_exempt_ro"}
_DEBUG_EXEMPT = (http.client.INTERNAL_SERVER_ERROR, http.client.NOT_FOUND)

#: report_only -> (the header's text, its excluded path prefixes), built from the settings.
_built: dict[bool, tuple[str, tuple[str, ...]]] = {}


def _forget(**kwargs):
    if kwargs.get("setting") in _SETTINGS.values():
        _built.clear()


setting_changed.connect(_forget)


def _settings_policy(report_only: bool) -> tuple[str, tuple[str, ...]]:
    built = _built.get(report_only)
    if built is None:
        policy = getattr(settings, _SETTINGS[report_only], None) or {}
        prefixes = tuple(policy.get("EXCLUDE_URL_PREFIXES", None) or ())
        built = _built[report_only] = (build_policy(report_only=report_only), prefixes)
    return built


class CSPMiddleware(middleware.CSPMiddleware):
    """django-csp's CSPMiddleware (same headers, same nonce), the settings' policy built once."""

    def process_response(self, request, response):
        if response.status_code in _DEBUG_EXEMPT and settings.DEBUG:
            return response
        for report_only in (False, True):
            parts = self.get_policy_parts(request=request, response=response, report_only=report_only)
            header, prefixes = _settings_policy(report_only)
            if parts.config is not None or parts.update is not None or parts.replace is not None or parts.nonce:
                header = build_policy(config=parts.config, update=parts.update, replace=parts.replace,
                                      nonce=parts.nonce, report_only=report_only)
            if (
                header
                and _HEADERS[report_only] not in response
                and getattr(response, _EXEMPT[report_only], False) is False
                and not request.path_info.startswith(prefixes)
            ):
                response[_HEADERS[report_only]] = header
        # As django-csp does: a nonce asked for after the header was written is an error, not a silent gap.
        if getattr(request, "_csp_nonce", None) is None:
            request.csp_nonce = middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response
