"""Django settings of a replay run outside an LMS (``openedx-xapi replay --url ...``).

Delivering through the router needs a database: dead letters, the consumers' status
(paused, counts). Outside an LMS there is none, so the command uses this small project
of its own: the plugin's app on a local SQLite file (``--state-db``, default
``openedx-xapi-replay.sqlite3`` in the current folder), migrated at start. The only
consumer is the one the command line declares. The environment variables below are
set by the command, not by hand.
"""
import os
import sys

from openedx_xapi.settings.common import plugin_settings

SECRET_KEY = os.environ.get("OPENEDX_XAPI_REPLAY_SECRET_KEY") or "openedx-xapi-replay-standalone"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LMS_ROOT_URL = os.environ.get("OPENEDX_XAPI_REPLAY_LMS_URL") or "http://localhost:18000"
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "openedx_xapi.apps.OpenedxXapiConfig"]
DATABASES = {"default": {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": os.environ.get("OPENEDX_XAPI_REPLAY_DB") or "openedx-xapi-replay.sqlite3",
    "OPTIONS": {"timeout": 30},
}}
OPENEDX_XAPI = {}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"openedx_xapi": {"handlers": ["console"], "level": "WARNING"}},
}

# The plugin's defaults, as an LMS gets them.
plugin_settings(sys.modules[__name__])
