"""The sessions page: where the account is signed in, ending one or all others, and "it wasn't me"."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from absher.request_info import client_address
from accounts.rules import mask_mobile

from . import selectors, services
from .exceptions import DeviceIsCurrent, DeviceNotFound
from .models import Device
from .signals import SESSION_DEVICE


def _current_device_id(request) -> int | None:
    value = request.session.get(SESSION_DEVICE)
    return int(value) if value else None


@login_required
def device_list(request):
    rows = selectors.devices_of(request.user, current_device_id=_current_device_id(request))
    return render(
        request,
        "devices/device_list.html",
        {
            "rows": rows,
            "others": [row for row in rows if not row.current],
            "sign_ins": selectors.sign_ins_of(request.user),
        },
    )


@login_required
@require_POST
def device_end(request, device_id: int):
    try:
        device = services.device_end_own(
            user=request.user, device_id=device_id, current_device_id=_current_device_id(request),
            client_address=client_address(request),
        )
    except DeviceNotFound:
        raise Http404 from None
    except DeviceIsCurrent as exc:
        messages.error(request, exc.message())
    else:
        messages.success(
            request, _("The session “%(name)s” was ended: it is signed out.") % {"name": selectors.device_label(device)}
        )
    return redirect("devices:device-list")


@login_required
@require_POST
def devices_end_others(request):
    ended = services.devices_end_all(
        request.user, ending=Device.Ending.ENDED_BY_CITIZEN, keep=_current_device_id(request), actor=request.user,
        client_address=client_address(request),
    )
    if ended:
        messages.success(
            request,
            ngettext("%(count)d other session was ended.", "%(count)d other sessions were ended.", ended) % {"count": ended},
        )
    else:
        messages.info(request, _("No other session or device was signed in."))
    return redirect("devices:device-list")


@login_required
def not_me(request):
    """GET: what "it wasn't me" does; POST: it does it, and this browser is signed out too."""
    if request.method == "POST":
        device_id = _current_device_id(request)
        services.not_me(request.user, client_address=client_address(request), from_device=device_id)
        request.absher_device_ending = Device.Ending.NOT_ME
        logout(request)
        return redirect("devices:not-me-done")
    masked = format_html('<bdi dir="ltr">{}</bdi>', mask_mobile(request.user.mobile)) if request.user.mobile else ""
    return render(request, "devices/not_me_confirm.html", {"masked_mobile": masked})


def not_me_done(request):
    """After "it wasn't me": signed out everywhere; what to do next (no account is named here)."""
    return render(request, "devices/not_me_done.html")
