"""Faults on the real parts: nothing is lost, nothing is stored twice (issue 5)."""
import signal
import time

import pytest

from openedx_xapi.models import CIRCUIT_CLOSED, CIRCUIT_OPEN, ConsumerStatus, DeadLetter, ParkedBatch
from sandbox.services import fetch_statements, start_redis

from .faultproxy import FaultProxy
from .test_integration import emit_enrollments, wait_for_statements, wait_until, xapi_consumer

pytestmark = [pytest.mark.integration]


def test_a_worker_killed_mid_batch_loses_nothing_and_stores_nothing_twice(
        ralph, use_consumers, celery_worker_factory, flush_redis):
    """SIGKILL (no warm shutdown) while batches are in flight: the entries the dead worker
    took stay pending in the stream's consumer group, the next worker claims them once they
    have been idle CLAIM_IDLE_SECONDS, and the deterministic ids make whatever had already
    reached the LRS collapse there."""
    use_consumers(xapi_consumer(ralph), BATCH_SIZE=50, CLAIM_IDLE_SECONDS=3)
    emit_enrollments(600)
    env = {"SANDBOX_VISIBILITY_TIMEOUT": "5"}
    first = celery_worker_factory(**env)
    deadline = time.monotonic() + 120
    while not fetch_statements(ralph) and time.monotonic() < deadline:
        time.sleep(0.05)
    first._signal(signal.SIGKILL)  # the whole process group, at once
    first.process.wait(10)
    # A request the dead worker had already sent is still being stored by the LRS: wait for
    # it to finish (Ralph's file backend checks ids and appends without a lock, so two
    # overlapping requests with one statement could both store it; a database LRS would not).
    stored_when_killed, settled_at = -1, time.monotonic()
    while time.monotonic() - settled_at < 2:
        count = len(ralph.store_path.read_text().splitlines()) if ralph.store_path.exists() else 0
        if count != stored_when_killed:
            stored_when_killed, settled_at = count, time.monotonic()
        time.sleep(0.2)
    assert stored_when_killed < 600, "the worker finished before it could be killed: kill it sooner"

    celery_worker_factory(**env)
    deadline = time.monotonic() + 180
    statements = fetch_statements(ralph)
    while len(statements) < 600 and time.monotonic() < deadline:
        time.sleep(1)
        statements = fetch_statements(ralph)
    time.sleep(3)
    statements = fetch_statements(ralph)
    assert len(statements) == len({s["id"] for s in statements}) == 600, stored_when_killed


# --- The fault suite: a fault proxy between the worker and a real Ralph LRS ---------------

# Short timeouts and backoffs, so that each fault plays out in seconds.
FAST = {"BATCH_SIZE": 20, "CONNECT_TIMEOUT": 0.5, "READ_TIMEOUT": 1, "RETRY_BACKOFF_BASE": 0.2,
        "RETRY_BACKOFF_MAX": 2, "PROBE_BACKOFF_BASE": 0.5, "PROBE_BACKOFF_MAX": 2, "CIRCUIT_FAILURES": 3,
        "MAX_RETRIES": 100}


@pytest.fixture
def proxy(ralph):
    found = FaultProxy(ralph.url.split("/xAPI")[0])
    yield found
    found.down()


def via(proxy, ralph, **extra):
    return {**xapi_consumer(ralph), "url": proxy.root + "/xAPI/", **extra}


