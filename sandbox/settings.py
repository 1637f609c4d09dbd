"""The stand-in LMS: just enough of edx-platform for the plugin to run in.

A Django project with SQLite, event-tracking's DjangoTracker, a Celery app of its
own (as the LMS has), and the plugin's settings applied the way edx-django-utils
applies them in edx-platform. Tests, the demo and the benchmarks all run on it.
Environment variables set what differs between runs:

* ``SANDBOX_DB``: the SQLite file (default: a file in the current directory);
* ``SANDBOX_BROKER_URL``: the Celery broker (default: redis://127.0.0.1:6379/0);
* ``SANDBOX_OPENEDX_XAPI``: a JSON object merged over ``OPENEDX_XAPI``.
"""
import json
import os

from edx_django_utils.plugins import add_plugins, get_plugin_apps

SECRET_KEY = os.environ.get("SANDBOX_SECRET_KEY", "sandbox-only-secret-key-not-for-production")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "sandbox.urls"
LMS_ROOT_URL = "http://localhost:18000"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
STATIC_URL = "/static/"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "eventtracking.django.apps.EventTrackingConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("SANDBOX_DB", "sandbox.sqlite3"),
        "OPTIONS": {"timeout": 30},
        "TEST": {"NAME": os.environ.get("SANDBOX_TEST_DB") or None},
    }
}

# event-tracking, as the LMS configures it: a tracker whose backends come from settings.
TRACKING_BACKENDS = {}
EVENT_TRACKING_ENABLED = True
EVENT_TRACKING_PROCESSORS = []
EVENT_TRACKING_BACKENDS = {}

# Celery, as the LMS configures it: one app, settings prefixed CELERY_.
CELERY_BROKER_URL = os.environ.get("SANDBOX_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
# The plugin routes events in micro-batches (celery-batches): a worker must be allowed to
# hold a whole batch, so prefetch is unlimited (0); see README "Workers".
CELERY_WORKER_PREFETCH_MULTIPLIER = 0
# How long (s) a message taken by a worker that then died waits before another worker gets
# it (Redis transport); the fault tests shorten it.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": int(os.environ.get("SANDBOX_VISIBILITY_TIMEOUT", "3600"))}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# Operators' overrides, as the LMS reads them from its YAML config into ENV_TOKENS.
OPENEDX_XAPI = json.loads(os.environ.get("SANDBOX_OPENEDX_XAPI") or "{}")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"openedx_xapi": {"handlers": ["console"], "level": os.environ.get("SANDBOX_LOG_LEVEL", "INFO")}},
}

# What edx-platform's settings do: find the installed plugins through their
# "lms.djangoapp" entry points, install their apps, and apply their settings.
# (The plugin must be pip-installed, as it would be in an LMS.)
INSTALLED_APPS.extend(get_plugin_apps("lms.djangoapp"))
ENV_TOKENS = {"OPENEDX_XAPI": OPENEDX_XAPI}
add_plugins(__name__, "lms.djangoapp", "common")
add_plugins(__name__, "lms.djangoapp", "production")

from sandbox import eventbus  # noqa: E402  (the event bus hand-off, when SANDBOX_EVENT_BUS_URL is set)

eventbus.apply(globals())
