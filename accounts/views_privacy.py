"""The citizen in control: take your data (a JSON file, a printable page) and close your account."""

import uuid

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_GET

from absher.request_info import client_address

from . import closure, export
from .exceptions import OtpSendRefused
from .models import OtpPurpose
from .views import CodeStepView, ResendView

#: The closing in progress: {"user_id": int, "challenge": str}.
CLOSE = "absher_account_close"
#: Set after the closing, for the goodbye page only (the session itself is new by then).
CLOSED = "absher_account_closed"


def _private(response):
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def data_page(request):
    return render(request, "accounts/data_page.html")


@login_required
@require_GET
def data_json(request):
    """The whole export as a file the browser saves (server-chosen name; never shown inline)."""
    data = export.personal_data(request.user, today=timezone.localdate())
    export.personal_data_downloaded(user=request.user, client_address=client_address(request), what="json")
    response = HttpResponse(export.personal_data_json(data), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.file_name(today=timezone.localdate())}"'
    return _private(response)


@login_required
@require_GET
def data_print(request):
    """The same data as a readable page, in the page's language, both calendars, ready to print."""
    data = export.personal_data_native(request.user, today=timezone.localdate(), language=get_language() or "ar")
    export.personal_data_downloaded(user=request.user, client_address=client_address(request), what="page")
    return _private(render(request, "accounts/data_print.html", {"data": data}))


@method_decorator(login_required, name="dispatch")
class CloseStartView(View):
    """What closing means, what stands in the way; the button sends the SMS code."""

    def get(self, request):
        return self._page(request)

    def post(self, request):
        if request.POST.get("understood") != "yes":
            return self._page(request, error=_("Tick the box to confirm that you understand what closing means."))
        try:
            challenge = closure.close_begin(user=request.user, client_address=client_address(request))
        except closure.AccountCloseRefused:
            return self._page(request)
        except OtpSendRefused as exc:
            return self._page(request, error=exc.message())
        request.session[CLOSE] = {"user_id": request.user.pk, "challenge": str(challenge)}
        return redirect("accounts:close-verify")

    def _page(self, request, *, error: str = ""):
        reasons = closure.close_check(request.user)
        context = {"refusals": [closure.refusal_text(reason) for reason in reasons], "error": error}
        return render(request, "accounts/close_start.html", context, status=200)


@method_decorator(login_required, name="dispatch")
class CloseVerifyView(CodeStepView):
    session_key = CLOSE
    purpose = OtpPurpose.ACCOUNT_CLOSE
    title = gettext_lazy("Close your account: the code")
    resend_url = "accounts:close-resend"

    def dispatch(self, request, *args, **kwargs):
        data = request.session.get(CLOSE)
        if data and data.get("user_id") != request.user.pk:
            request.session.pop(CLOSE, None)
        return super().dispatch(request, *args, **kwargs)

    def complete(self, request, data, user, code):
        closure.close_complete(
            user=request.user, challenge=uuid.UUID(data["challenge"]), code=code, client_address=client_address(request)
        )
        logout(request)  # a new, empty session
        request.session[CLOSED] = True
        return redirect("accounts:closed")


@method_decorator(login_required, name="dispatch")
class CloseResendView(ResendView):
    session_key = CLOSE
    purpose = OtpPurpose.ACCOUNT_CLOSE
    back_url = "accounts:close-verify"


def closed(request):
    """The goodbye page, once, right after the closing."""
    if not request.session.pop(CLOSED, False):
        return redirect("home")
    return render(request, "accounts/close_done.html")

