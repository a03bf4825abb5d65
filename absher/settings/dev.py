"""Development: DEBUG on, SQLite unless DATABASE_URL says otherwise, SMS on the console."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production-0123456789")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

# No Celery beat runs beside `scripts/run.sh` to refill the captcha pool (absher.tasks.refill_captcha_pool):
# each registration page makes its own challenge, as django-simple-captcha does without a pool.
CAPTCHA_GET_FROM_POOL = False
