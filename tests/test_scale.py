"""Many workers, other brokers (issue 10): 20,000 events through real Celery workers into a
real Ralph LRS, every statement stored exactly once.

The events are emitted through event-tracking's tracker in this process (the LMS), so the
tests hold whatever way the plugin hands events to its workers. Ralph's file backend checks
ids and appends without a lock, so the checks count both distinct ids and stored lines.
"""
import json
import time

import pytest

from sandbox import eventbus
from sandbox.services import start_celery_worker, start_rabbitmq

from .conftest import point_celery_at
from .test_eventbus import count_lines, known_learners, stored_lines
from .test_integration import xapi_consumer

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EVENTS = 20_000
LEARNERS = 500
QUEUE = "openedx_xapi_scale"


@pytest.fixture
def workers(transactional_db, tmp_path, settings, pii_scan):
    """Start Celery workers of the stand-in LMS (``start(broker_url, queue)``), on this test's
    database and settings; each is stopped, and its log scanned, at the end."""
    from django.db import connection
    started = []

    def start(broker_url, queue=None, concurrency=1):
        env = {
            "DJANGO_SETTINGS_MODULE": "sandbox.settings",
            "SANDBOX_DB": str(connection.settings_dict["NAME"]),
            "SANDBOX_BROKER_URL": broker_url,
            "SANDBOX_OPENEDX_XAPI": json.dumps(settings.OPENEDX_XAPI),
            "SANDBOX_LOG_LEVEL": "INFO",
        }
        worker = start_celery_worker("sandbox.celery_app", tmp_path, env=env, queues=queue, concurrency=concurrency)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
        pii_scan.check_log_file(worker.log_path)


def wait_for_exactly(lrs, expected, deadline, settle=3.0):
    while count_lines(lrs) < expected and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(settle)  # whatever would be stored twice arrives now
    ids = [statement["id"] for statement in stored_lines(lrs)]
    assert len(set(ids)) == expected, f"{expected - len(set(ids))} statements missing"
    assert len(ids) == expected, f"{len(ids) - expected} statements stored twice"


def test_three_workers_on_redis_share_20000_events_on_a_queue_of_their_own(
        ralph, use_consumers, workers, broker, flush_redis):
    use_consumers(xapi_consumer(ralph), CELERY_QUEUE=QUEUE)
    known_learners(LEARNERS)
    started = time.monotonic()
    three = [workers(broker.url, queue=QUEUE) for _ in range(3)]
    eventbus.emit_enrollments(EVENTS, learners=LEARNERS)
    wait_for_exactly(ralph, EVENTS, deadline=started + 170)
    # Every worker took a share: the batches were spread over them, and still arrived once.
    shares = [worker.log_path.read_text().count("document(s) to ralph") for worker in three]
    assert all(shares), shares
    # Nothing went to the default queue, which the LMS's other workers serve.
    assert flush_redis.llen("celery") == 0


def test_one_worker_on_rabbitmq_delivers_20000_events(ralph, use_consumers, workers, broker, tmp_path):
    # The Celery hand-off (a Redis stream needs Redis; the LMS's broker here is RabbitMQ).
    use_consumers(xapi_consumer(ralph), HANDOFF="celery")
    known_learners(LEARNERS)
    with start_rabbitmq(tmp_path) as rabbitmq:
        point_celery_at(rabbitmq.url)
        try:
            started = time.monotonic()
            worker = workers(rabbitmq.url, concurrency=2)
            eventbus.emit_enrollments(EVENTS, learners=LEARNERS)
            wait_for_exactly(ralph, EVENTS, deadline=started + 240)
            assert "amqp://guest:**@127.0.0.1" in worker.log_path.read_text()  # it did use RabbitMQ
            worker.stop()  # before the broker goes
        finally:
            point_celery_at(broker.url)
