from django.urls import path

from absher import converters  # noqa: F401  (registers the identifiers' shapes)

from . import views

app_name = "devices"

urlpatterns = [
    path("", views.device_list, name="device-list"),
    path("<id:device_id>/end/", views.device_end, name="device-end"),
    path("end-others/", views.devices_end_others, name="devices-end-others"),
    path("not-me/", views.not_me, name="not-me"),
    path("not-me/done/", views.not_me_done, name="not-me-done"),
]
