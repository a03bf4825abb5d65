"""Signing the app in with a passkey: options with a signed state, then the assertion gives the
device its tokens (the same service as the pages: passkeys.services.passkey_authenticate)."""

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from absher.request_info import client_address
from api.auth import DeviceSerializer, TokensSerializer, start_app_device, tokens_response
from api.errors import ApiError
from api.schema import ERRORS

from . import services

STATE_SALT = "passkeys.api.sign-in"


def _state_dump(challenge: str) -> str:
    return signing.dumps({"c": challenge, "rp": settings.WEBAUTHN_RP_ID}, salt=STATE_SALT)


def _state_load(value: str) -> str:
    expired = ApiError("passkey_expired", _("This request has expired. Try again."), 400)
    try:
        data = signing.loads(value, salt=STATE_SALT, max_age=services.CEREMONY_LIFETIME)
        challenge = str(data["c"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise expired from None
    if not services.challenge_use_once(challenge):
        raise expired  # a state is answered once
    return challenge


class OptionsSerializer(serializers.Serializer):
    state = serializers.CharField(help_text="Send it back with the credential; valid 5 minutes, once.")
    public_key = serializers.DictField(
        help_text="PublicKeyCredentialRequestOptions as JSON (binary fields base64url): pass it to the platform's "
        "passkey API (Android Credential Manager, iOS ASAuthorization). user_verification is required.",
    )


class PasskeySignInSerializer(DeviceSerializer):
    state = serializers.CharField(max_length=1000)
    credential = serializers.DictField(
        help_text="The PublicKeyCredential as JSON (id, rawId, type, response: clientDataJSON, authenticatorData, "
        "signature, userHandle; base64url)."
    )


class PasskeyOptionsView(APIView):
    authentication_classes = []
    permission_classes = []

    @extend_schema(
        operation_id="auth_passkey_options", request=None, tags=["auth"],
        responses={200: OptionsSerializer, **ERRORS(400, 429)},
        summary="Step 1 of a passkey sign-in: the options for the platform's passkey prompt, and a state.",
    )
    def post(self, request):
        options, challenge = services.authentication_options()
        return Response({"state": _state_dump(challenge), "public_key": options}, headers={"Cache-Control": "no-store"})


class PasskeySignInView(APIView):
    authentication_classes = []
    permission_classes = []

    @extend_schema(
        operation_id="auth_passkey_sign_in", request=PasskeySignInSerializer, tags=["auth"],
        responses={200: TokensSerializer, **ERRORS(400, 429)},
        summary="Step 2: the passkey's answer (no password, no SMS code); the device gets its tokens. "
        "Refused: passkey_unknown, passkey_invalid (wrong origin or site, no user verification), passkey_cloned.",
    )
    def post(self, request):
        data = PasskeySignInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        challenge = _state_load(data.validated_data["state"])
        user = services.passkey_authenticate(
            credential=data.validated_data["credential"], challenge=challenge, client_address=client_address(request),
            purpose=services.SIGN_IN,
        )
        pair = start_app_device(
            request, user, device_id=data.validated_data["device_id"],
            device_name=data.validated_data.get("device_name", ""), signed_in_with="passkey",
        )
        return tokens_response(pair)
