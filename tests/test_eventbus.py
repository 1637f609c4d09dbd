"""The Open edX event bus as the way in (issue 10): tracking events on Redis Streams, read back
by ``manage.py consume_events`` processes running the plugin's batching consumer, routed
through the same filter, translator, validator and router, into a real Ralph LRS."""
import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone

import pytest
import redis
from openedx_events.analytics.data import TrackingLogData
from openedx_events.analytics.signals import TRACKING_EVENT_EMITTED
from openedx_events.event_bus.avro.deserializer import deserialize_bytes_to_event_data
from openedx_events.event_bus.avro.serializer import serialize_event_data_to_bytes

from openedx_xapi import eventbus
from openedx_xapi.events import parse_event
from openedx_xapi.pipeline import documents_for
from sandbox.services import PROJECT_ROOT, start_event_bus_consumer

from .conftest import COURSE
from .test_integration import xapi_consumer

STREAM = "sandbox-analytics"  # the topic, with the sandbox's prefix
GROUP = "openedx_xapi"


def tracking_log_of(event):
    """What event-tracking's event bus backend sends for ``event``."""
    return TrackingLogData(name=event["name"], timestamp=event["timestamp"], data=json.dumps(event["data"]),
                           context=json.dumps(event["context"]))


def over_the_bus(tracking_log):
    """``tracking_log`` serialised as the producer writes it and read back as the consumer does."""
    data = serialize_event_data_to_bytes({"tracking_log": tracking_log}, TRACKING_EVENT_EMITTED)
    return deserialize_bytes_to_event_data(data, TRACKING_EVENT_EMITTED)["tracking_log"]


def an_enrollment(user_id=7):
    return {"name": "edx.course.enrollment.activated",
            "timestamp": datetime(2024, 5, 1, 10, 30, 15, 123456, tzinfo=timezone.utc),
            "context": {"course_id": COURSE, "org_id": "edX", "user_id": user_id, "host": "localhost:18000"},
            "data": {"course_id": COURSE, "user_id": user_id, "mode": "verified"}}


def test_an_event_from_the_bus_makes_the_same_statement_as_the_celery_path(ctx):
    """Switching transports must not change statement ids, or the LRS would store events twice."""
    event = an_enrollment()
    direct = documents_for(parse_event(dict(event, timestamp=event["timestamp"].isoformat())), "xapi", ctx)
    from_bus = documents_for(parse_event(eventbus.event_of(over_the_bus(tracking_log_of(event)))), "xapi", ctx)
    assert from_bus == direct
    assert direct[0]["id"] and direct[0]["verb"]["id"].endswith("registered")


def test_the_receiver_routes_only_what_came_from_the_bus(use_consumers, db):
    use_consumers({"name": "lrs", "protocol": "xapi", "url": "https://lrs.example.com/xAPI/",
                   "auth": {"type": "basic", "username": "u", "password": "secret-pw"}})
    tracking_log = tracking_log_of(an_enrollment())
    with eventbus.Batch() as batch:
        # In the LMS request, on its way to the bus: not ours to route.
        eventbus.receive_tracking_event(tracking_log=tracking_log, from_event_bus=False)
        assert batch.items == []
        eventbus.receive_tracking_event(tracking_log=tracking_log, from_event_bus=True)
        # An event no consumer wants is dropped by the same filter as in the request.
        unwanted = TrackingLogData(name="edx.user.settings.changed", timestamp=datetime.now(timezone.utc),
                                   data="{}", context=json.dumps({"user_id": 7}))
        eventbus.receive_tracking_event(tracking_log=unwanted, from_event_bus=True)
    assert [(item[0]["name"], item[1]) for item in batch.items] == [("edx.course.enrollment.activated", ["lrs"])]
    assert batch.items[0][2] == tracking_log.timestamp.timestamp()  # for the consumer's lag


# --- real services ------------------------------------------------------------------------

EVENTS = 20_000
LEARNERS = 500


