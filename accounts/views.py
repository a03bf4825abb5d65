"""Thin views: bind a form, call one service, redirect; outcomes become messages on the form."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.http import require_POST

from absher.middleware import remember_language
from absher.notifications.models import MessageStatus
from absher.request_info import client_address

from . import selectors, services
from .exceptions import AccountError, OtpSendRefused, PhoneNotConfirmed, RegistrationRefused, RegistrationVoided
from .forms import (
    CodeForm,
    EmailChangeForm,
    LanguageForm,
    LoginForm,
    NewPasswordForm,
    PasswordChangeForm,
    PasswordResetStartForm,
    RegistrationForm,
)
from .middleware import mark_session_start
from .models import AccountState, OneTimeCode, OtpPurpose, User
from .rules import mask_mobile

# Session keys of the flows in progress: {"user_id": int, "challenge": str, ...}.
REGISTRATION = "absher_registration"
LOGIN = "absher_login"
RESET = "absher_reset"
PASSWORD_CHANGE = "absher_password_change"
# The account this browser has just registered (its id): its first sign-in lands on the next step.
JUST_REGISTERED = "absher_just_registered"


def _flow(request, key):
    data = request.session.get(key)
    if not data:
        return None, None
    user = User.objects.filter(pk=data["user_id"]).first()
    return (data, user) if user else (None, None)


def _safe_next(request, target):
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


# --- registration -----------------------------------------------------------------------


def register(request):
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = services.RegistrationData(
            national_id=form.cleaned_data["national_id"],
            mobile=form.cleaned_data["mobile"],
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password1"],
            email=form.cleaned_data["email"],
            language=form.cleaned_data["language"],
        )
        try:
            user, challenge = services.registration_start(data=data, client_address=client_address(request))
        except RegistrationRefused as exc:
            form.add_error("national_id", ValidationError(exc.message(), code=exc.code))
        except AccountError as exc:
            form.add_error(getattr(exc, "field", None), ValidationError(exc.message(), code=exc.code))
        else:
            request.session[REGISTRATION] = {"user_id": user.pk, "challenge": str(challenge)}
            return redirect("accounts:register-confirm")
    # A confirmed account that is not activated: its ID's owner claims it at a kiosk.
    claim_at_kiosk = form.has_error("national_id", "claim_at_kiosk")
    return render(request, "accounts/register.html", {"form": form, "claim_at_kiosk": claim_at_kiosk})


class CodeStepView(View):
    """One SMS-code step of a flow: shows where the code went, takes it, offers a new one."""

    session_key = ""
    purpose = ""
    title = ""
    resend_url = ""
    template_name = "accounts/code_verify.html"
    # (flow, step) of absher.steps shown above the page, or None.
    steps = None

    def complete(self, request, data, user, code):  # pragma: no cover - each step says
        raise NotImplementedError

    def render_step(self, request, data, user, form, status=200):
        code = selectors.code_latest(data["challenge"])
        context = {
            "form": form,
            "title": self.title,
            # Isolated so that the number reads left to right inside an Arabic sentence.
            "masked_mobile": format_html('<bdi dir="ltr">{}</bdi>', mask_mobile(user.mobile)),
            # The outbox's outcome: a code the gateway could not take within its lifetime has failed.
            "delivery_failed": code is not None and code.delivery == OneTimeCode.Delivery.FAILED,
            "delivery_late": code is not None and code.message is not None and code.message.status == MessageStatus.TEMPORARY_FAILURE,
            "no_code_yet": code is None,
            "resend_url": reverse(self.resend_url),
            "steps_flow": self.steps[0] if self.steps else "",
            "steps_current": self.steps[1] if self.steps else 0,
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        data, user = _flow(request, self.session_key)
        if data is None:
            return redirect("home")
        return self.render_step(request, data, user, CodeForm())

    def post(self, request):
        data, user = _flow(request, self.session_key)
        if data is None:
            return redirect("home")
        form = CodeForm(request.POST)
        if form.is_valid():
            try:
                return self.complete(request, data, user, form.cleaned_data["code"])
            except AccountError as exc:
                form.add_error("code", exc.message())
        return self.render_step(request, data, user, form)


class ResendView(View):
    session_key = ""
    purpose = ""
    back_url = ""

    def post(self, request):
        data, user = _flow(request, self.session_key)
        if data is None:
            return redirect("home")
        try:
            services.otp_resend(
                user=user, purpose=self.purpose, challenge=uuid.UUID(data["challenge"]), client_address=client_address(request)
            )
        except RegistrationVoided:
            return _registration_gone(request)
        except OtpSendRefused as exc:
            messages.error(request, exc.message())
        else:
            messages.success(request, _("A new code was sent to your mobile."))
        return redirect(self.back_url)


def _registration_gone(request):
    """The registration of this browser was voided (another was confirmed first) or expired."""
    request.session.pop(REGISTRATION, None)
    messages.error(request, RegistrationVoided().message())
    return redirect("accounts:register")


class RegistrationStepMixin:
    def dispatch(self, request, *args, **kwargs):
        if request.session.get(REGISTRATION) and _flow(request, REGISTRATION)[0] is None:
            return _registration_gone(request)
        return super().dispatch(request, *args, **kwargs)


class RegistrationConfirmView(RegistrationStepMixin, CodeStepView):
    session_key = REGISTRATION
    purpose = OtpPurpose.REGISTRATION
    title = gettext_lazy("Confirm your mobile number")
    resend_url = "accounts:register-resend"
    steps = ("registration", 2)

    def complete(self, request, data, user, code):
        try:
            services.registration_confirm(
                user_id=user.pk, challenge=data["challenge"], code=code, client_address=client_address(request)
            )
        except RegistrationVoided:
            return _registration_gone(request)
        del request.session[REGISTRATION]
        request.session[JUST_REGISTERED] = user.pk
        messages.success(request, _("Your mobile number is confirmed and your account is registered. Sign in now."))
        return redirect("accounts:login")


class RegistrationResendView(RegistrationStepMixin, ResendView):
    session_key = REGISTRATION
    purpose = OtpPurpose.REGISTRATION
    back_url = "accounts:register-confirm"


# --- signing in -------------------------------------------------------------------------


def login_view(request):
    form = LoginForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next", "")
    if request.method == "POST" and form.is_valid():
        try:
            challenge = services.login_begin(
                identifier=form.cleaned_data["identifier"],
                password=form.cleaned_data["password"],
                client_address=client_address(request),
            )
        except PhoneNotConfirmed as exc:
            request.session[REGISTRATION] = {"user_id": exc.user.pk, "challenge": str(uuid.uuid4())}
            messages.info(request, exc.message())
            return redirect("accounts:register-confirm")
        except AccountError as exc:
            form.add_error(None, exc.message())
        else:
            request.session[LOGIN] = {"user_id": challenge.user_id, "challenge": str(challenge.challenge), "next": next_url}
            return redirect("accounts:login-verify")
    return render(request, "accounts/login.html", {"form": form, "next": next_url})


class LoginVerifyView(CodeStepView):
    session_key = LOGIN
    purpose = OtpPurpose.LOGIN
    title = gettext_lazy("Sign-in code")
    resend_url = "accounts:login-resend"

    def complete(self, request, data, user, code):
        user = services.login_complete(
            user_id=user.pk, challenge=data["challenge"], code=code, client_address=client_address(request)
        )
        target = _safe_next(request, data.get("next"))
        just_registered = request.session.pop(JUST_REGISTERED, None) == user.pk
        if just_registered and not data.get("next") and user.state == AccountState.REGISTERED:
            target = reverse("accounts:welcome")  # signed in: what comes next is activation
        login(request, user)  # rotates the session key
        mark_session_start(request)
        response = HttpResponseRedirect(target)
        remember_language(response, user.preferred_language)
        return response


class LoginResendView(ResendView):
    session_key = LOGIN
    purpose = OtpPurpose.LOGIN
    back_url = "accounts:login-verify"


@require_POST
def logout_view(request):
    logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("home")


# --- forgotten password -----------------------------------------------------------------


def password_reset(request):
    form = PasswordResetStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            challenge = services.password_reset_begin(
                national_id=form.cleaned_data["national_id"],
                mobile=form.cleaned_data["mobile"],
                client_address=client_address(request),
            )
        except AccountError as exc:
            form.add_error(None, exc.message())
        else:
            request.session[RESET] = {"user_id": challenge.user_id, "challenge": str(challenge.challenge), "verified": False}
            return redirect("accounts:password-reset-verify")
    return render(request, "accounts/password_reset_start.html", {"form": form})


class PasswordResetVerifyView(CodeStepView):
    session_key = RESET
    purpose = OtpPurpose.PASSWORD_RESET
    title = gettext_lazy("Reset your password: the code")
    resend_url = "accounts:password-reset-resend"

    def complete(self, request, data, user, code):
        services.password_reset_verify(
            user_id=user.pk, challenge=data["challenge"], code=code, client_address=client_address(request)
        )
        request.session[RESET] = {**data, "verified": True}
        return redirect("accounts:password-reset-new")


class PasswordResetResendView(ResendView):
    session_key = RESET
    purpose = OtpPurpose.PASSWORD_RESET
    back_url = "accounts:password-reset-verify"


def password_reset_new(request):
    data, user = _flow(request, RESET)
    if data is None or not data.get("verified"):
        return redirect("accounts:password-reset")
    form = NewPasswordForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_reset_complete(
                user_id=user.pk,
                challenge=data["challenge"],
                new_password=form.cleaned_data["password1"],
                client_address=client_address(request),
            )
        except AccountError as exc:
            del request.session[RESET]
            messages.error(request, exc.message())
            return redirect("accounts:password-reset")
        del request.session[RESET]
        messages.success(request, _("Your password is changed. Sign in with the new password."))
        return redirect("accounts:login")
    return render(request, "accounts/password_reset_new.html", {"form": form})


# --- the account ------------------------------------------------------------------------


@login_required
def profile(request):
    user = User.objects.select_related("person").get(pk=request.user.pk)
    return render(
        request,
        "accounts/profile.html",
        {
            "account": user,
            "person": user.person,
            "masked_mobile": mask_mobile(user.mobile),
            "language_form": LanguageForm(initial={"language": user.preferred_language}),
        },
    )


@login_required
@require_POST
def profile_language(request):
    form = LanguageForm(request.POST)
    if form.is_valid():
        services.language_change(user=request.user, language=form.cleaned_data["language"])
        response = redirect("accounts:profile")
        remember_language(response, form.cleaned_data["language"])
        return response
    return redirect("accounts:profile")


@method_decorator(login_required, name="dispatch")
class PasswordChangeView(View):
    def get(self, request):
        return render(request, "accounts/password_change.html", {"form": PasswordChangeForm(user=request.user)})

    def post(self, request):
        form = PasswordChangeForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                challenge = services.password_change_begin(user=request.user, client_address=client_address(request))
            except AccountError as exc:
                form.add_error(None, exc.message())
            else:
                # Only the hash of the new password waits in the (server-side) session for the code.
                request.session[PASSWORD_CHANGE] = {
                    "user_id": request.user.pk,
                    "challenge": str(challenge),
                    "hash": make_password(form.cleaned_data["password1"]),
                }
                return redirect("accounts:password-change-verify")
        return render(request, "accounts/password_change.html", {"form": form})


@method_decorator(login_required, name="dispatch")
class PasswordChangeVerifyView(CodeStepView):
    session_key = PASSWORD_CHANGE
    purpose = OtpPurpose.PASSWORD_CHANGE
    title = gettext_lazy("Change your password: the code")
    resend_url = "accounts:password-change-resend"

    def complete(self, request, data, user, code):
        from django.contrib.auth import update_session_auth_hash

        user = services.password_change_complete(
            user=request.user,
            challenge=data["challenge"],
            code=code,
            new_password_hash=data["hash"],
            client_address=client_address(request),
            keep_device=request.session.get("absher_device"),
        )
        del request.session[PASSWORD_CHANGE]
        update_session_auth_hash(request, user)  # this session stays; every other one ends
        messages.success(request, _("Your password is changed."))
        return redirect("accounts:profile")


@method_decorator(login_required, name="dispatch")
class PasswordChangeResendView(ResendView):
    session_key = PASSWORD_CHANGE
    purpose = OtpPurpose.PASSWORD_CHANGE
    back_url = "accounts:password-change-verify"


@login_required
def email_change(request):
    form = EmailChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.email_change(user=request.user, email=form.cleaned_data["email"], client_address=client_address(request))
        messages.success(request, _("Your e-mail is changed."))
        return redirect("accounts:profile")
    return render(request, "accounts/email_change.html", {"form": form})


@login_required
def welcome(request):
    """Where a newly registered account lands after its first sign-in: step 3, and activation next."""
    if request.user.state != AccountState.REGISTERED:
        return redirect("home")
    return render(request, "accounts/welcome.html")


def activation_help(request):
    return render(request, "accounts/activation_required.html")


def terms(request):
    version = format_html('<bdi dir="ltr">{}</bdi>', settings.TERMS_VERSION)  # "2026-11" inside an Arabic sentence
    return render(request, "accounts/terms.html", {"version": version})