def emit_over(count, seconds, first_user=1):
    """``count`` enrollments spread over ``seconds`` (a stream, not a burst)."""
    step = max(1, count // 20)
    for start in range(0, count, step):
        emit_enrollments(min(step, count - start), first_user=first_user + start)
        time.sleep(seconds / 20)


def exactly_once(ralph, expected, timeout=180):
    """Every statement in the LRS exactly once: no id missing, none stored twice."""
    statements = wait_for_statements(ralph, expected, timeout=timeout)
    stored_lines = len(ralph.store_path.read_text().splitlines())
    ids = {statement["id"] for statement in statements}
    assert (len(statements), len(ids), stored_lines) == (expected, expected, expected)
    return statements


def status_of(name="ralph"):
    return ConsumerStatus.objects.filter(consumer=name).first()


def test_the_lrs_down_for_30_seconds_mid_stream(ralph, proxy, use_consumers, celery_worker_factory, flush_redis):
    use_consumers(via(proxy, ralph), **FAST)
    celery_worker_factory()
    emit_over(100, 2)
    assert wait_until(lambda: len(fetch_statements(ralph)) >= 100, timeout=60)
    proxy.down()
    emit_over(200, 10, first_user=101)
    assert wait_until(lambda: getattr(status_of(), "circuit", None) == CIRCUIT_OPEN, timeout=30)
    time.sleep(20)  # 30 seconds down in all
    assert ParkedBatch.objects.exists() and status_of().circuit == CIRCUIT_OPEN
    probes = status_of().probes
    assert probes >= 3  # probed with backoff meanwhile, not hammered: backoff is capped at 2 s
    assert status_of().lag_seconds >= 15  # the oldest parked event has waited that long
    proxy.up()
    exactly_once(ralph, 300)
    assert wait_until(lambda: status_of().circuit == CIRCUIT_CLOSED, timeout=30)
    assert not ParkedBatch.objects.exists() and not DeadLetter.objects.exists()
    assert status_of().parked >= 200 and status_of().delivered == 300


def test_bursts_of_500s(ralph, proxy, use_consumers, celery_worker_factory, flush_redis):
    use_consumers(via(proxy, ralph), **FAST)
    celery_worker_factory()
    proxy.then("status", 2, (500, {}))
    emit_over(100, 2)
    proxy.then("status", 5, (502, {}))
    emit_over(100, 2, first_user=101)
    exactly_once(ralph, 200)
    assert [seen.status for seen in proxy.posts()].count(500) == 2
    assert status_of().retried >= 3 and not DeadLetter.objects.exists()


def test_429_with_retry_after_is_waited_for(ralph, proxy, use_consumers, celery_worker_factory, flush_redis):
    use_consumers(via(proxy, ralph), **FAST)
    celery_worker_factory()
    proxy.then("status", 1, (429, {"Retry-After": "3"}))
    emit_enrollments(10)
    exactly_once(ralph, 10)
    refused, accepted = proxy.posts()[0], proxy.posts()[1]
    assert refused.status == 429 and accepted.ids == refused.ids
    assert accepted.at - refused.at >= 2.9  # as Retry-After said, not the 0.2 s backoff


def test_responses_slower_than_the_timeout(ralph, proxy, use_consumers, celery_worker_factory, flush_redis):
    """The LRS stores the batch but answers after the client gave up: the retry collapses there."""
    use_consumers(via(proxy, ralph), **FAST)
    celery_worker_factory()
    proxy.then("slow", 2, 2.5)
    emit_over(100, 2)
    exactly_once(ralph, 100)
    assert [seen.fault for seen in proxy.posts()].count("slow") == 2
    assert not DeadLetter.objects.exists()


def test_connection_resets(ralph, proxy, use_consumers, celery_worker_factory, flush_redis):
    use_consumers(via(proxy, ralph), **FAST)
    celery_worker_factory()
    proxy.then("reset", 3)
    emit_over(100, 2)
    exactly_once(ralph, 100)
    assert [seen.fault for seen in proxy.posts()].count("reset") == 3
    assert not DeadLetter.objects.exists()


def test_one_invalid_statement_in_a_batch_is_the_only_one_dead_lettered(
        ralph, proxy, use_consumers, celery_worker_factory, flush_redis):
    use_consumers(via(proxy, ralph), **{**FAST, "BATCH_SIZE": 50})
    proxy.poison_nth = 7  # the 8th statement of the first batch the LRS receives
    celery_worker_factory()
    emit_enrollments(50)
    letter = wait_until(lambda: DeadLetter.objects.first(), timeout=60)
    assert letter is not None
    statements = exactly_once(ralph, 49)
    [poisoned] = proxy.poisoned
    assert poisoned not in {statement["id"] for statement in statements}
    assert [document["id"] for document in letter.documents] == [poisoned]
    assert letter.status_code == 422 and DeadLetter.objects.count() == 1


def test_the_redis_broker_restarted_mid_stream(ralph, use_consumers, celery_worker_factory, tmp_path):
    """Redis run as a broker should be (append-only file): what it held survives a restart,
    and what the LMS emits while it is down waits in the LMS process."""
    import redis as redis_client

    from openedx_xapi.backend import stream
    from sandbox.celery_app import app

    from .conftest import point_celery_at
    saved = app.conf.broker_url
    server = start_redis(tmp_path / "redis", persistent=True)
    try:
        point_celery_at(server.url)
        use_consumers(xapi_consumer(ralph), **FAST, CLAIM_IDLE_SECONDS=10)
        celery_worker_factory(SANDBOX_BROKER_URL=server.url)
        emit_over(100, 2)
        redis_client.Redis.from_url(server.url).shutdown()  # saves the append-only file, then exits
        server.process.wait(10)
        emit_over(100, 2, first_user=101)  # the LMS goes on meanwhile
        assert len(stream.producer().spool) > 0
        server = start_redis(tmp_path / "redis", port=server.port, persistent=True)
        time.sleep(1.5)  # the producer tries Redis again at most once a second
        emit_over(100, 2, first_user=201)
        exactly_once(ralph, 300)
        assert not stream.producer().spool
    finally:
        point_celery_at(saved)
        server.stop()


def test_entries_a_dead_reader_left_pending_are_claimed_without_a_new_event(
        ralph, use_consumers, celery_worker_factory, flush_redis):
    """No event comes after them to wake a worker: a drain scheduled for when they have been
    idle long enough claims them."""
    from openedx_xapi.router import stream
    use_consumers(xapi_consumer(ralph), **FAST, CLAIM_IDLE_SECONDS=3)
    emit_enrollments(30)
    stream.ensure_group(flush_redis)
    taken = flush_redis.xreadgroup(stream.GROUP, "a-reader-that-dies", {"openedx_xapi:events": ">"}, count=5)
    assert len(taken[0][1]) == 5 and flush_redis.xpending("openedx_xapi:events", stream.GROUP)["pending"] == 5
    celery_worker_factory()
    exactly_once(ralph, 30, timeout=60)
    assert flush_redis.xpending("openedx_xapi:events", stream.GROUP)["pending"] == 0
    assert flush_redis.xlen("openedx_xapi:events") == 0
