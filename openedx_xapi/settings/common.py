"""Settings every LMS gets when the plugin is installed."""
import copy

from openedx_xapi.conf import DEFAULTS

BACKEND_NAME = "openedx_xapi"


def plugin_settings(settings):
    """Add our event-tracking backend and the defaults of ``OPENEDX_XAPI``."""
    backends = getattr(settings, "EVENT_TRACKING_BACKENDS", None)
    if backends is None:
        backends = settings.EVENT_TRACKING_BACKENDS = {}
    backends.setdefault(BACKEND_NAME, {
        "ENGINE": "openedx_xapi.backend.EventTrackingBackend",
        "OPTIONS": {},
    })

    merged = copy.deepcopy(DEFAULTS)
    merged.update(getattr(settings, "OPENEDX_XAPI", None) or {})
    settings.OPENEDX_XAPI = merged

    # django-fernet-encrypted-fields derives its keys from SECRET_KEY (and
    # SECRET_KEY_FALLBACKS, for rotation) salted with SALT_KEY. The salt is not a
    # secret; an operator may set a list of salts to rotate them.
    if not getattr(settings, "SALT_KEY", None):
        settings.SALT_KEY = ["openedx-xapi"]
