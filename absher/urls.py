from django.contrib import admin
from django.urls import include, path

from . import health, metrics, views

handler403 = "absher.views.permission_denied"
handler404 = "absher.views.page_not_found"
handler500 = "absher.views.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("contact/", views.contact, name="contact"),
    path("language/", views.set_language, name="set-language"),
    path("accounts/", include("accounts.urls")),
    path("services/civil-affairs/", include("civil_affairs.urls")),
    path("services/dependents/", include("dependents.urls")),
    path("services/passports/", include("passports.urls")),
    path("", include("biometrics.urls")),
    path("captcha/", include("captcha.urls")),
    path("notifications/", include("absher.notifications.urls")),
    path("verify/", include("absher.verification.urls")),
    path("accounts/devices/", include("devices.urls")),
    path("accounts/passkeys/", include("passkeys.urls")),
    # The mobile app's JSON API (api/urls.py): its schema at /api/v1/schema/.
    path("api/v1/", include("api.urls")),
    path("staff/", admin.site.urls),
    # For the operators' machines: the probes (absher/health.py) and the metrics (absher/metrics.py,
    # answered only to METRICS_ALLOWED_IPS or METRICS_TOKEN, a 404 to anyone else).
    path("health/live/", health.live, name="health-live"),
    path("health/ready/", health.ready, name="health-ready"),
    path("metrics", metrics.metrics, name="metrics"),
]
