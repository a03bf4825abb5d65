"""The citizen's notices of every service (absher.notifications), newest first, and marking them read."""

from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from absher.notifications.models import Notice
from civil_affairs import services as civil_affairs_services
from passports import services as passports_services

from ..permissions import SignedIn
from ..schema import ERRORS
from .serializers_citizen import NOTICE_SOURCES, NoticeSerializer, NoticesReadResultSerializer, NoticesReadSerializer

#: Each service's own "mark my notices read" (the Passports page's button; a request's page).
MARK_READ = {
    "civil_affairs": civil_affairs_services.notices_mark_read,
    "passports": passports_services.notices_mark_read,
}


class NoticeFilterSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=NOTICE_SOURCES, required=False)
    unread = serializers.BooleanField(required=False, default=False)


class NoticeListView(ListAPIView):
    permission_classes = [SignedIn]
    serializer_class = NoticeSerializer

    def get_queryset(self):
        filters = NoticeFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        # The dashboard's read of the latest notices (absher.dashboard.latest_notices), a page at a time.
        notices = Notice.objects.filter(user=self.request.user)
        if filters.validated_data.get("source"):
            notices = notices.filter(source=filters.validated_data["source"])
        if filters.validated_data["unread"]:
            notices = notices.filter(read_at=None)
        return notices.order_by("-at", "-id")

    @extend_schema(
        operation_id="notices_list", tags=["notices"],
        parameters=[
            OpenApiParameter("source", OpenApiTypes.STR, enum=[value for value, _ in NOTICE_SOURCES],
                             description="Only this service's notices."),
            OpenApiParameter("unread", OpenApiTypes.BOOL, description="Only the unread ones (`count` is then the unread count)."),
        ],
        responses={200: NoticeSerializer(many=True), **ERRORS(400, 401)},
        summary="The account's notices of every service, newest first, in the Accept-Language.",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class NoticesReadView(APIView):
    permission_classes = [SignedIn]

    @extend_schema(
        operation_id="notices_mark_read", tags=["notices"], request=NoticesReadSerializer,
        responses={200: NoticesReadResultSerializer, **ERRORS(400, 401)},
        summary="Mark the unread notices of a service (or of both) read.",
    )
    def post(self, request):
        data = NoticesReadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sources = [data.validated_data["source"]] if data.validated_data.get("source") else list(MARK_READ)
        with transaction.atomic():
            marked = sum(MARK_READ[source](user=request.user) for source in sources)
        return Response({"marked": marked})
