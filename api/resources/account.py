"""The account's own controls in the app: take your data, close your account.

The same services as the pages (accounts.export, accounts.closure): the same refusals with the
same reason codes. The closing's challenge is signed, bound to the account, and short-lived.
"""

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from absher.request_info import client_address
from accounts import closure, export
from accounts.rules import mask_mobile

from ..auth import challenge_load, challenge_token
from ..permissions import SignedIn
from ..schema import ERRORS

CLOSE_SALT = "api.account-close"


def _challenge_load(value: str, *, user_id: int) -> str:
    """The closing's challenge, if this account's and still fresh (a token of another account is refused)."""
    return challenge_load(value, salt=CLOSE_SALT, user_id=user_id, expired=_("This closing has expired. Start again."))[1]


class CloseChallengeSerializer(serializers.Serializer):
    challenge = serializers.CharField(help_text="Send it back with the SMS code (valid for the code's lifetime).")
    masked_mobile = serializers.CharField(help_text="Where the code went, masked: 05•••••678.")
    code_expires_in = serializers.IntegerField(help_text="Seconds.")


class CloseConfirmSerializer(serializers.Serializer):
    challenge = serializers.CharField(max_length=400)
    code = serializers.RegexField(r"^\d{4,8}$", max_length=8)


class PersonalDataView(APIView):
    permission_classes = [SignedIn]

    @extend_schema(
        operation_id="profile_data", tags=["profile"],
        responses={200: OpenApiResponse(response=OpenApiTypes.OBJECT, description="The citizen's data, format absher-personal-data/1 "
                                                    "(the file the website downloads)."), **ERRORS(401)},
        summary="Everything the portal holds about the account and its dependents, as JSON.",
    )
    def get(self, request):
        data = export.personal_data(request.user, today=timezone.localdate())
        export.personal_data_downloaded(user=request.user, client_address=client_address(request), what="api")
        return Response(data, headers={"Cache-Control": "private, no-store"})


class CloseStartView(APIView):
    permission_classes = [SignedIn]

    @extend_schema(
        operation_id="profile_close", request=None, tags=["profile"],
        responses={200: CloseChallengeSerializer, **ERRORS(400, 401, 429)},
        summary="Close the account, step 1: an SMS code goes to the account's mobile. Refused (close_*) for a "
                "staff account, an open request or money under way.",
    )
    def post(self, request):
        challenge = closure.close_begin(user=request.user, client_address=client_address(request))
        return Response({
            "challenge": challenge_token(request.user.pk, challenge, salt=CLOSE_SALT),
            "masked_mobile": mask_mobile(request.user.mobile),
            "code_expires_in": int(settings.OTP_VALIDITY.total_seconds()),
        }, headers={"Cache-Control": "no-store"})


class CloseConfirmView(APIView):
    permission_classes = [SignedIn]

    @extend_schema(
        operation_id="profile_close_confirm", request=CloseConfirmSerializer, tags=["profile"],
        responses={204: None, **ERRORS(400, 401)},
        summary="Close the account, step 2: the SMS code. The account closes and every token stops working.",
    )
    def post(self, request):
        data = CloseConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        challenge = _challenge_load(data.validated_data["challenge"], user_id=request.user.pk)
        closure.close_complete(
            user=request.user, challenge=challenge, code=data.validated_data["code"], client_address=client_address(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
