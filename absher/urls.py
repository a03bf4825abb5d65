from django.contrib import admin
from django.urls import include, path

from . import views

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
    path("staff/", admin.site.urls),
]
