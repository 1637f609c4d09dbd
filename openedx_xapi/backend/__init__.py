"""Stage 1: the event-tracking backend, inside the LMS request.

It runs for every event the LMS emits, so it does as little as it can: drop what no
consumer wants, serialise the rest with orjson, and hand it off for the workers to
filter, translate, validate and deliver: appended to a Redis stream (``stream.py``,
one round trip), or, on an LMS without Redis, as a Celery message. It never does
HTTP, never translates, and never raises into the code that emitted the event.
"""
import logging

import orjson

from openedx_xapi import conf
from openedx_xapi.backend import stream
from openedx_xapi.filter import consumers_for, could_want, facts_of_raw

log = logging.getLogger(__name__)

# If the broker blips, try again briefly; never hold the learner's request for long.
_PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.05, "interval_max": 0.1}


class EventTrackingBackend:
    """Configured in ``EVENT_TRACKING_BACKENDS`` by ``plugin_settings``."""

    def __init__(self, **options):
        self.options = options

    def send(self, event):
        try:
            self._send(event)
        except Exception:  # pylint: disable=broad-except
            # Losing one event is bad; breaking the learner's request is worse.
            log.exception("openedx_xapi: could not hand off event %r", _name_of(event))

    @staticmethod
    def _send(event):
        name = event.get("name")
        if not isinstance(name, str) or not could_want(name) or not conf.get("ENABLED"):
            return
        handoff = conf.handoff()
        if handoff == "event_bus":
            return  # event-tracking's event-bus backend carries the events (see openedx_xapi/eventbus.py)
        targets = consumers_for(facts_of_raw(event))
        if not targets:
            return
        payload = orjson.dumps(event, default=str, option=orjson.OPT_NON_STR_KEYS)
        names = [consumer.name for consumer in targets]
        if handoff == "stream":
            stream.producer().push(payload, names)
            return
        from openedx_xapi.router.tasks import route_event
        route_event.apply_async(args=(payload.decode(), names), queue=conf.get("CELERY_QUEUE"),
                                retry_policy=_PUBLISH_RETRY)


def _name_of(event):
    try:
        return event.get("name")
    except Exception:  # pylint: disable=broad-except
        return None
