"""Signing the app in: the password, then the SMS code, gives a device its tokens.

The same services as the sign-in pages (accounts.services.login_begin / login_complete): the same
lockout, caps and audit rows. The challenge between the two steps is signed and short-lived.
"""

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from absher.request_info import client_address
from accounts import services as accounts_services
from accounts.exceptions import PhoneNotConfirmed
from accounts.models import OtpPurpose, User
from accounts.rules import mask_mobile
from devices import rules as device_rules
from devices import services as device_services
from devices import tokens
from devices.models import Device

from .errors import ApiError
from .permissions import SignedIn
from .schema import ERRORS

CHALLENGE_SALT = "api.sign-in"


def challenge_token(user_id: int, challenge, *, salt: str = CHALLENGE_SALT) -> str:
    """The challenge of an SMS code step, signed for the app to send back with the code."""
    return signing.dumps({"u": user_id, "c": str(challenge)}, salt=salt)


def challenge_load(value: str, *, salt: str = CHALLENGE_SALT, user_id: int | None = None, expired: str = "") -> tuple[int, str]:
    """(user id, challenge) of a token of `challenge_token`, still fresh (the code's lifetime, twice);
    with `user_id`, only that account's. Else the error `challenge_invalid` saying `expired`."""
    try:
        data = signing.loads(value, salt=salt, max_age=settings.OTP_VALIDITY * 2)
        if user_id is not None and int(data["u"]) != user_id:
            raise ValueError
        return int(data["u"]), str(data["c"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise ApiError("challenge_invalid", expired or _("This sign-in has expired. Start again."), 400) from None


class SignInSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, help_text="The username or the national ID / iqama number.")
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})


class ChallengeSerializer(serializers.Serializer):
    challenge = serializers.CharField(help_text="Send it back with the SMS code (valid for the code's lifetime).")
    masked_mobile = serializers.CharField(help_text="Where the code went, masked: 05•••••678.")
    code_expires_in = serializers.IntegerField(help_text="Seconds.")


class DeviceSerializer(serializers.Serializer):
    device_id = serializers.CharField(
        min_length=20, max_length=64,
        help_text="The app's installation id: random, kept by the app. A new one on an account sends an SMS notice.",
    )
    device_name = serializers.CharField(max_length=100, required=False, allow_blank=True, help_text="Pixel 8, iPhone 15.")


class CodeSerializer(DeviceSerializer):
    challenge = serializers.CharField(max_length=400)
    code = serializers.RegexField(r"^\d{4,8}$", max_length=8)


class ResendSerializer(serializers.Serializer):
    challenge = serializers.CharField(max_length=400)


class RefreshSerializer(serializers.Serializer):
    refresh_token = serializers.CharField(max_length=100)


class TokensSerializer(serializers.Serializer):
    token_type = serializers.CharField(default="Bearer")
    access_token = serializers.CharField()
    expires_in = serializers.IntegerField(help_text="Seconds the access token lives.")
    refresh_token = serializers.CharField(help_text="Use it once, at /auth/token/refresh/: it gives a new pair.")
    refresh_expires_at = serializers.DateTimeField()


def tokens_response(pair: tokens.TokenPair, http_status=status.HTTP_200_OK) -> Response:
    return Response(
        {
            "token_type": "Bearer",
            "access_token": pair.access_token,
            "expires_in": pair.expires_in,
            "refresh_token": pair.refresh_token,
            "refresh_expires_at": pair.refresh_expires_at,
        },
        status=http_status,
        headers={"Cache-Control": "no-store"},
    )


def start_app_device(request, user, *, device_id: str, device_name: str, signed_in_with: str) -> tokens.TokenPair:
    """The device of an app sign-in and its first tokens (passkeys/api.py signs in this way too)."""
    from django.db import transaction

    user_agent = request.META.get("HTTP_USER_AGENT", "")
    # Nameless, the sessions page calls it "Unknown device" in the citizen's language (devices.selectors).
    name = device_rules.app_device_name(device_name) or device_rules.browser_name(user_agent)
    with transaction.atomic():
        device = device_services.device_start(
            user=user, kind=Device.Kind.APP, name=name, user_agent=user_agent, device_key=device_id,
            client_address=client_address(request), signed_in_with=signed_in_with,
        )
        return tokens.issue_pair(device)


