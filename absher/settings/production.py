"""Production: every secret from the environment, with no default; HTTPS only."""

import environ

from .base import *  # noqa: F403
from .base import DATABASES, LOGGING, REDIS_URL, env, with_query_metrics

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
OTP_HMAC_KEY = env("OTP_HMAC_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
DATABASES = {**DATABASES, "default": with_query_metrics(env.db("DATABASE_URL"))}  # the replica (base.py), when there is one, stays
for _alias in DATABASES:
    DATABASES[_alias]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
SMS_BACKEND = env("SMS_BACKEND", default="absher.sms.backends.twilio.SmsBackend")
MALWARE_SCANNER = env("MALWARE_SCANNER", default="civil_affairs.scanning.ClamdScanner")
FINGERPRINT_KEY = env("FINGERPRINT_KEY")
PAYMENT_NOTIFICATION_KEY = env("PAYMENT_NOTIFICATION_KEY")
NOTIFY_ENCRYPTION_KEY = env("NOTIFY_ENCRYPTION_KEY")
# Signs the QR codes of receipts and decisions (32 bytes, base64): no default, the portal refuses to start.
DOCUMENT_SIGNING_KEY = env("DOCUMENT_SIGNING_KEY")
# Passkeys: the relying party (the registrable domain passkeys are bound to) and the origins that
# may use them, the mobile app's included: no default, a passkey is bound to them for good.
WEBAUTHN_RP_ID = env("WEBAUTHN_RP_ID")
WEBAUTHN_ORIGINS = env.list("WEBAUTHN_ORIGINS")
# Outside effects leave through the workers: a broker is required (the cache's Redis by default; better a
# database of its own with maxmemory-policy noeviction, so that no queued message is ever evicted).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or environ.Env.NOTSET)
CELERY_TASK_ALWAYS_EAGER = False
# Only a demo deployment runs the simulated payment gateway (deploy check passports.E004).
PAYMENT_SIMULATOR_ALLOWED = env.bool("PAYMENT_SIMULATOR_ALLOWED", default=False)
FINGERPRINT_READER = env("FINGERPRINT_READER", default="biometrics.readers.agent.KioskAgentReader")
# NIST NBIS through libfprint unless a vendor's matcher is named (docs/biometrics.md).
FINGERPRINT_MATCHER = env("FINGERPRINT_MATCHER", default="biometrics.matching.NbisMatcher")

SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The probes and the metrics scrape come over plain http from inside (an orchestrator, Prometheus),
# not through the proxy that terminates TLS: they get their answer, not a redirect to https.
SECURE_REDIRECT_EXEMPT = [r"^health/(live|ready)/$", r"^metrics$"]
SECURE_HSTS_SECONDS = 63072000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-absher_session"
# Sessions are read from the cache only when it is the one Redis every process shares (base.py,
# "Sessions"): each process's own memory would go on serving a session another process has ended.
if not REDIS_URL:
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
CSRF_COOKIE_NAME = "__Host-csrftoken"

# Attachments: in an S3-compatible bucket when ATTACHMENTS_S3_BUCKET is set, which every web and worker
# machine shares; without it, on this machine's disk under PRIVATE_FILES_ROOT as in development, which
# only a single-machine deployment can use (deploy check civil_affairs.W001 warns). The bucket:
#   ATTACHMENTS_S3_BUCKET, ATTACHMENTS_S3_PREFIX (a folder inside it, optional),
#   ATTACHMENTS_S3_ENDPOINT_URL (any S3-compatible service; unset: AWS), ATTACHMENTS_S3_REGION,
#   ATTACHMENTS_S3_ACCESS_KEY_ID and ATTACHMENTS_S3_SECRET_ACCESS_KEY (unset: boto3's own chain, e.g. the
#   machine's role), ATTACHMENTS_S3_ACL (default "private"; "" for a bucket whose ACLs are disabled),
#   ATTACHMENTS_S3_ENCRYPTION ("AES256" or "aws:kms" to ask for server-side encryption on every write,
#   with ATTACHMENTS_S3_KMS_KEY_ID for a key of the ministry's own; unset: the bucket's default).
# The bucket blocks all public access. No object gets a URL: links are unsigned (querystring_auth off), so
# a URL of a private object is refused, and downloads stream through the permission-checked view.
ATTACHMENTS_S3_BUCKET = env("ATTACHMENTS_S3_BUCKET", default="")
ATTACHMENTS_STORAGE = {"BACKEND": "civil_affairs.storage.PrivateFileSystemStorage"}
if ATTACHMENTS_S3_BUCKET:
    _encryption = {
        key: value for key, value in {
            "ServerSideEncryption": env("ATTACHMENTS_S3_ENCRYPTION", default=""),
            "SSEKMSKeyId": env("ATTACHMENTS_S3_KMS_KEY_ID", default=""),
        }.items() if value
    }
    ATTACHMENTS_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": ATTACHMENTS_S3_BUCKET,
            "location": env("ATTACHMENTS_S3_PREFIX", default=""),
            "endpoint_url": env("ATTACHMENTS_S3_ENDPOINT_URL", default=None),
            "region_name": env("ATTACHMENTS_S3_REGION", default=None),
            "access_key": env("ATTACHMENTS_S3_ACCESS_KEY_ID", default=None),
            "secret_key": env("ATTACHMENTS_S3_SECRET_ACCESS_KEY", default=None),
            "default_acl": env("ATTACHMENTS_S3_ACL", default="private") or None,
            "object_parameters": _encryption,
            "querystring_auth": False,
            # Names are random and new: no existence check (one request fewer) before each write.
            "file_overwrite": True,
        },
    }
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    "attachments": ATTACHMENTS_STORAGE,
}

# One JSON object a line for the log aggregator, with the request's id (absher.logging.JsonFormatter).
LOG_FORMAT = env("DJANGO_LOG_FORMAT", default="json")
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT

# Error tracking: only when SENTRY_DSN is set (absher/sentry.py says what is sent, and what never is).
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    from absher.sentry import init_sentry

    init_sentry(
        dsn=SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", default="production"),
        release=env("SENTRY_RELEASE", default="") or None,
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )
