"""Django settings of the stand-in LMS that runs event-routing-backends.

Like ``sandbox/settings.py`` (SQLite, event-tracking's DjangoTracker, the LMS's Celery
app), and with ERB set up as its documentation says: installed as an LMS plugin, whose
``settings.common`` fills ``EVENT_TRACKING_BACKENDS`` (an ``AsyncRoutingBackend`` over
the xAPI and Caliper ``AsyncEventsRouter``s), plus a ``RouterConfiguration`` row per LRS
(``benchmarks.erb.measure setup`` writes it). Environment variables set what differs
between runs:

* ``ERB_BENCH_DB``: the SQLite file;
* ``ERB_BENCH_BROKER``: the Celery broker (Redis);
* ``ERB_BENCH_CACHE``: the Redis database behind Django's cache, which ERB also uses for
  its batch queue (``django_redis.get_redis_connection``);
* ``ERB_BENCH_ENV_TOKENS``: a JSON object, the operator's overrides (``ENV_TOKENS``,
  read by ERB's ``settings.production``), e.g. ``{"EVENT_ROUTING_BACKEND_BATCHING_ENABLED": true}``.
"""
import json
import os
import sys
from pathlib import Path

# The stand-ins for edx-platform's own modules (common.djangoapps..., openedx.core...).
sys.path.insert(0, str(Path(__file__).resolve().parent / "edx_platform"))

SECRET_KEY = "erb-benchmark-only-secret-key"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
TIME_ZONE = "UTC"
LMS_ROOT_URL = "http://localhost:18000"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "config_models",
    "celery_utils",  # edx-celeryutils: where ERB persists business-critical events that failed
    "eventtracking.django.apps.EventTrackingConfig",
    "openedx.core.djangoapps.external_user_ids.apps.ExternalUserIdsConfig",
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("ERB_BENCH_DB", "erb-bench.sqlite3"),
        "OPTIONS": {"timeout": 30},
    }
}
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": os.environ.get("ERB_BENCH_CACHE", "redis://127.0.0.1:6379/1"),
    }
}

TRACKING_BACKENDS = {}
EVENT_TRACKING_ENABLED = True
EVENT_TRACKING_PROCESSORS = []
EVENT_TRACKING_BACKENDS = {}

CELERY_BROKER_URL = os.environ.get("ERB_BENCH_BROKER", "redis://127.0.0.1:6379/0")
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# Both projects log warnings and errors only, so neither pays for its INFO lines.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# What edx-platform's settings do with the plugin (edx_django_utils.plugins.add_plugins
# calls the same two functions). Named here rather than found by entry point, because
# from the project's folder this project's own plugin would be found too.
from event_routing_backends.settings import common, production  # noqa: E402

INSTALLED_APPS.append("event_routing_backends")
ENV_TOKENS = json.loads(os.environ.get("ERB_BENCH_ENV_TOKENS") or "{}")
common.plugin_settings(sys.modules[__name__])
production.plugin_settings(sys.modules[__name__])

# ERB's routers look their RouterConfiguration rows up by backend name, "xapi" and
# "caliper", where the rows say "xAPI" and "Caliper" (the model's choices). On an LMS's
# MySQL the comparison ignores case (its default collation) and they match; SQLite
# compares exactly, so the stand-in names the routers as the rows do.
for _name, _router in EVENT_TRACKING_BACKENDS["event_transformer"]["OPTIONS"]["backends"].items():
    _router["OPTIONS"]["backend_name"] = {"xapi": "xAPI", "caliper": "Caliper"}[_name]
