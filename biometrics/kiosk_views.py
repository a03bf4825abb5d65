"""Kiosk-mode pages: served only to a provisioned kiosk, never cached, in the flow's language.

Every step is a thin view over the kiosk-scoped flow store (biometrics.flows): it checks that
the flow is at its step, binds a form, calls one service and moves the flow on. Nothing goes
into the portal session or the messages framework; an idle or finished flow is deleted.
"""

import uuid
from functools import wraps

from django.http import HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from absher.request_info import client_address
from accounts import selectors as account_selectors
from accounts import services as account_services
from accounts.exceptions import AccountError, ClaimNotPossible, OtpSendRefused
from accounts.models import AccountState, OneTimeCode, OtpPurpose, User
from accounts.rules import mask_mobile

from . import flows, selectors, services
from .credentials import CaptureRefused, capture_seal, cookie_name
from .exceptions import DuplicateUnderReview, FingerprintLocked, FingerprintUnavailable, KioskError, NoReference
from .forms import (
    AccountMobileForm,
    KioskClaimForm,
    KioskCodeForm,
    KioskCredentialsForm,
    KioskIdForm,
    LanguageForm,
    MenuForm,
    NewMobileForm,
    SimulatorForm,
    TermsForm,
)
from .models import EnrollmentAttempt, EnrollmentPurpose, Kiosk
from .readers import ReaderError, get_reader

ACTIVATION = EnrollmentPurpose.ACTIVATION
MOBILE_CHANGE = EnrollmentPurpose.MOBILE_CHANGE
TAKEOVER = "takeover"  # not a purpose of its own: an activation or a lost mobile that becomes a takeover
STEP_URLS = {
    "menu": "biometrics:kiosk-menu",
    "id": "biometrics:kiosk-id",
    "finger": "biometrics:kiosk-finger",
    "terms": "biometrics:kiosk-terms",
    "mobile": "biometrics:kiosk-mobile",
    "mobile_code": "biometrics:kiosk-mobile-code",
    "credentials": "biometrics:kiosk-credentials",
    "login_code": "biometrics:kiosk-login-code",
    "new_mobile": "biometrics:kiosk-new-mobile",
    "new_mobile_code": "biometrics:kiosk-new-mobile-code",
    "claim": "biometrics:kiosk-claim",
    "done": "biometrics:kiosk-done",
    "stop": "biometrics:kiosk-stop",
}
# The steps of each flow, for the progress bar.
STEPS = {
    ACTIVATION: ["id", "finger", "terms", "mobile", "mobile_code", "credentials", "login_code"],
    MOBILE_CHANGE: ["id", "finger", "new_mobile", "new_mobile_code"],
    # The ID's owner takes over a `registered` account someone else may have set up.
    TAKEOVER: ["id", "finger", "terms", "new_mobile", "new_mobile_code", "claim"],
}
# The end screens go back to the first one sooner than the idle timeout.
END_SCREEN_SECONDS = 30
# What a KioskError at a completion step stops the flow with (stop_messages).
KIOSK_ERROR_STOPS = {"match_expired": "expired", "under_review": "under_review"}
READER_RESULTS = {
    "no_finger": EnrollmentAttempt.Result.NO_FINGER,
    "poor_quality": EnrollmentAttempt.Result.POOR_QUALITY,
}


def stop_messages():
    return {
        "no_account": _("This ID number has no account yet. Register on the Absher portal first, then come back to activate it."),
        "pending_phone": _(
            "A registration for this ID number waits for the confirmation of its mobile number. Confirm it on the "
            "Absher portal with the code sent by SMS. If you did not register, register on the portal yourself: a "
            "registration that is not confirmed does not hold your ID number."
        ),
        "already_active": _("Your account is already active: there is nothing to activate."),
        "suspended": _("This account is suspended. Call 920020405 or visit a civil affairs office."),
        "no_reference": NoReference().message(),
        "expired": _("This session is no longer valid. Start again."),
        "not_activated": _("Your account could not be activated here. Visit a civil affairs or passports office."),
        "under_review": DuplicateUnderReview().message(),
    }


