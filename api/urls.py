"""/api/v1/: the mobile app's API. Each part keeps its own routes."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(permission_classes=[], authentication_classes=[]), name="schema"),
    # Signing in, tokens, signing out (api/auth.py).
    path("auth/", include("api.auth_urls")),
    # Passkeys: sign-in options and assertion for the app (passkeys/api.py).
    path("auth/passkey/", include("passkeys.api_urls")),
    # The citizen's services: profile, notices, dependents, requests, passports, bills, receipts.
    path("", include("api.resources.urls")),
]
