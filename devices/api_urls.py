"""/api/v1/devices/: the account's sessions and devices (devices/api.py)."""

from django.urls import path

from absher import converters  # noqa: F401  (registers the identifiers' shapes)

from . import api

urlpatterns = [
    path("devices/", api.DeviceListView.as_view(), name="device-list"),
    path("devices/<id:device_id>/end/", api.DeviceEndView.as_view(), name="device-end"),
    path("devices/end-others/", api.DevicesEndOthersView.as_view(), name="devices-end-others"),
    path("devices/not-me/", api.NotMeView.as_view(), name="devices-not-me"),
]
