"""The account's profile and its preferred language: the profile page's data (accounts.views.profile)."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services as accounts_services
from accounts.models import User
from biometrics.selectors import activation_of

from ..permissions import SignedIn
from ..schema import ERRORS
from .serializers_citizen import LanguageSerializer, ProfileSerializer


def profile_response(user_id: int) -> Response:
    user = User.objects.select_related("person").get(pk=user_id)
    return Response(ProfileSerializer(user, context={"activation": activation_of(user)}).data)


class ProfileView(APIView):
    # Like the profile page: any signed-in account, activated or not.
    permission_classes = [SignedIn]

    @extend_schema(
        operation_id="profile_retrieve", tags=["profile"], responses={200: ProfileSerializer, **ERRORS(401)},
        summary="The account and the registry's record of its holder, as the profile page shows them.",
    )
    def get(self, request):
        return profile_response(request.user.pk)


class ProfileLanguageView(APIView):
    permission_classes = [SignedIn]

    @extend_schema(
        operation_id="profile_language_update", tags=["profile"], request=LanguageSerializer,
        responses={200: ProfileSerializer, **ERRORS(400, 401)},
        summary="The preferred language (the account's SMS are written in it). Answers with the profile.",
    )
    def patch(self, request):
        data = LanguageSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        accounts_services.language_change(user=request.user, language=data.validated_data["language"])
        return profile_response(request.user.pk)
