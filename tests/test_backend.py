"""Stage 1: the backend inside the LMS request: cheap, no HTTP, no DB, never raises."""
import datetime
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from eventtracking import tracker

from openedx_xapi.backend import EventTrackingBackend

from .conftest import COURSE, enrollment_event, point_celery_at


def consumer(url="http://127.0.0.1:9/xAPI/", **extra):
    return {"name": "lrs", "protocol": "xapi", "url": url, "auth": {"type": "basic", "username": "u"}, **extra}


def queued(redis_client, queue="celery"):
    """The task messages waiting in the real Redis broker."""
    return [json.loads(raw) for raw in redis_client.lrange(queue, 0, -1)]


def emit(name, data, **context):
    with tracker.get_tracker().context("test", {"course_id": COURSE, "user_id": 5, **context}):
        tracker.emit(name, data)


@pytest.mark.django_db
def test_a_wanted_event_is_queued_on_the_real_broker(use_consumers, flush_redis):
    use_consumers(consumer())
    emit("edx.course.enrollment.activated", {"course_id": COURSE, "mode": "audit"})
    [message] = queued(flush_redis)
    assert message["headers"]["task"] == "openedx_xapi.route_event"
    args = json.loads(__import__("base64").b64decode(message["body"]))[0]
    payload, names = args
    assert names == ["lrs"]
    event = json.loads(payload)
    assert event["name"] == "edx.course.enrollment.activated"
    assert event["context"]["user_id"] == 5 and event["data"]["mode"] == "audit"


@pytest.mark.django_db
def test_unwanted_events_are_dropped_in_the_request(use_consumers, flush_redis):
    use_consumers(consumer(courses=["course-v1:Only+This+One"]))
    emit("edx.course.enrollment.activated", {"course_id": COURSE})  # another course
    assert queued(flush_redis) == []
    use_consumers(consumer())
    emit("edx.user.settings.changed", {"setting": "language"})  # mapped by no family
    assert queued(flush_redis) == []
    emit("edx.course.enrollment.activated", {"course_id": COURSE})  # and the check can fail
    assert len(queued(flush_redis)) == 1


@pytest.mark.django_db
def test_disabled_plugin_sends_nothing(use_consumers, flush_redis):
    use_consumers(consumer(), ENABLED=False)
    emit("edx.course.enrollment.activated", {"course_id": COURSE})
    assert queued(flush_redis) == []


@pytest.mark.django_db
def test_the_queue_setting_is_honoured(use_consumers, flush_redis):
    use_consumers(consumer(), CELERY_QUEUE="xapi")
    emit("edx.course.enrollment.activated", {"course_id": COURSE})
    assert len(queued(flush_redis, "xapi")) == 1


class _Recorder(BaseHTTPRequestHandler):
    hits = []

    def do_POST(self):  # noqa: N802
        self.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.django_db
def test_no_http_and_no_database_in_the_request(use_consumers, flush_redis, django_assert_num_queries):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        use_consumers(consumer(url=f"http://127.0.0.1:{server.server_port}/xAPI/"))
        emit("edx.course.enrollment.activated", {"course_id": COURSE})  # warms the consumer cache
        with django_assert_num_queries(0):
            for _ in range(50):
                emit("edx.course.enrollment.activated", {"course_id": COURSE})
        assert _Recorder.hits == []
        assert len(queued(flush_redis)) == 51
    finally:
        server.shutdown()


class Unserialisable:
    def __repr__(self):
        return "<thing>"


@pytest.mark.django_db
@pytest.mark.parametrize("event", [
    None, 42, "a string", [], {}, {"name": None}, {"name": ["a"]}, {"name": "edx.course.enrollment.activated"},
    {"name": "edx.course.enrollment.activated", "context": "not a dict"},
    {"name": "edx.course.enrollment.activated", "context": {"course_id": ["unhashable"]}},
    dict(enrollment_event(), data={"when": datetime.date(2020, 1, 1), "what": Unserialisable(), 1: "int key"}),
])
def test_hostile_events_never_raise(event, use_consumers, flush_redis):
    use_consumers(consumer())
    EventTrackingBackend().send(event)  # must not raise


@pytest.mark.django_db
def test_a_broker_that_is_down_does_not_break_the_request(use_consumers, caplog):
    from sandbox.celery_app import app
    use_consumers(consumer())
    saved = app.conf.broker_url
    point_celery_at("redis://127.0.0.1:9/0")  # nothing listens there
    try:
        EventTrackingBackend().send(enrollment_event())
    finally:
        point_celery_at(saved)
    assert "could not hand off event 'edx.course.enrollment.activated'" in caplog.text
