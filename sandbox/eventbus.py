"""The stand-in LMS on the Open edX event bus (Redis Streams), as docs/deployment.rst sets it up.

When ``SANDBOX_EVENT_BUS_URL`` names a Redis server, :func:`apply` (called at the end of
``sandbox/settings.py``) configures the LMS the way an operator would for the event bus
hand-off: event-tracking's ``EventBusRoutingBackend`` sends the tracking-event signal
for every event the plugin maps, the Redis producer of edx-event-bus-redis writes it
to the ``SANDBOX_EVENT_BUS_TOPIC`` stream, the plugin's own Celery hand-off is off, and
``manage.py consume_events`` uses the plugin's batching consumer. Without that variable
nothing changes.

As a script it is the LMS side of a test or a benchmark: it emits enrollment events
through event-tracking's tracker, in a process configured by the same environment (so
on the bus when ``SANDBOX_EVENT_BUS_URL`` is set, else with the plugin's own hand-off)::

    SANDBOX_EVENT_BUS_URL=redis://127.0.0.1:6379/0 python -m sandbox.eventbus emit 1000
"""
import argparse
import os
import sys

TOPIC = "analytics"
TRACKING_EVENT_TYPE = "org.openedx.analytics.tracking.event.emitted.v1"
COURSE = "course-v1:edX+DemoX+Demo_Course"


def apply(settings):
    """Change the settings module's namespace ``settings`` (its ``globals()``) for the event bus."""
    url = os.environ.get("SANDBOX_EVENT_BUS_URL")
    if not url:
        return
    from openedx_xapi.translator.registry import mapped_events

    settings["INSTALLED_APPS"] += ["openedx_events", "edx_event_bus_redis"]
    # The LMS side: event-tracking puts the events the plugin maps on the bus...
    backends = settings["EVENT_TRACKING_BACKENDS"]
    backends.pop("openedx_xapi", None)  # ...instead of handing them to the workers itself
    backends["event_bus"] = {"ENGINE": "eventtracking.backends.event_bus.EventBusRoutingBackend", "OPTIONS": {}}
    settings["SEND_TRACKING_EVENT_EMITTED_SIGNAL"] = True
    settings["EVENT_BUS_TRACKING_LOGS"] = sorted(mapped_events())
    settings["EVENT_BUS_PRODUCER"] = "edx_event_bus_redis.create_producer"
    topic = os.environ.get("SANDBOX_EVENT_BUS_TOPIC", TOPIC)
    settings["EVENT_BUS_PRODUCER_CONFIG"] = {
        TRACKING_EVENT_TYPE: {topic: {"event_key_field": "tracking_log.name", "enabled": True}},
    }
    settings["EVENT_BUS_REDIS_CONNECTION_URL"] = url
    settings["EVENT_BUS_TOPIC_PREFIX"] = os.environ.get("SANDBOX_EVENT_BUS_PREFIX", "sandbox")
    # The producer trims the stream to about this many messages: room for every event that
    # waits for a consumer, or the oldest unread ones are lost.
    settings["EVENT_BUS_REDIS_STREAM_MAX_LEN"] = int(os.environ.get("SANDBOX_EVENT_BUS_MAX_LEN", "1000000"))
    # The consumers' side.
    settings["EVENT_BUS_CONSUMER"] = "openedx_xapi.eventbus_redis.BatchingRedisEventConsumer"
    settings["EVENT_BUS_REDIS_CONSUMER_POLL_TIMEOUT"] = 1
    settings["EVENT_BUS_REDIS_AUDIT_LOGGING_ENABLED"] = False  # a log line per message otherwise
    settings["OPENEDX_XAPI"]["HANDOFF"] = "event_bus"
    # openedx-events logs every signal's receivers at INFO: one line per event.
    settings["LOGGING"]["loggers"]["openedx_events"] = {"handlers": ["console"], "level": "WARNING"}


def emit_enrollments(count, first_user=1, learners=None, course_id=COURSE):
    """``count`` enrollment events through event-tracking's tracker, from ``learners`` learners
    in turn (default: one each). Each event has its own time, so its own statement id."""
    from eventtracking import tracker
    for index in range(count):
        user_id = first_user + index % (learners or count)
        context = {"course_id": course_id, "org_id": "edX", "user_id": user_id, "username": f"learner{user_id}",
                   "session": f"session-{user_id}", "ip": "10.1.2.3"}
        with tracker.get_tracker().context("request", context):
            tracker.emit("edx.course.enrollment.activated", {"course_id": course_id, "user_id": user_id,
                                                             "mode": "audit"})


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    emit = commands.add_parser("emit", help="emit enrollment events through the tracker")
    emit.add_argument("count", type=int)
    emit.add_argument("--first-user", type=int, default=1)
    emit.add_argument("--learners", type=int, default=None, help="how many learners (default: one an event)")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")
    import django
    django.setup()
    emit_enrollments(args.count, args.first_user, args.learners)
    print(f"emitted {args.count} events", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
