"""Mounted at the site's root: `path("", include("biometrics.urls"))` (public centres and kiosk pages)."""

from django.urls import path

from absher import converters  # noqa: F401  (registers the identifiers' shapes)

from . import kiosk_views as kiosk
from . import views

app_name = "biometrics"

urlpatterns = [
    path("centres/", views.centre_list, name="centre-list"),
    # The kiosk's own pages (a provisioned device only).
    path("kiosk/", kiosk.kiosk_start, name="kiosk-start"),
    path("kiosk/begin/", kiosk.kiosk_begin, name="kiosk-begin"),
    path("kiosk/reset/", kiosk.kiosk_reset, name="kiosk-reset"),
    path("kiosk/heartbeat/", kiosk.kiosk_heartbeat, name="kiosk-heartbeat"),
    path("kiosk/menu/", kiosk.step_view(kiosk.MenuStep), name="kiosk-menu"),
    path("kiosk/id/", kiosk.step_view(kiosk.IdStep), name="kiosk-id"),
    path("kiosk/finger/", kiosk.step_view(kiosk.FingerStep), name="kiosk-finger"),
    path("kiosk/terms/", kiosk.step_view(kiosk.TermsStep), name="kiosk-terms"),
    path("kiosk/mobile/", kiosk.step_view(kiosk.MobileStep), name="kiosk-mobile"),
    path("kiosk/mobile/code/", kiosk.step_view(kiosk.MobileCodeStep), name="kiosk-mobile-code"),
    path("kiosk/sign-in/", kiosk.step_view(kiosk.CredentialsStep), name="kiosk-credentials"),
    path("kiosk/sign-in/code/", kiosk.step_view(kiosk.LoginCodeStep), name="kiosk-login-code"),
    path("kiosk/new-mobile/", kiosk.step_view(kiosk.NewMobileStep), name="kiosk-new-mobile"),
    path("kiosk/new-mobile/code/", kiosk.step_view(kiosk.NewMobileCodeStep), name="kiosk-new-mobile-code"),
    path("kiosk/claim/", kiosk.step_view(kiosk.ClaimStep), name="kiosk-claim"),
    path("kiosk/code/resend/", kiosk.kiosk_code_resend, name="kiosk-code-resend"),
    path("kiosk/done/", kiosk.step_view(kiosk.DoneStep), name="kiosk-done"),
    path("kiosk/stop/", kiosk.step_view(kiosk.StopStep), name="kiosk-stop"),
    path("kiosk/reader/", kiosk.kiosk_reader_post, name="kiosk-reader"),
    # Kiosk operators (staff).
    path("kiosk/provision/", views.kiosk_provision, name="kiosk-provision"),
    path("kiosk/operator/", views.operator_kiosks, name="operator-kiosks"),
    path("kiosk/operator/<id:pk>/end-session/", views.operator_session_end, name="operator-session-end"),
    path("kiosk/operator/<id:pk>/service/", views.operator_service, name="operator-service"),
]
