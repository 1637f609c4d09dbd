"""Faults on the real parts: nothing is lost, nothing is stored twice (issue 5, in part)."""
import signal
import time

import pytest

from sandbox.services import fetch_statements

from .test_integration import emit_enrollments, xapi_consumer

pytestmark = [pytest.mark.integration]


def test_a_worker_killed_mid_batch_loses_nothing_and_stores_nothing_twice(
        ralph, use_consumers, celery_worker_factory, flush_redis):
    """SIGKILL (no warm shutdown) while batches are in flight: the unacknowledged messages
    go back to the broker (acks_late), another worker delivers them, and the deterministic
    ids make whatever had already reached the LRS collapse there."""
    use_consumers(xapi_consumer(ralph), BATCH_SIZE=50)
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