def bus_environment(broker, settings):
    """The environment of LMS and consumer processes: the bus on the test session's Redis, this
    test's database, and the consumers the test declared."""
    from django.db import connection
    return {
        "SANDBOX_EVENT_BUS_URL": broker.url,
        "SANDBOX_BROKER_URL": broker.url,
        "SANDBOX_DB": str(connection.settings_dict["NAME"]),
        "SANDBOX_OPENEDX_XAPI": json.dumps(settings.OPENEDX_XAPI),
        "SANDBOX_LOG_LEVEL": "INFO",
    }


@pytest.fixture
def event_bus_env(broker, flush_redis, ralph, use_consumers, transactional_db, settings):
    """The environment of the LMS and consumer processes: the bus on the test session's Redis."""
    use_consumers(xapi_consumer(ralph))
    return bus_environment(broker, settings)


def consumer_starter(tmp_path, env, pii_scan):
    """A fixture's body: ``start(name, **extra)`` starts an event bus consumer process; at the
    end each is stopped and its log scanned for personal data."""
    started = []

    def start(name, **extra):
        consumer = start_event_bus_consumer(tmp_path, env, name, extra=extra)
        started.append(consumer)
        return consumer

    yield start
    for consumer in started:
        consumer.stop()
        pii_scan.check_log_file(consumer.log_path)


@pytest.fixture
def consumers_started(tmp_path, event_bus_env, pii_scan):
    yield from consumer_starter(tmp_path, event_bus_env, pii_scan)


