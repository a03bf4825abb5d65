"""/api/v1/: the mobile app's API. Each part keeps its own routes."""

from django.urls import include, path, re_path
from django.utils.translation import gettext as _
from drf_spectacular.views import SpectacularAPIView
from rest_framework import exceptions
from rest_framework.views import APIView

app_name = "api"


class NoSuchRoute(APIView):
    """Any other path under /api/v1/ (a parameter its route's converter refuses, a typo): the API's
    404 in the error shape, never the portal's HTML page. Not in the schema."""

    authentication_classes = []
    permission_classes = []
    schema = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raise exceptions.NotFound(_("Not found."))


urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(permission_classes=[], authentication_classes=[]), name="schema"),
    # Signing in, tokens, signing out (api/auth.py).
    path("auth/", include("api.auth_urls")),
    # Passkeys: sign-in options and assertion for the app (passkeys/api.py).
    path("auth/passkey/", include("passkeys.api_urls")),
    # The citizen's services: profile, notices, dependents, requests, passports, bills, receipts.
    path("", include("api.resources.urls")),
    # Last: whatever matched nothing above.
    re_path(r"^", NoSuchRoute.as_view(), name="no-such-route"),
]
