from django.conf import settings


def portal(request):
    return {
        "SUPPORT_PHONE_LOCAL": settings.SUPPORT_PHONE_LOCAL,
        "SUPPORT_PHONE_ABROAD": settings.SUPPORT_PHONE_ABROAD,
        "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
        # How long an SMS code lasts, as the pages say it (from the setting, never a literal).
        "OTP_MINUTES": int(settings.OTP_VALIDITY.total_seconds() // 60),
    }
