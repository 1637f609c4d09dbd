"""Event bus mode needs no Celery worker: the consumer processes themselves send what was
parked while the LRS was down, probe it meanwhile, and each parked batch is sent by one of
them only. Real services throughout: Redis (the bus), two ``consume_events`` processes, a
Ralph LRS behind the fault proxy; no Celery worker is started."""
import io
import time
from collections import Counter

import pytest

from openedx_xapi.models import CIRCUIT_CLOSED, CIRCUIT_OPEN, ConsumerStatus, DeadLetter, ParkedBatch

from .faultproxy import FaultProxy
from .test_eventbus import GROUP, STREAM, bus_environment, consumer_starter, emit_from_the_lms, wait_for_lines
from .test_integration import wait_until, xapi_consumer

pytestmark = [pytest.mark.integration]

# Short backoffs, so that an outage plays out in seconds; a read timeout long enough that
# a loaded machine never makes the router send a batch twice.
FAST = {"BATCH_SIZE": 20, "CONNECT_TIMEOUT": 0.5, "READ_TIMEOUT": 10, "RETRY_BACKOFF_BASE": 0.2,
        "RETRY_BACKOFF_MAX": 2, "PROBE_BACKOFF_BASE": 0.5, "PROBE_BACKOFF_MAX": 2, "CIRCUIT_FAILURES": 3,
        "MAX_RETRIES": 100}
CELERY_DEFAULT_QUEUE = "celery"  # the Redis list a task for the LMS's default queue waits in


@pytest.fixture
def proxy(ralph):
    found = FaultProxy(ralph.url.split("/xAPI")[0])
    yield found
    found.down()


@pytest.fixture
def bus_env(transactional_db, broker, flush_redis, ralph, proxy, use_consumers, settings):
    """The consumer processes' environment: the bus on the session's Redis, the LRS behind the proxy."""
    use_consumers({**xapi_consumer(ralph), "url": proxy.root + "/xAPI/"}, **FAST)
    return bus_environment(broker, settings)


@pytest.fixture
def bus_consumers(tmp_path, bus_env, pii_scan):
    yield from consumer_starter(tmp_path, bus_env, pii_scan)


def status_of(name="ralph"):
    return ConsumerStatus.objects.filter(consumer=name).first()


def parked_documents():
    return sum(len(batch.documents) for batch in ParkedBatch.objects.all())


def test_the_lrs_down_while_events_are_produced_and_back_with_no_celery_worker(
        bus_env, bus_consumers, ralph, proxy, flush_redis):
    consumers = [bus_consumers("first"), bus_consumers("second")]
    emitter = emit_from_the_lms(bus_env, 60)
    assert emitter.wait(60) == 0, emitter.stdout.read()
    assert len(wait_for_lines(ralph, 60, timeout=60, settle=0.5)) == 60

    proxy.down()
    emitter = emit_from_the_lms(bus_env, 240)
    assert emitter.wait(60) == 0, emitter.stdout.read()
    # The consumers read everything and park it: the circuit opens, and they probe the LRS
    # with backoff while it stays down.
    assert wait_until(lambda: getattr(status_of(), "circuit", None) == CIRCUIT_OPEN, timeout=30)
    assert wait_until(lambda: flush_redis.xpending(STREAM, GROUP)["pending"] == 0 and parked_documents() == 240,
                      timeout=60), (parked_documents(), consumers[0].log_tail(), consumers[1].log_tail())
    assert wait_until(lambda: status_of().probes >= 2, timeout=20), consumers[0].log_tail()
    assert status_of().circuit == CIRCUIT_OPEN

    back_at = time.time()
    proxy.up()
    statements = wait_for_lines(ralph, 300, timeout=90)
    ids = [statement["id"] for statement in statements]
    assert len(set(ids)) == 300, f"{300 - len(set(ids))} statements missing"
    assert len(ids) == 300, f"{len(ids) - 300} statements stored twice"
    assert wait_until(lambda: not ParkedBatch.objects.exists() and status_of().circuit == CIRCUIT_CLOSED,
                      timeout=30)
    assert not DeadLetter.objects.exists()
    # Each parked batch was sent by one consumer process only: after the LRS came back, no
    # statement was posted twice (Ralph would store it once all the same, so ask the proxy).
    posted = Counter(statement_id for seen in proxy.posts() if seen.at >= back_at and seen.status == 200
                     for statement_id in seen.ids)
    assert sum(posted.values()) == 240 and set(posted.values()) == {1}
    # Nothing was left for a Celery worker to do.
    assert flush_redis.llen(CELERY_DEFAULT_QUEUE) == 0


def test_a_dead_letter_replayed_from_the_lms_is_sent_by_a_consumer_process(
        bus_env, bus_consumers, ralph, flush_redis, settings, ctx):
    """The admin's retry button, its action and ``openedx_xapi_replay_dead_letters`` queued a
    Celery task: with no worker, the letter would be gone and its documents never sent."""
    from django.core.management import call_command
    from django.utils import timezone

    from openedx_xapi.events import parse_event
    from openedx_xapi.pipeline import documents_for

    from .test_eventbus import an_enrollment

    bus_consumers("only")
    event = an_enrollment(user_id=42)
    statements = documents_for(parse_event(dict(event, timestamp=event["timestamp"].isoformat())), "xapi", ctx)
    now = timezone.now()
    DeadLetter.objects.create(consumer="ralph", user_id=42, documents=statements, reason="HTTP 503",
                              first_error_at=now, last_error_at=now)
    # The LMS process where an operator replays it, configured for the event bus as the consumers are.
    settings.OPENEDX_XAPI = {**settings.OPENEDX_XAPI, "HANDOFF": "event_bus"}
    settings.EVENT_BUS_CONSUMER = "openedx_xapi.eventbus_redis.BatchingRedisEventConsumer"
    call_command("openedx_xapi_replay_dead_letters", "--consumer", "ralph", stdout=io.StringIO())

    assert not DeadLetter.objects.exists()
    stored = wait_for_lines(ralph, 1, timeout=30, settle=1.0)
    assert [statement["id"] for statement in stored] == [statements[0]["id"]]
    assert wait_until(lambda: not ParkedBatch.objects.exists(), timeout=10)
    assert flush_redis.llen(CELERY_DEFAULT_QUEUE) == 0
