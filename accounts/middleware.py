from datetime import UTC, datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.utils import timezone
from django.utils.translation import gettext as _

from absher.request_info import client_address
from devices.services import web_session_alive
from devices.signals import SESSION_DEVICE, set_device_cookie

SESSION_STARTED = "absher_auth_at"
SESSION_SEEN = "absher_seen_at"
# Writing the session costs a write to Redis and to the database (the cached_db engine): the last
# request is noted at most once a minute a session, in whole seconds. The idle timeout is then
# measured from a moment up to 59 seconds before the last request: a session left idle ends
# within the minute before its 15 minutes, never after them.
TOUCH_EVERY_SECONDS = 60


def mark_session_start(request) -> None:
    now = timezone.now().timestamp()
    request.session[SESSION_STARTED] = now
    request.session[SESSION_SEEN] = int(now)


class SessionTimeoutMiddleware:
    """Ends a signed-in session after 15 minutes idle or 12 hours in all (ASVS 3.3)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = timezone.now().timestamp()
            started = request.session.get(SESSION_STARTED, now)
            seen = request.session.get(SESSION_SEEN, now)
            idle = settings.SESSION_IDLE_TIMEOUT.total_seconds()
            absolute = settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds()
            touch = now - seen >= TOUCH_EVERY_SECONDS or SESSION_STARTED not in request.session
            if now - seen >= idle or now - started >= absolute:
                request.absher_device_ending = "expired"
                logout(request)
                messages.info(request, _("Your session ended for your security. Sign in again."))
            elif not _device_alive(request, touch):
                # Ended from the sessions page (devices/) of another session, or "it wasn't me".
                request.absher_device_ending = "ended"
                logout(request)
                messages.info(request, _("This session was ended from your account's sessions page. Sign in again."))
            elif touch:
                request.session[SESSION_SEEN] = int(now)
                request.session.setdefault(SESSION_STARTED, now)
        response = self.get_response(request)
        set_device_cookie(request, response)
        return response


def _device_alive(request, touch: bool) -> bool:
    device_id = request.session.get(SESSION_DEVICE)
    if not device_id:
        return True  # a session from before devices were recorded
    return web_session_alive(device_id, check_database=touch, client_address=client_address(request) if touch else "")


def session_started_at(request) -> datetime | None:
    value = request.session.get(SESSION_STARTED)
    return datetime.fromtimestamp(value, tz=UTC) if value else None
