from django.conf import settings


def portal(request):
    return {
        "SUPPORT_PHONE_LOCAL": settings.SUPPORT_PHONE_LOCAL,
        "SUPPORT_PHONE_ABROAD": settings.SUPPORT_PHONE_ABROAD,
        "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
    }
