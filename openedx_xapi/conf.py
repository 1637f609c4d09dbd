"""The ``OPENEDX_XAPI`` settings dict: its defaults and how the code reads it."""
from django.conf import settings

DEFAULTS = {
    # Master switch: when False the backend drops every event at once.
    "ENABLED": True,
    # Base of every activity and actor IRI; falls back to the LMS's LMS_ROOT_URL.
    "LMS_ROOT_URL": None,
    # Consumers declared in settings, each a dict (see README "Configuring").
    "CONSUMERS": [],
    # How long (seconds) a process keeps the consumer list before reading it again.
    "CONFIG_CACHE_SECONDS": 30,
    # Celery queue of our tasks (None: the LMS's default queue).
    "CELERY_QUEUE": None,
    # Micro-batches: events are routed, and documents sent, in batches of at most
    # BATCH_SIZE; a batch that is not full leaves BATCH_SECONDS after it started. (The
    # worker must prefetch at least BATCH_SIZE messages: see README "Workers".)
    "BATCH_SIZE": 100,
    "BATCH_SECONDS": 0.2,
    # HTTP timeouts (seconds) for connecting to and reading from a consumer.
    "CONNECT_TIMEOUT": 3.05,
    "READ_TIMEOUT": 10,
    # Delivery retries on 5xx, timeouts and connection errors: exponential backoff with
    # full jitter, a random delay up to min(MAX, BASE * 2**attempt) seconds.
    "MAX_RETRIES": 8,
    "RETRY_BACKOFF_BASE": 2.0,
    "RETRY_BACKOFF_MAX": 600.0,
    # Caliper Sensor API: the IRI of this sensor (default: <LMS_ROOT_URL>/caliper/sensor).
    "CALIPER_SENSOR_ID": None,
}


def get(key):
    """One value of ``OPENEDX_XAPI``, falling back to the default."""
    values = getattr(settings, "OPENEDX_XAPI", None) or {}
    return values.get(key, DEFAULTS[key])


def lms_root_url():
    url = get("LMS_ROOT_URL") or getattr(settings, "LMS_ROOT_URL", None) or "http://localhost:18000"
    return url.rstrip("/")


def caliper_sensor_id():
    return get("CALIPER_SENSOR_ID") or f"{lms_root_url()}/caliper/sensor"
