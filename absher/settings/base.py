"""Settings shared by every environment, read from the environment (django-environ)."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A local .env (never committed; see .env.example) fills in what the shell does not set.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])

INSTALLED_APPS = [
    "absher.apps.AbsherAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "crispy_forms",
    "crispy_bootstrap5",
    "captcha",
    # Country names in Arabic and English for nationality codes (absher/templatetags/country_names.py: `{% load country_names %}`).
    "django_countries",
    "csp",
    # /health/live/ and /health/ready/ (absher/health.py), and its `manage.py health_check`.
    "health_check",
    # Request and database metrics for Prometheus at /metrics (absher/metrics.py).
    "django_prometheus",
    "absher",
    "accounts",
    "civil_affairs",
    "dependents",
    "passports",
    "biometrics",
    # The mobile app's JSON API under /api/v1/ (api/): Django REST framework, its OpenAPI 3 schema
    # from drf-spectacular (committed as docs/api/openapi.yaml).
    "rest_framework",
    "drf_spectacular",
    "api",
    # Web sessions and app devices of an account, and the app's tokens (devices/).
    "devices",
    # Passkeys (WebAuthn) for signing in without a password or SMS (passkeys/).
    "passkeys",
]

MIDDLEWARE = [
    # First and last: django-prometheus times the whole stack, the other middlewares included.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # The request's id (X-Request-ID) before anything can log: every record of the request has it.
    "absher.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "absher.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "absher.csp.CSPMiddleware",  # django-csp's, the policy built once (absher/csp.py)
    "absher.middleware.ErrorReferenceMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "absher.urls"
WSGI_APPLICATION = "absher.wsgi.application"
ASGI_APPLICATION = "absher.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "absher.context_processors.portal",
            ],
        },
    },
]

# Widget templates come from the project's templates too (the captcha's accessible widget).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"


def with_query_metrics(database: dict) -> dict:
    """`database` on django-prometheus's engine of the same vendor, which counts and times every
    query for /metrics (a counter and a histogram a query: microseconds). Other engines are left."""
    engine = database.get("ENGINE", "")
    vendor = engine.rsplit(".", 1)[-1]
    if engine.startswith("django.db.backends.") and vendor in ("postgresql", "sqlite3"):
        database["ENGINE"] = f"django_prometheus.db.backends.{vendor}"
    return database


# With no DATABASE_URL a newcomer gets SQLite; CI and production set PostgreSQL.
DATABASES = {"default": with_query_metrics(env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"))}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=0))
# Reads may go to a PostgreSQL streaming replica, off unless DATABASE_REPLICA_URL is set: then citizens'
# GET pages read it, and everything else the primary (absher/db_router.py says what and why). A browser
# that wrote reads the primary for DATABASE_REPLICA_PIN_SECONDS: keep it above the replica's worst lag.
DATABASE_REPLICA_PIN_SECONDS = env.int("DATABASE_REPLICA_PIN_SECONDS", default=30)
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = with_query_metrics(env.db("DATABASE_REPLICA_URL"))
    DATABASES["replica"].setdefault("CONN_MAX_AGE", DATABASES["default"]["CONN_MAX_AGE"])
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}  # tests read the primary under the replica's name
    DATABASE_ROUTERS = ["absher.db_router.PrimaryReplicaRouter"]
    MIDDLEWARE.append("absher.db_router.ReplicaReadsMiddleware")  # last: the session and user come from the primary
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    # absher.cache.RedisCache: Django's, with one client a connection pool (absher/cache.py says why).
    CACHES = {"default": {"BACKEND": "absher.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.UsernameOrNationalIdBackend"]
# Usernames are unique (in any case) among confirmed accounts only, by a partial unique index:
# registrations waiting for their SMS code may share one (accounts.models.User.Meta), and the
# backend above looks up confirmed accounts only.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

# The password policy: one validator class a rule (accounts/validators.py).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "accounts.validators.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "accounts.validators.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
    {"NAME": "accounts.validators.CompositionValidator"},
    {"NAME": "accounts.validators.UsernameShareValidator"},
    {"NAME": "accounts.validators.RepeatedCharacterValidator"},
    # The username has its own rule above (one message, not two, when the password is the username).
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("first_name", "last_name", "email")},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Language and time: Arabic first; "today" is the date in Riyadh.
LANGUAGE_CODE = "ar"
LANGUAGES = [("ar", _("Arabic")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Django's Arabic locale has no date-time format: ours reads day, month, year, then the time.
FORMAT_MODULE_PATH = ["absher.formats"]
LANGUAGE_COOKIE_NAME = "absher_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SECURE = False
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "Asia/Riyadh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "var" / "media")
# Attachments (civil_affairs/storage.py) live in the storage STORAGES["attachments"], outside the static
# and web roots, and reach their owner only through a permission-checked view. Here that storage is the
# local disk under PRIVATE_FILES_ROOT (folders staging/ and attachments/); production may put them in an
# S3 bucket instead (ATTACHMENTS_S3_BUCKET, absher/settings/production.py).
PRIVATE_FILES_ROOT = env.path("PRIVATE_FILES_ROOT", default=BASE_DIR / "var" / "private")

# Uploads (civil_affairs/uploads.py): PDF, JPEG, PNG checked by content; images re-encoded.
UPLOAD_MAX_BYTES = 5 * 1024 * 1024
UPLOAD_MAX_FILES = 10
UPLOAD_MAX_PIXELS = 40_000_000
# Django refuses a request with more files than this outright; up to it, the form says which rule failed.
DATA_UPLOAD_MAX_NUMBER_FILES = 20
MALWARE_SCANNER = env("MALWARE_SCANNER", default="civil_affairs.scanning.SignatureScanner")
# Fingerprints (biometrics): the reader driver and the matcher by dotted path. The simulated
# reader can present anyone's finger: allowed with DEBUG or when FINGERPRINT_SIMULATOR_ALLOWED says so.
# The matcher is NIST NBIS inside Debian's libfprint (biometrics/engine); its threshold and the
# number of touches before a failed match counts are measured in bench/fingerprint_match.py.
FINGERPRINT_READER = env("FINGERPRINT_READER", default="biometrics.readers.simulated.SimulatedReader")
FINGERPRINT_MATCHER = env("FINGERPRINT_MATCHER", default="biometrics.matching.NbisMatcher")
FINGERPRINT_SIMULATOR_ALLOWED = env.bool("FINGERPRINT_SIMULATOR_ALLOWED", default=False)
FINGERPRINT_MATCH_THRESHOLD = env.int("FINGERPRINT_MATCH_THRESHOLD", default=None)
FINGERPRINT_MATCH_TIMEOUT = env.float("FINGERPRINT_MATCH_TIMEOUT", default=10.0)
FINGERPRINT_CAPTURES_PER_TRY = env.int("FINGERPRINT_CAPTURES_PER_TRY", default=3)
# De-duplication at enrolment (biometrics.abis): the engine behind the insert/identify/delete interface.
FINGERPRINT_ABIS = env("FINGERPRINT_ABIS", default="biometrics.abis.reference.ReferenceAbis")
# The bozorth3 score a de-duplication hit needs: stricter than the 1:1 threshold, because one
# search compares with the whole gallery (docs/biometrics.md); every hit is adjudicated by staff.
FINGERPRINT_DEDUP_THRESHOLD = env.int("FINGERPRINT_DEDUP_THRESHOLD", default=None)
# Encrypts the reference templates at rest (a comma-separated list rotates keys); production sets it.
FINGERPRINT_KEY = env("FINGERPRINT_KEY", default="")

# Payments of passport services (passports/payments): a simulated gateway until a real one is plugged in.
PAYMENT_BACKEND = env("PAYMENT_BACKEND", default="passports.payments.simulated.PaymentBackend")
# The HMAC-SHA256 key of the gateway's server-to-server payment notifications (shared with the
# gateway); production sets it (a deploy check), development derives one from SECRET_KEY.
PAYMENT_NOTIFICATION_KEY = env("PAYMENT_NOTIFICATION_KEY", default="")
# A notification whose signed timestamp is further than this from our clock (either way) is refused.
PAYMENT_NOTIFICATION_WINDOW = timedelta(minutes=5)
CLAMD_HOST = env("CLAMD_HOST", default="127.0.0.1")
CLAMD_PORT = env.int("CLAMD_PORT", default=3310)
CLAMD_SOCKET = env("CLAMD_SOCKET", default="")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # Reads PRIVATE_FILES_ROOT when first used; it has no URL.
    "attachments": {"BACKEND": "civil_affairs.storage.PrivateFileSystemStorage"},
}

# Sessions: 15 minutes idle and 12 hours absolute (accounts.middleware.SessionTimeoutMiddleware).
# Every signed-in request reads its session: from the cache (Redis in production), written
# through to the database. "cached_db" rather than "cache": a session kept in Redis alone ends
# when Redis restarts, fails over or evicts under memory pressure, and every citizen signed in
# at that moment would have to sign in again, with an SMS code each, all at once (the code caps
# and the SMS gateway would take the surge). The writes left are few: signing in and out, and
# the idle-timeout bookkeeping, at most once a minute a session. clearsessions
# (absher.tasks.clear_sessions) deletes the expired rows as with the database engine.
# Production falls back to the database engine when it has no Redis (settings/production.py).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_CACHE_ALIAS = "default"
SESSION_IDLE_TIMEOUT = timedelta(minutes=15)
SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=12)
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_TIMEOUT.total_seconds())
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "absher_session"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "absher.views.csrf_failure"

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy (django-csp 4): no inline script, nothing from another origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "media-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# django-simple-captcha: the visual challenge, with an audio alternative where flite is installed.
CAPTCHA_IMAGE_SIZE = (160, 50)
CAPTCHA_FONT_SIZE = 34
CAPTCHA_LENGTH = 5
# Challenges come from a pool made ahead of time by the worker (absher.tasks.refill_captcha_pool,
# every minute), not one INSERT (and its commit) on every view of the registration page: a challenge
# lives CAPTCHA_TIMEOUT minutes, is shown only while it has CAPTCHA_GET_FROM_POOL_TIMEOUT of them
# left (a visitor has at least 10 minutes, as before the pool), and is deleted when it is answered,
# right or wrong. An empty pool makes a new challenge, as without one (django-simple-captcha logs it).
CAPTCHA_TIMEOUT = 30
CAPTCHA_GET_FROM_POOL = True
CAPTCHA_GET_FROM_POOL_TIMEOUT = 10
CAPTCHA_POOL_SIZE = 1000
CAPTCHA_CHALLENGE_FUNCT = "captcha.helpers.random_char_challenge"
CAPTCHA_FLITE_PATH = env("CAPTCHA_FLITE_PATH", default="/usr/bin/flite")

# SMS gateway (absher/sms): a dotted path, as Django chooses e-mail backends.
SMS_BACKEND = env("SMS_BACKEND", default="absher.sms.backends.console.SmsBackend")
SMS_FILE_PATH = env.path("SMS_FILE_PATH", default=BASE_DIR / "var" / "sms.jsonl")
TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env("TWILIO_FROM_NUMBER", default="")

# The notification pipeline (absher/notifications): notices for the portal and an outbox row per
# message, delivered by a Celery task each (GOV.UK Notify's model). Every gateway call has this
# timeout (seconds); a failed message is tried again after each of these delays (seconds, then
# minutes, then hours), then it is a dead letter for staff (the admin's outbox). A code is never
# sent after its lifetime, whatever is left of this table.
NOTIFY_GATEWAY_TIMEOUT = env.float("NOTIFY_GATEWAY_TIMEOUT", default=10.0)
NOTIFY_RETRY_DELAYS = (10, 60, 5 * 60, 30 * 60, 2 * 3600, 6 * 3600)
# A worker's claim on a message (status `sending`): longer than the task's hard time limit
# (absher.notifications.tasks), so that only a worker that died leaves a claim to run out; the
# sweeper then enqueues the message again (see docs in absher/notifications/delivery.py).
NOTIFY_LEASE = timedelta(minutes=2)
# A message still `created` this long after its commit lost its broker message: the sweeper enqueues it again.
NOTIFY_REQUEUE_AFTER = timedelta(minutes=2)
# A message the gateway accepted but never sent a receipt for becomes a technical failure after this.
NOTIFY_RECEIPT_TIMEOUT = timedelta(hours=72)
# Messages that carry a one-time code are encrypted at rest with this Fernet key (a comma-separated
# list rotates keys) and wiped once sent or expired; production sets it, development derives one
# from SECRET_KEY.
NOTIFY_ENCRYPTION_KEY = env("NOTIFY_ENCRYPTION_KEY", default="")
# The public https origin Twilio posts delivery receipts to (e.g. https://absher.example); empty: no receipts.
NOTIFY_CALLBACK_BASE_URL = env("NOTIFY_CALLBACK_BASE_URL", default="")

# One-time codes (accounts/otp.py): NIST SP 800-63B 5.1.3.2, OWASP ASVS 2.7.
OTP_LENGTH = 6
OTP_VALIDITY = timedelta(minutes=5)
OTP_MAX_ATTEMPTS = 5
OTP_RESEND_COOLDOWN = timedelta(seconds=60)
OTP_MAX_PER_MOBILE_15_MIN = 3
OTP_MAX_PER_MOBILE_DAY = 10
OTP_MAX_PER_ADDRESS_HOUR = 20
# The key of the codes' HMAC; production sets its own, else it is derived from SECRET_KEY.
OTP_HMAC_KEY = env("OTP_HMAC_KEY", default="")

# The Ed25519 key that signs the QR codes of receipts and decisions (absher/verification/signing.py): 32
# bytes in base64; production sets its own, else it is derived from SECRET_KEY.
DOCUMENT_SIGNING_KEY = env("DOCUMENT_SIGNING_KEY", default="")

# Failed sign-ins (accounts/lockout.py): ASVS 2.2.1, NIST 800-63B 5.2.2.
LOGIN_FAILURE_LIMIT = 10
LOGIN_LOCKOUT_BASE = timedelta(minutes=15)
LOGIN_LOCKOUT_MAX = timedelta(hours=24)
LOGIN_MAX_PROCESSED_PER_HOUR = 100
LOGIN_ADDRESS_FAILURE_LIMIT = 50
# A provisioned kiosk serves many citizens from one address: its own, higher per-address caps.
LOGIN_SHARED_DEVICE_FAILURE_LIMIT = 300
OTP_MAX_PER_SHARED_DEVICE_HOUR = 240

# Unconfirmed registrations free their ID, mobile and username after this.
REGISTRATION_PENDING_LIFETIME = timedelta(hours=24)
TERMS_VERSION = "2026-11"

# Background work on Celery with Redis as the broker (absher/celery.py; DESIGN.md, "Outside effects
# leave through one pipeline"). Without CELERY_BROKER_URL (development, unit tests) every task runs
# eagerly in the calling process right after the commit that enqueued it, so `bash scripts/run.sh`
# needs no Redis and no worker, and the console SMS backend prints as before.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"  # eager: nothing reaches a broker, and nothing waits for one
CELERY_TASK_EAGER_PROPAGATES = True
# A message is acknowledged when its task ends, and handed back when the worker running it dies:
# a killed worker loses nothing (and the outbox's claim guard keeps a second run from sending twice).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One message at a time per worker process: a slow gateway holds up one message, not a prefetched batch.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Outcomes are recorded on the rows themselves (outbox, bills): no result backend.
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
# Past the soft limit a task gets SoftTimeLimitExceeded and can record it; the hard limit kills it.
# Gateway calls have their own timeouts of seconds; a periodic batch fits well within.
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
# Redis hands an unacknowledged message to another worker after the visibility timeout. It must be
# longer than the longest countdown of any retry (a worker holds a message that waits for its
# countdown unacknowledged: were the timeout shorter, a second worker would run it too; the
# outbox's last retries wait hours, a refund's minutes) and than the hard time limit above. A
# message whose worker died whole comes back after this long; the outbox sweeper re-enqueues
# such rows much sooner, and a worker killed under a live parent (prefork) hands it back at once.
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=12 * 3600)
# A Redis that vanishes without closing the connection must not hold a web request that enqueues
# (publishing gives up after a few short tries; the outbox sweeper enqueues what was not).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT, "socket_connect_timeout": 2,
                                   "socket_timeout": 10}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # the worker logs through LOGGING below, like the web
CELERY_TIMEZONE = TIME_ZONE  # crontab hours below are Riyadh hours
CELERY_BEAT_SCHEDULE_FILENAME = str(env.path("CELERY_BEAT_SCHEDULE_FILENAME", default=BASE_DIR / "var" / "celerybeat-schedule"))
CELERY_BEAT_SCHEDULER = "absher.celery:BeatScheduler"  # the file above, in a folder it makes

# Periodic work, sent by `celery -A absher beat` (one beat process per deployment). Each task takes
# a lock of its own (absher.periodic), so two runs at once are safe; each is also a management
# command for operators. "expires": a run the workers could not start before the next one is due
# is dropped, not piled up. Apps add their entries here (the outbox's sweeper among them).
CELERY_BEAT_SCHEDULE = {
    "expire-registrations": {"task": "accounts.tasks.expire_registrations", "schedule": timedelta(minutes=5),
                             "options": {"expires": 5 * 60}},
    "sweep-attachments": {"task": "civil_affairs.tasks.sweep_attachments", "schedule": crontab(minute=17),
                          "options": {"expires": 3600}},
    # Daytime in Riyadh: a reminder SMS is not a message to wake anyone up with.
    "send-expiry-reminders": {"task": "passports.tasks.send_expiry_reminders", "schedule": crontab(minute=0, hour=9),
                              "options": {"expires": 6 * 3600}},
    # Confirms or closes payments the gateway knows about, then finishes the refunds left pending
    # (billing.bills_refund_resume runs inside it: it needs no entry of its own).
    "reconcile-payments": {"task": "passports.tasks.reconcile_payments", "schedule": timedelta(minutes=5),
                           "options": {"expires": 5 * 60}},
    # The quiet hours, one after another.
    "clear-sessions": {"task": "absher.tasks.clear_sessions", "schedule": crontab(minute=0, hour=3),
                       "options": {"expires": 6 * 3600}},
    "purge-one-time-codes": {"task": "accounts.tasks.purge_one_time_codes", "schedule": crontab(minute=15, hour=3),
                             "options": {"expires": 6 * 3600}},
    "purge-login-throttles": {"task": "accounts.tasks.purge_login_throttles", "schedule": crontab(minute=30, hour=3),
                              "options": {"expires": 6 * 3600}},
    "purge-kiosk-attempts": {"task": "biometrics.tasks.purge_kiosk_attempts", "schedule": crontab(minute=45, hour=3),
                             "options": {"expires": 6 * 3600}},
    # De-duplication requests still queued after a lost message or a worker restart are queued again.
    "resume-dedup-requests": {"task": "biometrics.tasks.resume_dedup_requests", "schedule": timedelta(minutes=15),
                              "options": {"expires": 10 * 60}},
    # Sessions and app devices past their timeouts are marked ended; dead tokens go (devices/).
    "expire-devices": {"task": "devices.tasks.expire_devices", "schedule": crontab(minute=55, hour=3),
                       "options": {"expires": 6 * 3600}},
    "purge-outbox": {"task": "absher.notifications.tasks.purge_outbox", "schedule": crontab(minute=50, hour=3),
                     "options": {"expires": 6 * 3600}},
    # The registration page's challenges (CAPTCHA_GET_FROM_POOL above); a full pool costs one COUNT.
    "refill-captcha-pool": {"task": "absher.tasks.refill_captcha_pool", "schedule": timedelta(minutes=1),
                            "options": {"expires": 60}},
    # The outbox (absher/notifications): re-enqueues messages stuck past their lease, dead-letters the last failures.
    "outbox-sweep": {"task": "absher.notifications.tasks.outbox_sweep", "schedule": timedelta(minutes=1),
                     "options": {"expires": 60}},
}

# How long rows kept only to enforce a rule stay after they stopped mattering (the purges above).
# Audit rows (absher.AuditEvent) are the record of what happened and are never purged; these are
# working rows, kept a little past their use so that support can answer a citizen, then deleted
# (the PDPL's rule: personal data is destroyed once the purpose it was collected for has ended).
# One-time codes: a code lives 5 minutes and the SMS caps count codes over at most a day; 30 days
# lets support answer "my code never came" within a month (the audit keeps that a code was sent).
RETENTION_OTP_DAYS = env.int("RETENTION_OTP_DAYS", default=30)
# Sign-in and finger-match throttles idle this long (and not locked) are deleted: the longest
# lockout is 24 hours, and a month's quiet is no longer an attack to slow down.
RETENTION_THROTTLE_DAYS = env.int("RETENTION_THROTTLE_DAYS", default=30)
# Kiosk reader attempts (result, quality, score, never a template) serve the staff's review of
# impersonation attempts and of the matcher's threshold over a yearly audit cycle. Attempts that
# completed an activation or a mobile change are evidence of it and are kept.
RETENTION_KIOSK_ATTEMPT_DAYS = env.int("RETENTION_KIOSK_ATTEMPT_DAYS", default=365)
# Finished outbox messages (recipient, text; a code's text is wiped when it is sent): 90 days lets
# support trace a message a citizen asks about within a quarter; the notice and the audit row stay.
RETENTION_OUTBOX_DAYS = env.int("RETENTION_OUTBOX_DAYS", default=90)

# Ages (civil_affairs/ages.py): the calendar each kind of person's age is counted in.
AGE_CALENDAR_CITIZEN = "hijri"
AGE_CALENDAR_RESIDENT = "gregorian"

# How many proxies in front of the app append to X-Forwarded-For (0: use REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# /metrics (absher/metrics.py) answers only these client addresses or networks (comma-separated,
# e.g. the Prometheus server's "10.0.3.7" or "10.0.3.0/24"), or a request with the header
# "Authorization: Bearer <METRICS_TOKEN>" when that is set; anyone else gets a 404. The client's
# address is read as for the audit (TRUSTED_PROXY_COUNT). For counters right across gunicorn's
# workers, set PROMETHEUS_MULTIPROC_DIR in the environment (see absher/metrics.py).
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
METRICS_TOKEN = env("METRICS_TOKEN", default="")

SUPPORT_PHONE_LOCAL = "920020405"
SUPPORT_PHONE_ABROAD = "+966 11 461 8666"
SUPPORT_EMAIL = env("SUPPORT_EMAIL", default="support@absher.example")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="no-reply@absher.example")
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")

# Every handler writes through absher.logging.SafeFormatter: one line per record, control
# characters escaped, so nothing a user sends can forge or split a log line. Django's records
# about responses pass absher.logging.RequestOutcomeHandler first: only a server error is an ERROR
# (with its traceback and the reference its page shows); 404/405 are INFO, other 4xx (CSRF,
# permission denied, suspicious requests) WARNING, without traceback. The `django` logger's
# default handlers (a console of its own with DEBUG, the admins' mail, the development server's)
# give way to the root's.
#
# DJANGO_LOG_FORMAT: "plain" (one readable line a record; development and tests) or "json" (one
# JSON object a line, with the request's id: absher.logging.JsonFormatter; production's default).
# The request id filter gives every record the id of the request or task it belongs to
# (absher.request_id); the plain format does not print it.
LOG_LEVEL = env("DJANGO_LOG_LEVEL", default="INFO")
LOG_FORMAT = env("DJANGO_LOG_FORMAT", default="plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"class": "absher.logging.SafeFormatter", "format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"class": "absher.logging.JsonFormatter"},
    },
    "filters": {"request_id": {"()": "absher.request_id.RequestIdFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"],
                    "level": LOG_LEVEL},
        "request_outcome": {"class": "absher.logging.RequestOutcomeHandler"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["request_outcome"], "level": "INFO"},
        "django.server": {"handlers": [], "propagate": True},
    },
}


# --- the mobile app's API (api/) and its devices (devices/) ---------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.DeviceTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.ActiveCitizen"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser", "rest_framework.parsers.MultiPartParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Page",
    "PAGE_SIZE": 20,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Absher Individuals API",
    "DESCRIPTION": "The JSON API of the Absher Individuals mobile app: the same services as the portal's pages.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "RequestStatusEnum": "civil_affairs.models.RequestStatus",
        "AccountStateEnum": "accounts.models.AccountState",
        "DeviceKindEnum": "devices.models.Device.Kind",
    },
    # Statuses every route may answer (api/schema.py): 415 where there is a body, 404 for a list's
    # page past its end; drf-spectacular's own hooks first.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.document_common_errors",
    ],
}
# Access tokens are short-lived; refresh tokens rotate at each use (a refresh token used twice ends
# its device: theft detection); a device signs in again at most API_DEVICE_MAX_AGE after its sign-in.
API_ACCESS_TOKEN_LIFETIME = timedelta(minutes=env.int("API_ACCESS_TOKEN_MINUTES", default=10))
API_REFRESH_TOKEN_LIFETIME = timedelta(days=env.int("API_REFRESH_TOKEN_DAYS", default=30))
API_DEVICE_MAX_AGE = timedelta(days=env.int("API_DEVICE_MAX_AGE_DAYS", default=90))

# Passkeys (WebAuthn, passkeys/): the relying party is the portal's registrable domain; the
# origins its pages are served from (the mobile app's own origin too, e.g. android:apk-key-hash:...).
WEBAUTHN_RP_ID = env("WEBAUTHN_RP_ID", default="localhost")
WEBAUTHN_RP_NAME = env("WEBAUTHN_RP_NAME", default="Absher")
WEBAUTHN_ORIGINS = env.list("WEBAUTHN_ORIGINS", default=["http://localhost:8000", "http://127.0.0.1:8000"])