def finger_notices(remaining: int = 0, touches_left: int = 0):
    tries = ngettext(
        "You have %(n)d more try before a pause.", "You have %(n)d more tries before a pause.", remaining
    ) % {"n": remaining}
    return {
        "no_match": _("The fingerprint does not match this ID number. Place your right index finger flat on the reader and try again.")
        + " "
        + tries,
        # A touch that did not match but does not count yet (FINGERPRINT_CAPTURES_PER_TRY touches make one try).
        "touch_again": _("The fingerprint did not match. Place your right index finger flat in the middle of the reader and touch again.")
        + " "
        + ngettext(
            "%(n)d more touch in this try.", "%(n)d more touches in this try.", touches_left
        ) % {"n": touches_left},
        "replayed": _("This fingerprint capture was refused because it was used before. Place your right index finger on the reader and try again.")
        + " "
        + tries,
        "poor_quality": _("The image of the finger was not clear. Wipe your finger, place it flat on the reader and try again."),
        "no_finger": _("No finger was found on the reader. Place your right index finger on the reader, then press Scan."),
        "unplugged": _("The reader is not working. Ask the kiosk operator for help."),
        "reader_error": _("The reader did not answer. Try again."),
        "unavailable": FingerprintUnavailable().message(),
    }


# --- the kiosk guard ----------------------------------------------------------------------


def kiosk_only(view):
    """Only a provisioned kiosk in service gets the page; never cached; in the flow's language."""

    @never_cache
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        kiosk = selectors.kiosk_from_credential(request.COOKIES.get(cookie_name()))
        if kiosk is None:
            return render(request, "biometrics/kiosk_not_provisioned.html", status=403)
        now = timezone.now()
        services.kiosk_heartbeat(kiosk=kiosk, now=now)
        request.kiosk = kiosk
        request.kiosk_flow = flows.flow_load(kiosk, now=now)
        language = request.kiosk_flow.data.get("lang", "ar") if request.kiosk_flow else "ar"
        with translation.override(language):
            if not kiosk.in_service:
                flows.flow_clear(kiosk)
                request.kiosk_flow = None
                response = render(request, "biometrics/kiosk_out_of_service.html", status=503)
            else:
                response = view(request, *args, **kwargs)
        response.headers["Content-Language"] = language
        return response

    return wrapper


def _go(flow, step, **data):
    flows.flow_update(flow, now=timezone.now(), step=step, **data)
    return redirect(STEP_URLS[step])


def _stop(flow, reason):
    flows.flow_replace(flow, now=timezone.now(), step="stop", reason=reason)
    return redirect(STEP_URLS["stop"])


def _kiosk_render(request, template, context=None, status=200):
    flow = request.kiosk_flow
    purpose = flow.data.get("purpose") if flow else None
    step = flow.data.get("step") if flow else None
    steps = STEPS.get(TAKEOVER if flow and flow.data.get("takeover") else purpose, [])
    base = {
        "kiosk": request.kiosk,
        "flow_active": flow is not None,
        "purpose": purpose,
        "step_number": steps.index(step) + 1 if step in steps else None,
        "step_count": len(steps),
        "idle_seconds": int(flows.idle_timeout().total_seconds()),
    }
    return render(request, template, {**base, **(context or {})}, status=status)


# --- the first screens --------------------------------------------------------------------


@kiosk_only
def kiosk_start(request):
    """The first screen: the language. A flow in progress goes on where it was."""
    if request.kiosk_flow is not None:
        return redirect(STEP_URLS[request.kiosk_flow.data["step"]])
    return _kiosk_render(request, "biometrics/kiosk_start.html")


@require_POST
@kiosk_only
def kiosk_begin(request):
    form = LanguageForm(request.POST)
    if not form.is_valid():
        return redirect("biometrics:kiosk-start")
    flows.flow_begin(request.kiosk, language=form.cleaned_data["language"], now=timezone.now())
    return redirect("biometrics:kiosk-menu")


