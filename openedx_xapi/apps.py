"""Django app configuration, and how the LMS finds this plugin.

edx-platform loads every app registered under the ``lms.djangoapp`` entry point
(see setup.py) and reads ``plugin_app`` to know which settings modules to apply.
"""
from django.apps import AppConfig


class OpenedxXapiConfig(AppConfig):
    name = "openedx_xapi"
    verbose_name = "xAPI and Caliper delivery"
    default_auto_field = "django.db.models.BigAutoField"

    # Read by edx_django_utils.plugins. Literal strings are used for the project and
    # settings types ("lms.djangoapp", "common", "production") so that importing this
    # module never needs edx-platform.
    plugin_app = {
        "settings_config": {
            "lms.djangoapp": {
                "common": {"relative_path": "settings.common"},
                "production": {"relative_path": "settings.production"},
            },
        },
    }

    def ready(self):
        # Register the Celery tasks, the system checks and the signal receivers.
        from . import checks, eventbus, signals  # noqa: F401
        from .router import tasks  # noqa: F401
        if eventbus.enabled():  # events come from the Open edX event bus (docs/deployment.rst)
            eventbus.connect()