class SignInView(APIView):
    authentication_classes = []
    permission_classes = []

    @extend_schema(
        operation_id="auth_sign_in", request=SignInSerializer, tags=["auth"],
        responses={200: ChallengeSerializer, **ERRORS(400, 429)},
        summary="Step 1: username (or ID number) and password; an SMS code goes to the account's mobile.",
    )
    def post(self, request):
        data = SignInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            challenge = accounts_services.login_begin(
                identifier=data.validated_data["username"], password=data.validated_data["password"],
                client_address=client_address(request),
            )
        except PhoneNotConfirmed:
            raise ApiError(
                "pending_phone", _("Finish your registration on the Absher website: confirm your mobile number."), 400
            ) from None
        user = User.objects.only("mobile").get(pk=challenge.user_id)
        return Response({
            "challenge": challenge_token(challenge.user_id, challenge.challenge),
            "masked_mobile": mask_mobile(user.mobile),
            "code_expires_in": int(settings.OTP_VALIDITY.total_seconds()),
        })


class SignInCodeView(APIView):
    authentication_classes = []
    permission_classes = []

    @extend_schema(
        operation_id="auth_sign_in_code", request=CodeSerializer, tags=["auth"],
        responses={200: TokensSerializer, **ERRORS(400, 429)},
        summary="Step 2: the SMS code; the device gets its tokens.",
    )
    def post(self, request):
        data = CodeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user_id, challenge = challenge_load(data.validated_data["challenge"])
        user = accounts_services.login_complete(
            user_id=user_id, challenge=challenge, code=data.validated_data["code"], client_address=client_address(request)
        )
        pair = start_app_device(
            request, user, device_id=data.validated_data["device_id"],
            device_name=data.validated_data.get("device_name", ""), signed_in_with="password_sms",
        )
        return tokens_response(pair)


class SignInResendView(APIView):
    authentication_classes = []
    permission_classes = []

    @extend_schema(
        operation_id="auth_sign_in_resend", request=ResendSerializer, tags=["auth"],
        responses={204: None, **ERRORS(400, 429)}, summary="A new SMS code for the same sign-in.",
    )
    def post(self, request):
        data = ResendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user_id, challenge = challenge_load(data.validated_data["challenge"])
        user = User.objects.filter(pk=user_id).first()
        if user is None:
            raise ApiError("challenge_invalid", _("This sign-in has expired. Start again."), 400)
        accounts_services.otp_resend(
            user=user, purpose=OtpPurpose.LOGIN, challenge=challenge, client_address=client_address(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class RefreshView(APIView):
    authentication_classes = []
    permission_classes = []

    @extend_schema(
        operation_id="auth_token_refresh", request=RefreshSerializer, tags=["auth"],
        responses={200: TokensSerializer, **ERRORS(400, 401)},
        summary="A new token pair. A refresh token works once: used again, the device is signed out.",
    )
    def post(self, request):
        data = RefreshSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            pair = tokens.refresh(data.validated_data["refresh_token"], client_address=client_address(request))
        except tokens.TokenReused:
            raise ApiError(
                "token_reused", _("This sign-in was ended for your security: its token was used twice. Sign in again."), 401
            ) from None
        except tokens.TokenInvalid:
            raise ApiError("token_invalid", _("Your sign-in has expired. Sign in again."), 401) from None
        return tokens_response(pair)


class SignOutView(APIView):
    permission_classes = [SignedIn]

    @extend_schema(
        operation_id="auth_sign_out", request=None, tags=["auth"], responses={204: None, **ERRORS(401)},
        summary="Sign this device out: its tokens stop working.",
    )
    def post(self, request):
        device_services.device_end(request.device, ending=Device.Ending.SIGNED_OUT, client_address=client_address(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
