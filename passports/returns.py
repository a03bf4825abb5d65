"""Where a detour brings the citizen back (pay a fine, then back to the renewal): a `next` path that
is only ever one of the portal's own pages, never another site (an open redirect)."""

from urllib.parse import urlsplit

from django.urls import Resolver404, resolve
from django.utils.http import url_has_allowed_host_and_scheme

#: The session key that keeps, for a bill, the page to go back to once it is paid.
SESSION_KEY = "passports_return_to"


def safe_return_path(value: str | None, *, host: str, secure: bool) -> str | None:
    """`value` if it is a path of this portal ("/passports/people/…/iqama/"), else None."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    if not url_has_allowed_host_and_scheme(value, allowed_hosts={host}, require_https=secure):
        return None
    try:
        resolve(parts.path)
    except Resolver404:
        return None
    return value


def remember(session, *, bill_number: str, path: str) -> None:
    returns = dict(session.get(SESSION_KEY) or {})
    returns[bill_number] = path
    session[SESSION_KEY] = returns


def take(session, *, bill_number: str) -> str | None:
    returns = dict(session.get(SESSION_KEY) or {})
    path = returns.pop(bill_number, None)
    if path is not None:
        session[SESSION_KEY] = returns
    return path