def emit_from_the_lms(env, count, learners=None):
    """A separate LMS process, configured for the bus, emits ``count`` enrollments through its tracker."""
    return subprocess.Popen([sys.executable, "-m", "sandbox.eventbus", "emit", str(count)]
                            + (["--learners", str(learners)] if learners else []),
                            env={**os.environ, "DJANGO_SETTINGS_MODULE": "sandbox.settings", **env},
                            cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def stored_lines(lrs):
    """The statements Ralph's file backend holds: one JSON document a line."""
    if not lrs.store_path.exists():
        return []
    return [json.loads(line) for line in lrs.store_path.read_text().splitlines() if line.strip()]


def known_learners(count):
    """The learners' anonymous ids exist already, as in a live LMS (and the sandbox's SQLite,
    which commits each new one with an fsync, does not set the pace)."""
    from openedx_xapi.models import ActorId
    ActorId.objects.bulk_create([ActorId(user_id=user_id, kind=kind)
                                 for user_id in range(1, count + 1) for kind in ("xapi", "caliper")])


def count_lines(lrs):
    return lrs.store_path.read_bytes().count(b"\n") if lrs.store_path.exists() else 0


def wait_for_lines(lrs, expected, timeout, settle=3.0):
    deadline = time.monotonic() + timeout
    while count_lines(lrs) < expected and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(settle)  # whatever would be stored twice arrives now
    return stored_lines(lrs)


@pytest.mark.integration
def test_events_on_the_bus_reach_the_lrs_in_batches(event_bus_env, ralph, consumers_started, flush_redis):
    consumer = consumers_started("only")
    emitter = emit_from_the_lms(event_bus_env, 300)
    assert emitter.wait(60) == 0, emitter.stdout.read()
    statements = wait_for_lines(ralph, 300, timeout=60, settle=1.0)
    assert len(statements) == len({s["id"] for s in statements}) == 300
    assert {s["object"]["id"] for s in statements} == {f"http://localhost:18000/course/{COURSE}"}
    log = consumer.log_path.read_text()
    batches = log.count("document(s) to ralph")
    assert 3 <= batches < 100, log[-2000:]  # batches of up to BATCH_SIZE, not one request per event
    # Everything was acknowledged: nothing is left pending in the consumer group.
    assert flush_redis.xpending(STREAM, GROUP)["pending"] == 0


@pytest.mark.integration
def test_what_is_produced_while_no_consumer_runs_is_not_skipped(event_bus_env, ralph, consumers_started):
    """Upstream's consumer moves an existing group to the end of the stream at every start; ours
    leaves it, so a restart (a deployment, a crash) loses nothing produced meanwhile."""
    consumers_started("first").stop()  # creates the group, then goes away
    emitter = emit_from_the_lms(event_bus_env, 50)
    assert emitter.wait(60) == 0, emitter.stdout.read()
    consumers_started("second")
    statements = wait_for_lines(ralph, 50, timeout=60, settle=1.0)
    assert len(statements) == len({s["id"] for s in statements}) == 50


@pytest.mark.integration
@pytest.mark.slow
def test_20000_events_two_consumers_one_killed_mid_stream_every_statement_once(
        event_bus_env, ralph, consumers_started, flush_redis):
    known_learners(LEARNERS)
    options = {"claim_idle_seconds": 5}
    doomed = consumers_started("doomed", **options)
    survivor = consumers_started("survivor", **options)
    started = time.monotonic()
    emitter = emit_from_the_lms(event_bus_env, EVENTS, LEARNERS)

    # Kill one consumer with SIGKILL (no chance to finish its batch) while it holds messages it
    # has read but not acknowledged.
    client = redis.Redis.from_url(event_bus_env["SANDBOX_EVENT_BUS_URL"])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if count_lines(ralph) >= 2000 and client.xpending_range(STREAM, GROUP, "-", "+", 1, "doomed"):
            doomed._signal(signal.SIGKILL)
            break
        time.sleep(0.01)
    doomed.process.wait(10)
    held = len(client.xpending_range(STREAM, GROUP, "-", "+", 10_000, "doomed"))
    assert held > 0, "the consumer was killed holding nothing: kill it sooner"

    assert emitter.wait(150) == 0, emitter.stdout.read()
    statements = wait_for_lines(ralph, EVENTS, timeout=170 - (time.monotonic() - started))
    ids = [s["id"] for s in statements]
    assert len(set(ids)) == EVENTS, f"{EVENTS - len(set(ids))} statements missing"
    assert len(ids) == EVENTS, f"{len(ids) - EVENTS} statements stored twice"
    assert "took over" in survivor.log_path.read_text()
    assert client.xpending(STREAM, GROUP)["pending"] == 0


# --- parked batches without a Celery worker (see also test_eventbus_no_celery.py) -----------

def test_only_the_batching_consumer_takes_the_parked_batches_off_celery(settings):
    from django.utils.module_loading import import_string
    settings.OPENEDX_XAPI = {"HANDOFF": "event_bus"}
    settings.EVENT_BUS_CONSUMER = "openedx_xapi.eventbus_redis.BatchingRedisEventConsumer"
    assert eventbus.sends_parked_batches()
    # Upstream's consumer (or Kafka's) leaves them to the Celery task, as in the other modes.
    settings.EVENT_BUS_CONSUMER = "edx_event_bus_redis.RedisEventConsumer"
    assert import_string(settings.EVENT_BUS_CONSUMER)  # it exists: it is its class that says no
    assert not eventbus.sends_parked_batches()
    settings.EVENT_BUS_CONSUMER = "no.such.Consumer"
    assert not eventbus.sends_parked_batches()
    settings.EVENT_BUS_CONSUMER = "openedx_xapi.eventbus_redis.BatchingRedisEventConsumer"
    settings.OPENEDX_XAPI = {"HANDOFF": "stream"}
    assert not eventbus.sends_parked_batches()


def test_of_two_processes_due_to_probe_an_open_consumer_one_does(db):
    from django.utils import timezone

    from openedx_xapi.models import CIRCUIT_OPEN, ConsumerStatus
    from openedx_xapi.router import circuit
    ConsumerStatus.objects.create(consumer="lrs", circuit=CIRCUIT_OPEN, next_probe_at=timezone.now())
    seen_by_one, seen_by_other = ConsumerStatus.objects.get(), ConsumerStatus.objects.get()
    assert circuit._claim_probe(seen_by_one, "lrs")  # pylint: disable=protected-access
    assert not circuit._claim_probe(seen_by_other, "lrs")  # pylint: disable=protected-access
    assert ConsumerStatus.objects.get().next_probe_at > timezone.now()  # not due for the others meanwhile
