"""The app's view of the account's sessions and devices: the same services as the sessions page
(devices.services, devices.selectors), the same reason codes."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from absher.request_info import client_address
from api.errors import ApiError
from api.permissions import SignedIn
from api.schema import ERRORS

from . import selectors, services
from .exceptions import DeviceIsCurrent, DeviceNotFound
from .models import Device


class DeviceOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Device.Kind.choices, help_text="web: a browser's session; app: the mobile app.")
    name = serializers.CharField(help_text="What the citizen recognises: “Chrome on Android”, the app's device name.")
    client_address = serializers.IPAddressField(allow_null=True, help_text="Where it signed in from.")
    last_seen_address = serializers.IPAddressField(allow_null=True)
    signed_in_with = serializers.CharField(help_text="password_sms or passkey.")
    signed_in_at = serializers.DateTimeField()
    last_seen_at = serializers.DateTimeField(help_text="Noted at most once a minute.")
    current = serializers.BooleanField(help_text="True for the device making this request.")


class EndedSerializer(serializers.Serializer):
    ended = serializers.IntegerField(help_text="How many sessions and devices ended.")


class NotMeSerializer(EndedSerializer):
    message = serializers.CharField(help_text="What to tell the citizen next, in the Accept-Language.")


def _row(row: selectors.DeviceRow) -> dict:
    device = row.device
    return {
        "id": device.pk,
        "kind": device.kind,
        "name": row.label,
        "client_address": device.client_address,
        "last_seen_address": device.last_seen_address,
        "signed_in_with": device.signed_in_with,
        "signed_in_at": device.signed_in_at,
        "last_seen_at": device.last_seen_at,
        "current": row.current,
    }


class DeviceListView(generics.GenericAPIView):
    permission_classes = [SignedIn]
    serializer_class = DeviceOutSerializer
    pagination_class = None  # a handful of rows: one list, as the page shows it

    @extend_schema(
        operation_id="devices_list", tags=["devices"], responses={200: DeviceOutSerializer(many=True), **ERRORS(401)},
        summary="The account's live sessions and devices, this one first (`current`), then the most recently seen.",
    )
    def get(self, request):
        rows = selectors.devices_of(request.user, current_device_id=request.device.pk)
        return Response(DeviceOutSerializer([_row(row) for row in rows], many=True).data)


class DeviceEndView(APIView):
    permission_classes = [SignedIn]

    @extend_schema(
        operation_id="devices_end", tags=["devices"], request=None,
        parameters=[OpenApiParameter("device_id", int, OpenApiParameter.PATH, description="The device's `id`.")],
        responses={204: None, **ERRORS(400, 401, 404)},
        summary="End one other session or device: it is signed out (device_current: this one is ended by signing out).",
    )
    def post(self, request, device_id: int):
        try:
            services.device_end_own(
                user=request.user, device_id=device_id, current_device_id=request.device.pk,
                client_address=client_address(request),
            )
        except DeviceNotFound as exc:
            raise ApiError(exc.code, exc.message(), status.HTTP_404_NOT_FOUND) from None
        except DeviceIsCurrent as exc:
            raise ApiError(exc.code, exc.message(), status.HTTP_400_BAD_REQUEST) from None
        return Response(status=status.HTTP_204_NO_CONTENT)


class DevicesEndOthersView(APIView):
    permission_classes = [SignedIn]

    @extend_schema(
        operation_id="devices_end_others", tags=["devices"], request=None,
        responses={200: EndedSerializer, **ERRORS(401)},
        summary="End every other session and device of the account; this one stays signed in.",
    )
    def post(self, request):
        ended = services.devices_end_all(
            request.user, ending=Device.Ending.ENDED_BY_CITIZEN, keep=request.device, actor=request.user,
            client_address=client_address(request),
        )
        return Response({"ended": ended})


class NotMeView(APIView):
    permission_classes = [SignedIn]

    @extend_schema(
        operation_id="devices_not_me", tags=["devices"], request=None,
        responses={200: NotMeSerializer, **ERRORS(401)},
        summary=(
            "“It wasn't me”: every session and device ends, this one too (its tokens stop working); the "
            "password stops working (a new one through “Forgot your password”); an SMS goes to the mobile."
        ),
    )
    def post(self, request):
        ended = services.not_me(request.user, client_address=client_address(request), from_device=request.device)
        return Response({"ended": ended, "message": _("Every session was ended. Set a new password with “Forgot your password”.")})
