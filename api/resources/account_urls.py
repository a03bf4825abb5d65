"""The account's own controls: take your data, close your account (api/resources/account.py)."""

from django.urls import path

from . import account

urlpatterns = [
    path("profile/data/", account.PersonalDataView.as_view(), name="profile-data"),
    path("profile/close/", account.CloseStartView.as_view(), name="profile-close"),
    path("profile/close/confirm/", account.CloseConfirmView.as_view(), name="profile-close-confirm"),
]
