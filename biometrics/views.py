"""The public centres page and the kiosk operators' pages (provisioning, state, stuck sessions)."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from absher.request_info import client_address

from . import flows, selectors, services
from .credentials import credential_set
from .forms import CentreRegionForm, OutOfServiceForm, ProvisionForm
from .models import Kiosk, KioskFlow, Region


def centre_list(request):
    """Activation and registration centres: choose a region, see its centres, whether a kiosk there
    can be used, their hours, phone and place on a map."""
    form = CentreRegionForm(request.GET or None)
    region = form.cleaned_data["region"] if form.is_valid() else ""
    language = "ar" if (get_language() or "ar").startswith("ar") else "en"
    centres = selectors.centres_in_region(region, language=language) if region else []
    return render(
        request,
        "biometrics/centre_list.html",
        {
            "form": form,
            "region": region,
            "region_label": Region(region).label if region else "",
            "regions": selectors.regions_with_kiosks(),
            "centres": centres,
        },
    )


def operator_required(view):
    """A signed-in staff member of the kiosk operators' group (or a superuser)."""

    @login_required
    @never_cache
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not selectors.is_kiosk_operator(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@operator_required
def kiosk_provision(request):
    """Bind this device to a kiosk: it gets its own credential, and the operator is signed out of it."""
    form = ProvisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        kiosk = services.kiosk_provision(kiosk=form.cleaned_data["kiosk"], actor=request.user, client_address=client_address(request))
        # The device now serves citizens: no staff session stays on it.
        logout(request)
        response = redirect("biometrics:kiosk-start")
        credential_set(response, kiosk)
        return response
    return render(request, "biometrics/kiosk_provision.html", {"form": form})


@operator_required
def operator_kiosks(request):
    now = timezone.now()
    active = {flow.kiosk_id: flow for flow in KioskFlow.objects.all()}
    rows = []
    for kiosk in Kiosk.objects.select_related("provisioned_by").order_by("region", "serial"):
        flow = active.get(kiosk.pk)
        if flow is not None and (now - flow.touched_at >= flows.idle_timeout() or flow.device_id != kiosk.device_id):
            flow = None  # idle: it ends at the kiosk's next request
        rows.append({
            "kiosk": kiosk,
            "status": kiosk.status(now),
            "step": flow.data.get("step", "") if flow else "",
            "idle_seconds": int((now - flow.touched_at).total_seconds()) if flow else None,
            "form": OutOfServiceForm(prefix=f"k{kiosk.pk}"),
        })
    return render(request, "biometrics/operator_kiosks.html", {"rows": rows})


@require_POST
@operator_required
def operator_session_end(request, pk):
    kiosk = get_object_or_404(Kiosk, pk=pk)
    if services.kiosk_session_end(kiosk=kiosk, actor=request.user, client_address=client_address(request)):
        messages.success(request, _("The session on kiosk %(serial)s was ended.") % {"serial": kiosk.serial})
    else:
        messages.info(request, _("Kiosk %(serial)s had no session in progress.") % {"serial": kiosk.serial})
    return redirect("biometrics:operator-kiosks")


@require_POST
@operator_required
def operator_service(request, pk):
    kiosk = get_object_or_404(Kiosk, pk=pk)
    if request.POST.get("in_service") == "1":
        services.kiosk_service_set(kiosk=kiosk, in_service=True, actor=request.user, client_address=client_address(request))
        messages.success(request, _("Kiosk %(serial)s is back in service.") % {"serial": kiosk.serial})
        return redirect("biometrics:operator-kiosks")
    form = OutOfServiceForm(request.POST, prefix=f"k{kiosk.pk}")
    if form.is_valid():
        services.kiosk_service_set(
            kiosk=kiosk, in_service=False, actor=request.user, reason=form.cleaned_data["reason"],
            client_address=client_address(request),
        )
        messages.success(request, _("Kiosk %(serial)s is out of service.") % {"serial": kiosk.serial})
    else:
        messages.error(request, _("Say why the kiosk is out of service."))
    return redirect("biometrics:operator-kiosks")
