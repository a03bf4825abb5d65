from django.urls import path

from . import api

urlpatterns = [
    path("options/", api.PasskeyOptionsView.as_view(), name="passkey-options"),
    path("", api.PasskeySignInView.as_view(), name="passkey-sign-in"),
]