@require_POST
@kiosk_only
def kiosk_reset(request):
    """Cancel, Finish, or two minutes without a touch (static/biometrics/kiosk.js): back to the first screen."""
    flows.flow_clear(request.kiosk)
    return redirect("biometrics:kiosk-start")


@require_POST
@kiosk_only
def kiosk_heartbeat(request):
    """The kiosk page's heartbeat; tells the page whether its flow still exists (else it resets)."""
    return JsonResponse({"flow": request.kiosk_flow is not None, "in_service": request.kiosk.in_service})


class Step(View):
    """One screen of a flow: only reachable when the flow is at it."""

    step = ""
    template_name = ""
    form_class = None
    http_method_names = ["get", "post"]

    def dispatch(self, request, *args, **kwargs):
        self.flow = request.kiosk_flow
        if self.flow is None:
            return redirect("biometrics:kiosk-start")
        if self.flow.data.get("step") != self.step:
            return redirect(STEP_URLS[self.flow.data.get("step", "menu")])
        flows.flow_touch(self.flow, now=timezone.now())
        self.kiosk = request.kiosk
        self.data = self.flow.data
        return super().dispatch(request, *args, **kwargs)

    @property
    def user(self) -> User | None:
        return User.objects.filter(pk=self.data.get("user_id")).first()

    def get_form(self, data=None):
        return self.form_class(data) if self.form_class else None

    def context(self, form):
        return {"form": form}

    def render_step(self, form, status=200):
        return _kiosk_render(self.request, self.template_name, self.context(form), status=status)

    def get(self, request):
        return self.render_step(self.get_form())

    def post(self, request):
        form = self.get_form(request.POST)
        if form.is_valid():
            response = self.done(form)
            if response is not None:
                return response
        return self.render_step(form)

    def done(self, form):  # pragma: no cover - every step says
        raise NotImplementedError


class MenuStep(Step):
    step = "menu"
    template_name = "biometrics/kiosk_menu.html"
    form_class = MenuForm

    def done(self, form):
        return _go(self.flow, "id", purpose=form.cleaned_data["purpose"])


class IdStep(Step):
    step = "id"
    template_name = "biometrics/kiosk_id.html"
    form_class = KioskIdForm

    def done(self, form):
        return _go(self.flow, "finger", national_id=form.cleaned_data["national_id"], notice="")


# --- the finger ---------------------------------------------------------------------------


