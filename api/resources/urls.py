from django.urls import include, path

urlpatterns = [
    # Profile, language, notices, dependents, civil affairs requests (api/resources/citizen_urls.py).
    path("", include("api.resources.citizen_urls")),
    # Passports: people, documents, visas, permits, bills, payments, receipts (api/resources/passports_urls.py).
    path("", include("api.resources.passports_urls")),
    # The account's own controls: take your data, close your account (api/resources/account.py).
    path("", include("api.resources.account_urls")),
    # The account's sessions and devices (devices/api.py).
    path("", include("devices.api_urls")),
]
