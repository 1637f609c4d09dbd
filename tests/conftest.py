"""Shared fixtures: sample events, and the real services of the integration tests.

Services (Redis, a Ralph LRS, Celery workers of the stand-in LMS) run as
subprocesses on 127.0.0.1, each started once per test session or per test, and
stopped at the end.
"""
import copy
import json
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from openedx_xapi import consumers
from openedx_xapi.events import parse_event
from openedx_xapi.identity import HmacActorIds
from openedx_xapi.translator import TranslationContext
from sandbox.services import start_celery_worker, start_ralph, start_redis

FIXTURES = Path(__file__).parent / "fixtures"
COURSE = "course-v1:edX+DemoX+Demo_Course"
LMS = "http://localhost:18000"


def load_fixture(name):
    return json.loads((FIXTURES / name).read_text())


def enrollment_event(name="edx.course.enrollment.activated", user_id=3, course_id=COURSE, mode="audit",
                     timestamp="2020-07-15T06:36:01.917775+00:00", **context):
    """An enrollment event in the in-process (event-tracking) shape."""
    return {
        "name": name,
        "timestamp": timestamp,
        "context": {"course_id": course_id, "org_id": "edX", "user_id": user_id, "username": f"learner{user_id}",
                    "host": "localhost:18000", "ip": "172.18.0.1", "session": "44c2f6b53a6aaf210797a56391a443bc",
                    "agent": "Mozilla/5.0", "path": "/change_enrollment", **context},
        "data": {"course_id": course_id, "user_id": user_id, "mode": mode},
    }


@pytest.fixture
def make_event():
    return enrollment_event


@pytest.fixture
def ctx():
    """A translation context that needs no database."""
    return TranslationContext(lms_root_url=LMS, actor_ids=HmacActorIds("test-secret"))


@pytest.fixture
def parsed():
    return lambda raw: parse_event(copy.deepcopy(raw))


@pytest.fixture
def use_consumers(settings):
    """Declare consumers in settings for this test (and drop the cached list around it)."""
    def declare(*declarations, **options):
        settings.OPENEDX_XAPI = {**settings.OPENEDX_XAPI, "CONSUMERS": list(declarations), **options}
        consumers.clear_cache()
    yield declare
    consumers.clear_cache()


# --- real services ----------------------------------------------------------------------

@pytest.fixture(scope="session")
def services_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("services")


@pytest.fixture(scope="session")
def redis_server(services_dir):
    with start_redis(services_dir) as server:
        yield server


@pytest.fixture(scope="session")
def broker(redis_server):
    """Point the stand-in LMS's Celery app at the real Redis, as the LMS's settings would."""
    point_celery_at(redis_server.url)
    yield redis_server


def point_celery_at(url):
    """Make the stand-in LMS's Celery app publish to ``url`` from now on.

    Celery keeps its connection pools once made, so they are forgotten too (not closed:
    kombu shares them between apps by URL)."""
    from sandbox.celery_app import app
    app._pool = None  # pylint: disable=protected-access
    app.amqp._producer_pool = None  # pylint: disable=protected-access
    app.conf.broker_url = app.conf.broker_write_url = app.conf.broker_read_url = url


@pytest.fixture
def flush_redis(broker):
    import redis
    client = redis.Redis.from_url(broker.url)
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def ralph(tmp_path):
    """A fresh, empty Ralph LRS for one test."""
    with start_ralph(tmp_path) as lrs:
        yield lrs


@pytest.fixture
def celery_worker_factory(broker, transactional_db, tmp_path, settings):
    """Start Celery workers of the stand-in LMS sharing this test's database and broker.

    The worker reads its consumers from the ``SANDBOX_OPENEDX_XAPI`` environment
    variable, so tests pass the same settings they declared for the emitting side.
    """
    from django.db import connection
    started = []

    def start(openedx_xapi=None, concurrency=1, **env):
        environment = {
            "DJANGO_SETTINGS_MODULE": "sandbox.settings",
            "SANDBOX_DB": str(connection.settings_dict["NAME"]),
            "SANDBOX_BROKER_URL": broker.url,
            "SANDBOX_OPENEDX_XAPI": json.dumps(openedx_xapi if openedx_xapi is not None else settings.OPENEDX_XAPI),
            **env,
        }
        worker = start_celery_worker("sandbox.celery_app", tmp_path, env=environment, concurrency=concurrency)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(tmp_path_factory):
    """A file-backed SQLite test database, so worker processes can share it."""
    from django.conf import settings
    path = tmp_path_factory.mktemp("db") / "test.sqlite3"
    settings.DATABASES["default"]["TEST"]["NAME"] = str(path)
    os.environ["SANDBOX_TEST_DB"] = str(path)


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)
