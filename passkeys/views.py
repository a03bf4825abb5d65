"""Passkeys on the pages: adding one from the profile (after an SMS code), naming, removing;
signing in with one alone, or instead of the SMS code after the password.

The browser's part (navigator.credentials) is static/js/passkeys.js: it asks for options and
posts the answer as JSON with the CSRF token; the challenge stays in the server-side session.
"""

import json
import uuid

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from absher.middleware import remember_language
from absher.request_info import client_address
from accounts import services as accounts_services
from accounts.exceptions import AccountError, LoginBlocked, OtpSendRefused
from accounts.middleware import mark_session_start
from accounts.models import AccountState, OtpPurpose, User
from accounts.views import JUST_REGISTERED, LOGIN, CodeStepView, ResendView

from . import rules, services
from .exceptions import PasskeyError, PasskeyExpired, PasskeyNotVerified
from .forms import PasskeyNameForm
from .models import Passkey

#: The SMS-code step of adding a passkey: {"user_id", "challenge", "verified"}.
PASSKEY_ADD = "absher_passkey_add"
#: The WebAuthn challenge waiting for its answer: {"purpose", "challenge", "at", "user_id"}.
CEREMONY = "absher_passkey_ceremony"
REGISTER = "register"


def _profile_url() -> str:
    return reverse("accounts:profile") + "#passkeys"


# --- the JSON exchanges with passkeys.js --------------------------------------------------------


def _error(exc: AccountError) -> JsonResponse:
    status = 429 if isinstance(exc, LoginBlocked) else 400
    return JsonResponse({"error": {"code": exc.code, "message": exc.message()}}, status=status)


def _body(request) -> dict:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise PasskeyError() from None
    if not isinstance(data, dict):
        raise PasskeyError()
    return data


def _ceremony_start(request, purpose: str, challenge: str, user_id: int | None = None) -> None:
    request.session[CEREMONY] = {
        "purpose": purpose, "challenge": challenge, "at": timezone.now().timestamp(), "user_id": user_id,
    }


def _ceremony_take(request, purpose: str) -> dict:
    """The waiting challenge of `purpose`, used up (an answer is judged once)."""
    data = request.session.pop(CEREMONY, None)
    age = timezone.now().timestamp() - data["at"] if data else None
    if not data or data.get("purpose") != purpose or age < 0 or age > services.CEREMONY_LIFETIME.total_seconds():
        raise PasskeyExpired()
    return data


def json_view(view):
    """POST only; an AccountError becomes {"error": {code, message}} (400, or 429 when locked)."""

    @require_POST
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except AccountError as exc:
            return _error(exc)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _safe_next(request, target: str) -> str:
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("home")


def _start_session(request, user: User, target: str) -> JsonResponse:
    request.absher_signed_in_with = "passkey"  # devices.signals records the device so
    login(request, user)  # rotates the session key
    mark_session_start(request)
    response = JsonResponse({"redirect": target})
    remember_language(response, user.preferred_language)
    return response


# --- adding a passkey: the SMS code, the browser, the name ----------------------------------------


def _add_flow(request) -> dict | None:
    data = request.session.get(PASSKEY_ADD)
    if data and data.get("user_id") == request.user.pk:
        return data
    return None


@login_required
def add(request):
    """What a passkey is, and a code by SMS to start."""
    if request.method == "POST":
        try:
            challenge = accounts_services.otp_challenge_start(
                user=request.user, purpose=OtpPurpose.PASSKEY_ADD, client_address=client_address(request)
            )
        except OtpSendRefused as exc:
            messages.error(request, exc.message())
        else:
            request.session[PASSKEY_ADD] = {"user_id": request.user.pk, "challenge": str(challenge), "verified": False}
            return redirect("passkeys:add-code")
    count = request.user.passkeys.count()
    return render(
        request, "passkeys/add_start.html", {"at_limit": count >= rules.MAX_PER_ACCOUNT, "limit": rules.MAX_PER_ACCOUNT}
    )


@method_decorator(login_required, name="dispatch")
class AddCodeView(CodeStepView):
    session_key = PASSKEY_ADD
    purpose = OtpPurpose.PASSKEY_ADD
    title = gettext_lazy("Add a passkey: the code")
    resend_url = "passkeys:add-resend"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and _add_flow(request) is None:
            return redirect("passkeys:add")
        return super().dispatch(request, *args, **kwargs)

    def complete(self, request, data, user, code):
        accounts_services.otp_challenge_verify(
            user_id=request.user.pk, purpose=OtpPurpose.PASSKEY_ADD, challenge=data["challenge"], code=code,
            client_address=client_address(request),
        )
        request.session[PASSKEY_ADD] = {**data, "verified": True}
        return redirect("passkeys:add-create")


@method_decorator(login_required, name="dispatch")
class AddResendView(ResendView):
    session_key = PASSKEY_ADD
    purpose = OtpPurpose.PASSKEY_ADD
    back_url = "passkeys:add-code"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and _add_flow(request) is None:
            return redirect("passkeys:add")
        return super().dispatch(request, *args, **kwargs)


