# syntax=docker/dockerfile:1
# The portal's image: one image for web (gunicorn), worker and beat (celery); compose.yaml runs it.
# The commands are those of scripts/serve.sh (tests/test_deploy_files.py keeps them the same).

# --- build: compilers and headers, the requirements into a venv, messages and static files ----------
# Debian 12 (bookworm) under both stages: its python3-gi is built for Python 3.11, as this image's is.
FROM python:3.11-slim-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential libpq-dev gettext \
 && rm -rf /var/lib/apt/lists/*
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements.txt /tmp/requirements.txt
RUN pip install -r /tmp/requirements.txt
WORKDIR /app
COPY . .
# The production settings refuse to load without their secrets: these throwaway values exist for
# this one command and are not kept in the image (no ENV). Nothing they sign is kept either:
# compiled messages and hashed static files are the same whatever the secret.
RUN DJANGO_SETTINGS_MODULE=absher.settings.production \
    DJANGO_SECRET_KEY=build-only-not-a-secret \
    OTP_HMAC_KEY=build-only \
    FINGERPRINT_KEY=build-only \
    NOTIFY_ENCRYPTION_KEY=build-only \
    DOCUMENT_SIGNING_KEY=build-only \
    PAYMENT_NOTIFICATION_KEY=build-only \
    DJANGO_ALLOWED_HOSTS=localhost \
    WEBAUTHN_RP_ID=localhost \
    WEBAUTHN_ORIGINS=http://localhost \
    DATABASE_URL=postgres://build@localhost/build \
    CELERY_BROKER_URL=memory:// \
    sh -c 'python manage.py compilemessages --ignore=.venv -v0 && python manage.py collectstatic --noinput -v0'

# --- runtime: the venv and the app, no compilers, a user of its own ---------------------------------
FROM python:3.11-slim-bookworm
# flite speaks the audio captcha (CAPTCHA_FLITE_PATH); the messages are compiled already.
# libfprint (NIST NBIS) matches fingerprints; the venv reaches Debian's PyGObject (`gi`) only
# (scripts/bootstrap.sh does the same on a development machine).
RUN apt-get update \
 && apt-get install -y --no-install-recommends flite libfprint-2-2 gir1.2-fprint-2.0 python3-gi \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin absher
COPY --from=build /opt/venv /opt/venv
RUN ln -s /usr/lib/python3/dist-packages/gi "$(/opt/venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/gi"
COPY --from=build /app /app
# Uploads, attachments and beat's schedule go to var/ (a volume in compose.yaml), the only place the
# app writes; the code and the static files stay root's and read-only to it.
RUN mkdir -p /app/var && chown absher:absher /app/var
WORKDIR /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=absher.settings.production \
    GUNICORN_BIND=0.0.0.0:8000
USER absher
EXPOSE 8000
CMD ["gunicorn", "-c", "gunicorn.conf.py"]