class FingerStep(Step):
    step = "finger"
    template_name = "biometrics/kiosk_finger.html"

    def get_form(self, data=None):
        return SimulatorForm(data, initial={"presented_id": self.data["national_id"]})

    def context(self, form):
        reader = get_reader(kiosk=self.kiosk)
        blocked = selectors.match_blocked_until(self.data["national_id"])
        notice = self.data.get("notice", "")
        if blocked:
            notice, text = "locked", FingerprintLocked(blocked).message()
        else:
            notices = finger_notices(self.data.get("remaining", 0), self.data.get("touches_left", 0))
            text = notices.get(notice, "") if notice else ""
        return {"form": form, "simulated": reader.simulated, "blocked": blocked, "notice": notice if text else "", "notice_text": text}

    @method_decorator(sensitive_variables("capture"))
    def post(self, request):
        national_id, purpose = self.data["national_id"], self.data["purpose"]
        form = self.get_form(request.POST)
        reader = get_reader(kiosk=self.kiosk)
        if reader.simulated:
            if not form.is_valid():
                return self.render_step(form)
            reader.present(
                national_id=form.cleaned_data["presented_id"] or "",
                finger=form.cleaned_data["finger"],
                fault=form.cleaned_data["fault"] or "",
            )
        try:
            with reader:
                capture = reader.capture()
        except ReaderError as exc:
            result = READER_RESULTS.get(exc.code, EnrollmentAttempt.Result.READER_ERROR)
            services.reader_failure_record(
                kiosk=self.kiosk, national_id=national_id, purpose=purpose, result=result, quality=getattr(exc, "quality", None)
            )
            return _go(self.flow, "finger", notice=exc.code)
        try:
            outcome = services.fingerprint_verify(
                kiosk=self.kiosk, national_id=national_id, sealed_capture=capture_seal(capture, kiosk=self.kiosk),
                purpose=purpose, client_address=client_address(request),
            )
        except FingerprintLocked:
            return _go(self.flow, "finger", notice="locked")
        except NoReference:
            return _stop(self.flow, "no_reference")
        except DuplicateUnderReview:
            return _stop(self.flow, "under_review")
        except FingerprintUnavailable:
            return _go(self.flow, "finger", notice="unavailable")
        except CaptureRefused:
            return _go(self.flow, "finger", notice="reader_error")
        if outcome.matched:
            return self.matched(national_id, outcome.attempt_id)
        if outcome.locked_until:
            notice = "locked"
        elif outcome.result == EnrollmentAttempt.Result.NO_MATCH and not outcome.counted:
            notice = "touch_again"
        else:
            notice = outcome.result  # no_match (a counted try), replayed, poor_quality
        return _go(self.flow, "finger", notice=notice, remaining=outcome.remaining, touches_left=outcome.touches_left)

    def matched(self, national_id, attempt_id):
        # A registration still waiting for its SMS code is nobody's account.
        user = account_selectors.account_for_national_id(national_id)
        if user is None:
            pending = account_selectors.pending_registration_exists(national_id)
            return _stop(self.flow, "pending_phone" if pending else "no_account")
        if user.state == AccountState.SUSPENDED or not user.is_active:
            return _stop(self.flow, "suspended")
        purpose = self.data["purpose"]
        if purpose == ACTIVATION and user.state == AccountState.ACTIVE:
            return _stop(self.flow, "already_active")
        if services.takeover_applies(user, purpose=purpose):
            return _go(self.flow, "terms", user_id=user.pk, attempt_id=attempt_id, notice="", takeover=True)
        if purpose == ACTIVATION:
            return _go(self.flow, "terms", user_id=user.pk, attempt_id=attempt_id, notice="")
        return _go(self.flow, "new_mobile", user_id=user.pk, attempt_id=attempt_id, notice="")


# --- activation ---------------------------------------------------------------------------


class TermsStep(Step):
    step = "terms"
    template_name = "biometrics/kiosk_terms.html"
    form_class = TermsForm

    def done(self, form):
        return _go(self.flow, "new_mobile" if self.data.get("takeover") else "mobile")


class _UserStep(Step):
    def get_form(self, data=None):
        return self.form_class(data, user=self.user)


class MobileStep(_UserStep):
    step = "mobile"
    template_name = "biometrics/kiosk_mobile.html"
    form_class = AccountMobileForm

    def context(self, form):
        return {"form": form, "account_mobile": mask_mobile(self.user.mobile)}

    def post(self, request):
        if request.POST.get("not_mine"):
            # The account was registered with a number the finger's owner does not have: they take it over.
            return _go(self.flow, "new_mobile", takeover=True)
        return super().post(request)

    def done(self, form):
        try:
            challenge = account_services.otp_challenge_start(
                user=form.user, purpose=OtpPurpose.KIOSK_MOBILE, client_address=client_address(self.request),
                shared_device=True,
            )
        except AccountError as exc:
            form.add_error(None, exc.message())
            return None
        return _go(self.flow, "mobile_code", challenge=str(challenge), flash="")


class CodeStep(Step):
    """A code sent by SMS, typed on the kiosk; a new one can be asked for (kiosk-resend)."""

    template_name = "biometrics/kiosk_code.html"
    form_class = KioskCodeForm
    title = ""
    challenge_key = "challenge"

    def recipient(self) -> str:
        return self.user.mobile

    def context(self, form):
        flash = self.data.get("flash", "")
        if flash:
            flows.flow_update(self.flow, now=timezone.now(), flash="")
        # The SMS could not be delivered within the code's lifetime (the outbox's outcome): say so.
        code = account_selectors.code_latest(self.data.get(self.challenge_key))
        return {"form": form, "title": self.title, "masked_mobile": mask_mobile(self.recipient()), "flash": flash,
                "delivery_failed": code is not None and code.delivery == OneTimeCode.Delivery.FAILED}

    def done(self, form):
        try:
            return self.verify(form.cleaned_data["code"])
        except ClaimNotPossible:
            return _stop(self.flow, "not_activated")
        except AccountError as exc:
            form.add_error("code", exc.message())
        except KioskError as exc:
            return _stop(self.flow, KIOSK_ERROR_STOPS.get(exc.code, "not_activated"))
        return None


class MobileCodeStep(CodeStep):
    step = "mobile_code"
    title = gettext_lazy("The code sent to your mobile")

    def verify(self, code):
        account_services.otp_challenge_verify(
            user_id=self.data["user_id"], purpose=OtpPurpose.KIOSK_MOBILE, challenge=self.data["challenge"], code=code,
            client_address=client_address(self.request),
        )
        return _go(self.flow, "credentials")


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class CredentialsStep(Step):
    step = "credentials"
    template_name = "biometrics/kiosk_credentials.html"
    form_class = KioskCredentialsForm

    def done(self, form):
        try:
            challenge = services.kiosk_sign_in_begin(
                kiosk=self.kiosk, user_id=self.data["user_id"], attempt_id=self.data["attempt_id"],
                identifier=form.cleaned_data["identifier"], password=form.cleaned_data["password"],
                client_address=client_address(self.request),
            )
        except AccountError as exc:
            form.add_error(None, exc.message())
            return None
        except KioskError:
            return _stop(self.flow, "expired")
        return _go(self.flow, "login_code", login_challenge=str(challenge.challenge), flash="")


class LoginCodeStep(CodeStep):
    step = "login_code"
    title = gettext_lazy("Your sign-in code")
    challenge_key = "login_challenge"

    def verify(self, code):
        services.kiosk_activation_complete(
            kiosk=self.kiosk, user_id=self.data["user_id"], attempt_id=self.data["attempt_id"],
            challenge=self.data["login_challenge"], code=code, client_address=client_address(self.request),
        )
        flows.flow_replace(self.flow, now=timezone.now(), step="done", purpose=ACTIVATION)
        return redirect(STEP_URLS["done"])


# --- a lost mobile number -----------------------------------------------------------------


class NewMobileStep(_UserStep):
    step = "new_mobile"
    template_name = "biometrics/kiosk_new_mobile.html"
    form_class = NewMobileForm

    def context(self, form):
        return {"form": form, "takeover": bool(self.data.get("takeover"))}

    def done(self, form):
        try:
            challenge = account_services.mobile_change_begin(
                user=form.user, new_mobile=form.cleaned_data["mobile"], client_address=client_address(self.request),
                shared_device=True,
            )
        except AccountError as exc:
            form.add_error("mobile" if getattr(exc, "field", "") == "mobile" else None, exc.message())
            return None
        return _go(self.flow, "new_mobile_code", new_mobile=form.cleaned_data["mobile"], challenge=str(challenge), flash="")


class NewMobileCodeStep(CodeStep):
    step = "new_mobile_code"
    title = gettext_lazy("The code sent to your new mobile")

    def recipient(self) -> str:
        return self.data["new_mobile"]

    def verify(self, code):
        if self.data.get("takeover"):
            services.kiosk_takeover_mobile(
                kiosk=self.kiosk, user_id=self.data["user_id"], attempt_id=self.data["attempt_id"],
                challenge=self.data["challenge"], code=code, new_mobile=self.data["new_mobile"],
                client_address=client_address(self.request),
            )
            return _go(self.flow, "claim")
        services.kiosk_mobile_change_complete(
            kiosk=self.kiosk, user_id=self.data["user_id"], attempt_id=self.data["attempt_id"],
            challenge=self.data["challenge"], code=code, new_mobile=self.data["new_mobile"],
            client_address=client_address(self.request),
        )
        flows.flow_replace(self.flow, now=timezone.now(), step="done", purpose=MOBILE_CHANGE)
        return redirect(STEP_URLS["done"])