@login_required
def add_create(request):
    """The button that asks the browser to make the passkey (the code was confirmed)."""
    data = _add_flow(request)
    if data is None or not data.get("verified"):
        return redirect("passkeys:add")
    return render(request, "passkeys/add_create.html")


@login_required
@json_view
def add_options(request):
    data = _add_flow(request)
    if data is None or not data.get("verified"):
        raise PasskeyNotVerified()
    options, challenge = services.registration_options(user=request.user)
    _ceremony_start(request, REGISTER, challenge, request.user.pk)
    return JsonResponse({"publicKey": options})


@login_required
@json_view
def add_finish(request):
    data = _add_flow(request)
    if data is None or not data.get("verified"):
        raise PasskeyNotVerified()
    ceremony = _ceremony_take(request, REGISTER)
    body = _body(request)
    passkey = services.passkey_register(
        user=request.user, credential=body.get("credential"), challenge=ceremony["challenge"],
        code_challenge=uuid.UUID(data["challenge"]),
        name=rules.default_name(request.META.get("HTTP_USER_AGENT", ""), _("Passkey")),
        client_address=client_address(request),
    )
    request.session.pop(PASSKEY_ADD, None)
    messages.success(request, _("Your passkey is added. Give it a name you will recognise."))
    return JsonResponse({"redirect": reverse("passkeys:rename", args=[passkey.pk]) + "?new=1"})


def _own_passkey(request, pk: int) -> Passkey:
    passkey = Passkey.objects.filter(pk=pk, user=request.user).first()
    if passkey is None:
        raise Http404()
    return passkey


@login_required
def rename(request, pk: int):
    passkey = _own_passkey(request, pk)
    form = PasskeyNameForm(request.POST or None, initial={"name": passkey.name})
    if request.method == "POST" and form.is_valid():
        services.passkey_rename(user=request.user, passkey_id=passkey.pk, name=form.cleaned_data["name"])
        messages.success(request, _("The passkey is saved."))
        return redirect(_profile_url())
    return render(
        request, "passkeys/rename.html", {"form": form, "passkey": passkey, "new": request.GET.get("new") == "1"}
    )


@login_required
def remove(request, pk: int):
    passkey = _own_passkey(request, pk)
    if request.method == "POST":
        services.passkey_remove(user=request.user, passkey_id=passkey.pk, client_address=client_address(request))
        messages.success(request, _("The passkey “%(name)s” is removed from your account.") % {"name": passkey.name})
        return redirect(_profile_url())
    return render(request, "passkeys/remove.html", {"passkey": passkey})


# --- signing in -----------------------------------------------------------------------------------


@json_view
def sign_in_options(request):
    """Options for any passkey of this site on the device (no username)."""
    options, challenge = services.authentication_options()
    _ceremony_start(request, services.SIGN_IN, challenge)
    return JsonResponse({"publicKey": options})


@json_view
def sign_in(request):
    """The passkey alone: phishing-resistant, no password and no SMS code."""
    ceremony = _ceremony_take(request, services.SIGN_IN)
    body = _body(request)
    user = services.passkey_authenticate(
        credential=body.get("credential"), challenge=ceremony["challenge"], client_address=client_address(request),
        purpose=services.SIGN_IN,
    )
    request.session.pop(LOGIN, None)
    next_url = body.get("next") if isinstance(body.get("next"), str) else ""
    return _start_session(request, user, _safe_next(request, next_url))


def _login_flow(request) -> tuple[dict, int] | tuple[None, None]:
    data = request.session.get(LOGIN)
    if not data or not isinstance(data.get("user_id"), int):
        return None, None
    return data, data["user_id"]


@json_view
def second_step_options(request):
    """Instead of the SMS code, one of the account's own passkeys (the password was right)."""
    data, user_id = _login_flow(request)
    user = User.objects.filter(pk=user_id).first() if data else None
    if user is None:
        raise PasskeyExpired()
    options, challenge = services.authentication_options(user=user)
    _ceremony_start(request, services.SECOND_STEP, challenge, user.pk)
    return JsonResponse({"publicKey": options})


@json_view
def second_step(request):
    data, user_id = _login_flow(request)
    ceremony = _ceremony_take(request, services.SECOND_STEP)
    if data is None or ceremony.get("user_id") != user_id:
        raise PasskeyExpired()
    body = _body(request)
    user = services.passkey_authenticate(
        credential=body.get("credential"), challenge=ceremony["challenge"], client_address=client_address(request),
        purpose=services.SECOND_STEP, user_id=user_id,
    )
    del request.session[LOGIN]
    target = _safe_next(request, data.get("next") or "")
    just_registered = request.session.pop(JUST_REGISTERED, None) == user.pk
    if just_registered and not data.get("next") and user.state == AccountState.REGISTERED:
        target = reverse("accounts:welcome")
    return _start_session(request, user, target)
