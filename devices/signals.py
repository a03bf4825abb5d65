"""A web sign-in (django.contrib.auth.login) records its device; signing out ends it."""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from absher.request_info import client_address

from . import rules, services
from .models import Device

#: The session's device (its id) and the browser's long-lived device cookie.
SESSION_DEVICE = "absher_device"
DEVICE_COOKIE = "absher_device"
DEVICE_COOKIE_AGE = 2 * 365 * 24 * 3600


@receiver(user_logged_in, dispatch_uid="devices.web_sign_in")
def web_sign_in(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    key = request.COOKIES.get(DEVICE_COOKIE, "")
    if not (20 <= len(key) <= 64):
        key = services.new_device_key()
        request.absher_set_device_cookie = key  # devices.middleware sets it on the response
    if request.session.session_key is None:
        request.session.save()
    # Signing in again in a session that kept its data (the same account): its former device ends.
    previous = request.session.get(SESSION_DEVICE)
    if previous:
        former = Device.objects.filter(pk=previous, user=user, ended_at__isnull=True).first()
        if former is not None:
            services.device_end(former, ending=Device.Ending.SIGNED_OUT, client_address=client_address(request))
    user_agent = request.META.get("HTTP_USER_AGENT", "")
    device = services.device_start(
        user=user,
        kind=Device.Kind.WEB,
        name=rules.browser_name(user_agent),
        user_agent=user_agent,
        device_key=key,
        session_key=request.session.session_key,
        client_address=client_address(request),
        signed_in_with=getattr(request, "absher_signed_in_with", "password_sms"),
    )
    request.session[SESSION_DEVICE] = device.pk


@receiver(user_logged_out, dispatch_uid="devices.web_sign_out")
def web_sign_out(sender, request, user, **kwargs):
    device_id = request.session.get(SESSION_DEVICE) if request is not None and hasattr(request, "session") else None
    if device_id and user is not None:
        device = Device.objects.filter(pk=device_id, user=user).first()
        if device is not None:
            ending = getattr(request, "absher_device_ending", Device.Ending.SIGNED_OUT)
            services.device_end(device, ending=ending, client_address=client_address(request))


def set_device_cookie(request, response) -> None:
    key = getattr(request, "absher_set_device_cookie", None)
    if key:
        response.set_cookie(
            DEVICE_COOKIE, key, max_age=DEVICE_COOKIE_AGE, httponly=True, samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )


def _account_closed(sender, user, **kwargs):
    from .models import Device as _Device

    services.devices_end_all(user, ending=_Device.Ending.ACCOUNT_CLOSED)
    _Device.objects.filter(user=user).delete()


def _connect_account_closed():
    from accounts.signals import account_closed

    account_closed.connect(_account_closed, dispatch_uid="devices.account_closed")


_connect_account_closed()
