"""Stage 1, the other way in: events from the Open edX event bus.

Instead of handing events to Celery from the LMS request, an operator can let
event-tracking put them on the Open edX event bus (its ``EventBusRoutingBackend``
sends openedx-events' ``TRACKING_EVENT_EMITTED`` signal, which the LMS's event bus
producer writes to Redis Streams or Kafka) and run ``manage.py lms consume_events``
processes that read them back. Those processes send the same signal again, now
marked ``from_event_bus``; :func:`receive_tracking_event` takes it from there through
the same filter, translator, validator and router as the Celery path
(:func:`openedx_xapi.router.tasks.route_batch`).

Delivery is at least once: a message is acknowledged on the bus only after its event
was routed. With any consumer each event is routed as it arrives (a batch of one);
with :class:`openedx_xapi.eventbus_redis.BatchingRedisEventConsumer` the events of a
whole read are routed together, so the LRS gets batches, and acknowledged after.

Parked batches (what waits for an LRS that is down, or for a retry) are sent by the
consumer processes too, between reads (:func:`send_parked_if_due`), when the consumer is
the batching one: this mode then needs no Celery worker (see :func:`sends_parked_batches`).

The receiver is connected (in ``apps.ready``) only when ``OPENEDX_XAPI["HANDOFF"]`` is
``"event_bus"``; see docs/deployment.rst.
"""
import logging
import threading

import orjson
from django.conf import settings
from django.utils.module_loading import import_string

from openedx_xapi import conf
from openedx_xapi.filter import consumers_for, facts_of_raw

log = logging.getLogger(__name__)

HANDOFF = "event_bus"
_DISPATCH_UID = "openedx_xapi.eventbus.receive_tracking_event"
_local = threading.local()


def enabled():
    """True when the operator chose the event bus as the way events reach the router."""
    values = getattr(settings, "OPENEDX_XAPI", None) or {}
    return values.get("HANDOFF") == HANDOFF


def sends_parked_batches():
    """True when the ``consume_events`` processes send the parked batches themselves (the
    configured ``EVENT_BUS_CONSUMER`` is the plugin's batching consumer, or a subclass): then
    nothing asks a Celery worker to, since none may run. With another consumer class (Kafka,
    upstream Redis) the Celery task ``openedx_xapi.process_parked`` still does it."""
    if not enabled():
        return False
    path = getattr(settings, "EVENT_BUS_CONSUMER", None)
    if not path:
        return False
    try:
        consumer_class = import_string(path)
    except ImportError:
        return False
    return bool(getattr(consumer_class, "sends_parked_batches", False))


def send_parked_if_due():
    """Probe the consumers whose circuit is open and send the parked batches, if any of that
    is due, in this process (a consumer process, between two reads); never raises.

    Several processes may do this at once: each parked batch is taken (its row deleted)
    before it is sent, so only one of them sends it, and only one probes a consumer at a time
    (see :func:`openedx_xapi.router.circuit.process_parked`)."""
    from openedx_xapi.router import circuit
    try:
        due = circuit.seconds_until_due()
        if due is not None and due <= 0:
            circuit.process_parked()
    except Exception:  # pylint: disable=broad-except
        # The database went away, say: the batches stay parked, and the next call tries again.
        log.exception("openedx_xapi: could not send the parked batches")


def connect():
    """Listen to openedx-events' tracking-event signal (called from ``apps.ready`` when enabled)."""
    from openedx_events.analytics.signals import TRACKING_EVENT_EMITTED
    TRACKING_EVENT_EMITTED.connect(receive_tracking_event, dispatch_uid=_DISPATCH_UID)


def disconnect():
    from openedx_events.analytics.signals import TRACKING_EVENT_EMITTED
    TRACKING_EVENT_EMITTED.disconnect(dispatch_uid=_DISPATCH_UID)


def receive_tracking_event(sender=None, tracking_log=None, from_event_bus=False, **kwargs):  # noqa: ARG001
    """Route one tracking event that a ``consume_events`` process read from the bus.

    The same signal is also sent inside the LMS request, on its way *to* the bus: that one
    is left alone (``from_event_bus`` is False), or every event would be routed twice."""
    if not from_event_bus or tracking_log is None or not conf.get("ENABLED"):
        return
    try:
        event = event_of(tracking_log)
        targets = consumers_for(facts_of_raw(event))
        if not targets:
            return
        item = (event, [consumer.name for consumer in targets], _epoch_seconds(tracking_log.timestamp))
    except Exception:  # pylint: disable=broad-except
        # Raising would only make the bus consumer log it again; the event cannot be read.
        log.exception("openedx_xapi: could not read a tracking event from the event bus")
        return
    batch = getattr(_local, "batch", None)
    if batch is not None:
        batch.items.append(item)
    else:
        from openedx_xapi.router.tasks import route_batch
        route_batch([item])


def event_of(tracking_log):
    """The event in the shape event-tracking gives its backends, from ``TrackingLogData``
    (whose ``data`` and ``context`` travel as JSON strings)."""
    timestamp = tracking_log.timestamp
    return {
        "name": tracking_log.name,
        "timestamp": timestamp.isoformat() if hasattr(timestamp, "isoformat") else timestamp,
        "context": orjson.loads(tracking_log.context or "{}"),
        "data": tracking_log.data,  # a JSON string: parse_event reads it as event-tracking's own payloads
    }


def _epoch_seconds(timestamp):
    """When the event happened, for the router's lag figures (None if unknown)."""
    try:
        return timestamp.timestamp()
    except (AttributeError, ValueError, OverflowError):
        return None


class Batch:
    """The events received while a batching consumer handles one read; ``route()`` sends them.

    Used as a context manager around the signals a consumer sends for its messages: while
    it is open, :func:`receive_tracking_event` adds to it instead of routing at once."""

    def __init__(self):
        self.items = []

    def __enter__(self):
        _local.batch = self
        return self

    def __exit__(self, *exc_info):
        _local.batch = None

    def route(self):
        """Route what was received (never raises); returns how many events that was."""
        items, self.items = self.items, []
        if items:
            from openedx_xapi.router.tasks import route_batch
            route_batch(items)
        return len(items)
