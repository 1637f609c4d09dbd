"""Integration test of the sandbox service launchers (real Redis, Ralph, Celery)."""

import time
import uuid

import pytest
import requests
from celery import Celery

from sandbox.services import (
    ServiceError,
    fetch_statements,
    is_port_open,
    start_celery_worker,
    start_ralph,
    start_redis,
)

pytestmark = pytest.mark.integration


def _statement():
    return {
        "id": str(uuid.uuid4()),
        "actor": {
            "objectType": "Agent",
            "account": {"homePage": "http://lms.example.com", "name": "learner"},
        },
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"objectType": "Activity", "id": "http://lms.example.com/course"},
        # A fixed timestamp: without it Ralph stamps one on receipt and a
        # re-delivery of the same id would then be answered 409.
        "timestamp": "2024-01-01T00:00:00+00:00",
    }


def test_redis_and_ralph(tmp_path):
    redis = start_redis(tmp_path)
    ralph = start_ralph(tmp_path, username="openedx", password="s3cret")
    with redis, ralph:
        assert redis.url == f"redis://127.0.0.1:{redis.port}/0"
        assert ralph.url == f"http://127.0.0.1:{ralph.port}/xAPI/"

        statements = [_statement(), _statement()]
        ids = [s["id"] for s in statements]
        auth = (ralph.username, ralph.password)
        first = requests.post(ralph.url + "statements", json=statements, auth=auth)
        assert first.status_code == 200, first.text
        assert first.json() == ids
        again = requests.post(ralph.url + "statements", json=statements, auth=auth)
        assert again.status_code == 204, again.text  # duplicates silently ignored

        stored = fetch_statements(ralph, limit=1)  # one per page: exercises `more`
        assert sorted(s["id"] for s in stored) == sorted(ids)
        assert ralph.store_path.is_relative_to(tmp_path)

    assert not redis.running and not ralph.running
    assert not is_port_open(redis.port)
    assert not is_port_open(ralph.port)
    redis.stop()  # idempotent
    ralph.stop()


def test_celery_worker(tmp_path):
    with start_redis(tmp_path) as redis:
        worker = start_celery_worker(
            "tests._celery_probe_app",
            tmp_path,
            env={"PROBE_BROKER_URL": redis.url},
            queues="probe",
        )
        with worker:
            assert " ready." in worker.log_path.read_text()
            target = tmp_path / "done.txt"
            client = Celery(broker=redis.url)
            client.send_task(
                "probe.write_file", args=[str(target), "hello"], queue="probe"
            )
            deadline = time.monotonic() + 20
            while not target.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            assert target.read_text() == "hello"
        assert not worker.running


def test_start_failures_show_the_log(tmp_path):
    with pytest.raises(ServiceError, match="no_such_module_xyz was not found"):
        start_celery_worker("no_such_module_xyz", tmp_path, env={})
    with start_redis(tmp_path) as redis:  # occupy a port
        with pytest.raises(ServiceError, match="address already in use"):
            start_ralph(tmp_path, port=redis.port)