@method_decorator(sensitive_post_parameters("password1", "password2"), name="dispatch")
class ClaimStep(_UserStep):
    """The owner's own username and password, then the activation (the end of a takeover)."""

    step = "claim"
    template_name = "biometrics/kiosk_claim.html"
    form_class = KioskClaimForm

    def done(self, form):
        try:
            services.kiosk_takeover_complete(
                kiosk=self.kiosk, user_id=self.data["user_id"], attempt_id=self.data["attempt_id"],
                username=form.cleaned_data["username"], password=form.cleaned_data["password1"],
                client_address=client_address(self.request),
            )
        except ClaimNotPossible:
            return _stop(self.flow, "not_activated")
        except AccountError as exc:
            form.add_error("username" if getattr(exc, "field", "") == "username" else None, exc.message())
            return None
        except KioskError as exc:
            return _stop(self.flow, KIOSK_ERROR_STOPS.get(exc.code, "not_activated"))
        flows.flow_replace(self.flow, now=timezone.now(), step="done", purpose=TAKEOVER)
        return redirect(STEP_URLS["done"])


@require_POST
@kiosk_only
def kiosk_code_resend(request):
    """A new code for the code step the flow is at."""
    flow = request.kiosk_flow
    step = flow.data.get("step") if flow else None
    if step not in ("mobile_code", "login_code", "new_mobile_code"):
        return redirect("biometrics:kiosk-start")
    data = flow.data
    user = User.objects.get(pk=data["user_id"])
    address = client_address(request)
    try:
        if step == "new_mobile_code":
            account_services.mobile_change_begin(
                user=user, new_mobile=data["new_mobile"], client_address=address, challenge=uuid.UUID(data["challenge"]),
                shared_device=True,
            )
        elif step == "login_code":
            account_services.otp_resend(user=user, purpose=OtpPurpose.LOGIN, challenge=uuid.UUID(data["login_challenge"]), client_address=address, shared_device=True)
        else:
            account_services.otp_resend(user=user, purpose=OtpPurpose.KIOSK_MOBILE, challenge=uuid.UUID(data["challenge"]), client_address=address, shared_device=True)
    except OtpSendRefused as exc:
        flash = exc.message()
    except AccountError as exc:
        flash = exc.message()
    else:
        flash = _("A new code was sent.")
    return _go(flow, step, flash=flash)


# --- the end screens ----------------------------------------------------------------------


class DoneStep(Step):
    step = "done"
    template_name = "biometrics/kiosk_done.html"
    http_method_names = ["get"]

    def get(self, request):
        return _kiosk_render(request, self.template_name, {"done_purpose": self.data.get("purpose"), "idle_seconds": END_SCREEN_SECONDS})


class StopStep(Step):
    step = "stop"
    template_name = "biometrics/kiosk_stop.html"
    http_method_names = ["get"]

    def get(self, request):
        reason = self.data.get("reason", "expired")
        return _kiosk_render(
            request, self.template_name,
            {"reason": reason, "message": stop_messages().get(reason, ""), "idle_seconds": END_SCREEN_SECONDS},
        )


def step_view(view_class):
    return kiosk_only(view_class.as_view())


# --- the reader agent ---------------------------------------------------------------------


@csrf_exempt  # a machine's post, authenticated by the capture's seal (the kiosk's agent key), not a browser form
@sensitive_post_parameters("capture")
@never_cache
@require_POST
def kiosk_reader_post(request):
    """The kiosk's reader agent posts a sealed capture here (biometrics.readers.agent)."""
    serial = request.POST.get("kiosk", "")
    # A serial is printable and short: anything else (a NUL byte, 10,000 characters) is no kiosk's.
    if not serial.isprintable() or len(serial) > Kiosk._meta.get_field("serial").max_length:
        return HttpResponseForbidden()
    kiosk = Kiosk.objects.filter(serial=serial, device_id__isnull=False).first()
    sealed = request.POST.get("capture", "")
    if kiosk is None or not sealed:
        return HttpResponseForbidden()
    try:
        services.agent_capture_receive(kiosk=kiosk, sealed=sealed)
    except CaptureRefused:
        return HttpResponseForbidden()
    return HttpResponse(status=204)
