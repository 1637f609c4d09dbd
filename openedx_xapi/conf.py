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
    # TLS: the certificate authorities to trust, a PEM file (an LRS behind a private
    # authority); None: the public ones of certifi. Certificates are always verified.
    "CA_BUNDLE": None,
    # Delivery retries on 5xx, timeouts and connection errors: exponential backoff with
    # full jitter, a random delay up to min(MAX, BASE * 2**attempt) seconds.
    "MAX_RETRIES": 8,
    "RETRY_BACKOFF_BASE": 2.0,
    "RETRY_BACKOFF_MAX": 600.0,
    # Caliper Sensor API: the IRI of this sensor (default: <LMS_ROOT_URL>/caliper/sensor).
    "CALIPER_SENSOR_ID": None,
    # How events go from the LMS request to the workers (ADR 0008): "stream" (a Redis
    # stream read by a consumer group: cheap, and nothing lost if a worker dies),
    # "celery" (one Celery message per event, for LMSs without Redis), "event_bus" (the
    # Open edX event bus carries them: see docs/deployment.rst), or "auto" (the stream
    # when REDIS_URL, or else the Celery broker, is a Redis URL).
    "HANDOFF": "auto",
    "REDIS_URL": None,
    "STREAM_KEY": "openedx_xapi:events",
    # An entry a worker took and has not acknowledged after this long (the worker died)
    # is taken over by another worker. Keep it above the longest delivery of a batch.
    "CLAIM_IDLE_SECONDS": 60,
    # While Redis is unreachable, each LMS process appends the events it hands off to files
    # of its own in SPOOL_DIR (None: "openedx-xapi-spool" in the system's temporary
    # directory), so that they outlive the process; beyond SPOOL_MAX_EVENTS per process the
    # oldest are dropped (and counted). See ADR 0008, "The spool".
    "SPOOL_DIR": None,
    "SPOOL_MAX_EVENTS": 100_000,
    # Circuit breaker: after this many failed deliveries in a row (5xx, timeouts,
    # connection errors) a consumer's circuit opens: what comes for it is parked in the
    # database, and it is probed with backoff (up to PROBE_BACKOFF_MAX seconds apart).
    "CIRCUIT_FAILURES": 3,
    "PROBE_BACKOFF_BASE": 1.0,
    "PROBE_BACKOFF_MAX": 60.0,
    # Retention (days) of what `manage.py lms openedx_xapi_prune` deletes: rejections and dead
    # letters older than this. Parked batches are never pruned: they are still to be delivered.
    "REJECTION_RETENTION_DAYS": 30,
    "DEAD_LETTER_RETENTION_DAYS": 90,
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


_redis_url = {}


def redis_url():
    """The Redis of the stream hand-off: REDIS_URL, or else the Celery broker's URL (cached)."""
    if "url" not in _redis_url:
        url = get("REDIS_URL")
        if not url:
            from celery import current_app
            url = current_app.conf.broker_url or ""
        _redis_url["url"] = url
    return _redis_url["url"]


def handoff():
    """"stream" or "celery" (see HANDOFF)."""
    mode = get("HANDOFF")
    if mode == "auto":
        return "stream" if redis_url().startswith(("redis://", "rediss://", "unix://")) else "celery"
    return mode


def forget_redis_url():
    _redis_url.clear()
