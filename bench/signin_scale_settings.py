"""Settings of bench/signin_scale.py: the test settings with the production hasher (Argon2), the
scratch database the bench creates (BENCH_DATABASE_URL), and the code caps lifted, so that many
sign-ins from one address measure the sign-in and not the caps."""

import os
from datetime import timedelta

from absher.settings.test import *  # noqa: F403
from absher.settings.test import env

PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
DATABASES = {"default": env.db_url_config(os.environ["BENCH_DATABASE_URL"])}
OTP_RESEND_COOLDOWN = timedelta(0)
OTP_MAX_PER_MOBILE_15_MIN = OTP_MAX_PER_MOBILE_DAY = OTP_MAX_PER_ADDRESS_HOUR = 10**9
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
CAPTCHA_TEST_MODE = False  # the bench signs in through the service, not the form
