"""The bare Django page the portal's pages are measured against (bench/pages_http.py).

Django and nothing else: no middleware, no database, no apps, one view rendering a small
template. Served by gunicorn exactly as the portal is, so that the ratio counts only what the
portal adds (middleware, sessions, queries, templates), not the server or the machine.
"""

import os
from pathlib import Path

DEBUG = False
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "bench-bare-not-secret")
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = []
MIDDLEWARE = []
ROOT_URLCONF = "bench.bare.urls"
DATABASES = {}
USE_I18N = False
USE_TZ = True
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [Path(__file__).resolve().parent / "templates"],
    },
]
