"""Stage 1: the backend inside the LMS request: cheap, no HTTP, no DB, never raises."""
import datetime
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from eventtracking import tracker
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openedx_xapi.backend import EventTrackingBackend

from .conftest import COURSE, enrollment_event, point_celery_at


def consumer(url="http://127.0.0.1:9/xAPI/", **extra):
    return {"name": "lrs", "protocol": "xapi", "url": url, "auth": {"type": "basic", "username": "u"}, **extra}


def queued(redis_client, queue="celery"):
    """The task messages waiting in the real Redis broker."""
    return [json.loads(raw) for raw in redis_client.lrange(queue, 0, -1)]


def handed_off(redis_client):
    """The events waiting in the stream: (event, consumer names)."""
    return [(json.loads(fields[b"e"]), fields[b"c"].decode().split(","))
            for _id, fields in redis_client.xrange("openedx_xapi:events")]


def emit(name, data, **context):
    with tracker.get_tracker().context("test", {"course_id": COURSE, "user_id": 5, **context}):
        tracker.emit(name, data)


@pytest.mark.django_db
def test_a_wanted_event_goes_to_the_stream_and_wakes_one_worker(use_consumers, flush_redis):
    use_consumers(consumer())
    emit("edx.course.enrollment.activated", {"course_id": COURSE, "mode": "audit"})
    [(event, names)] = handed_off(flush_redis)
    assert names == ["lrs"]
    assert event["name"] == "edx.course.enrollment.activated"
    assert event["context"]["user_id"] == 5 and event["data"]["mode"] == "audit"
    [message] = queued(flush_redis)
    assert message["headers"]["task"] == "openedx_xapi.drain_stream"
    # While that wake-up is pending (the lease holds), the next events wake nobody else.
    emit("edx.course.enrollment.deactivated", {"course_id": COURSE, "mode": "audit"})
    assert len(handed_off(flush_redis)) == 2 and len(queued(flush_redis)) == 1
    # Once the lease is gone (a drain found the stream empty), the next event wakes a worker.
    flush_redis.delete("openedx_xapi:events:drain-lease")
    emit("edx.course.enrollment.activated", {"course_id": COURSE, "mode": "honor"})
    assert len(handed_off(flush_redis)) == 3 and len(queued(flush_redis)) == 2


@pytest.mark.django_db
def test_with_the_celery_handoff_a_wanted_event_is_one_task_message(use_consumers, flush_redis):
    use_consumers(consumer(), HANDOFF="celery")
    emit("edx.course.enrollment.activated", {"course_id": COURSE, "mode": "audit"})
    assert handed_off(flush_redis) == []
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
    assert handed_off(flush_redis) == []
    use_consumers(consumer())
    emit("edx.user.settings.changed", {"setting": "language"})  # mapped by no family
    assert handed_off(flush_redis) == []
    emit("edx.course.enrollment.activated", {"course_id": COURSE})  # and the check can fail
    assert len(handed_off(flush_redis)) == 1


@pytest.mark.django_db
def test_disabled_plugin_sends_nothing(use_consumers, flush_redis):
    use_consumers(consumer(), ENABLED=False)
    emit("edx.course.enrollment.activated", {"course_id": COURSE})
    assert handed_off(flush_redis) == [] and queued(flush_redis) == []


@pytest.mark.django_db
def test_the_queue_setting_is_honoured(use_consumers, flush_redis):
    use_consumers(consumer(), CELERY_QUEUE="xapi")
    emit("edx.course.enrollment.activated", {"course_id": COURSE})
    assert len(queued(flush_redis, "xapi")) == 1 and queued(flush_redis) == []


@pytest.mark.django_db
def test_events_wait_in_the_process_while_redis_is_unreachable(use_consumers, flush_redis, broker):
    """The request neither fails nor waits; the events go out, in order, once Redis answers."""
    from openedx_xapi.backend import stream
    use_consumers(consumer())
    producer = stream.producer()
    good_client = producer.client
    import redis
    producer.client = redis.Redis(host="127.0.0.1", port=9, socket_connect_timeout=0.2)  # nothing listens
    try:
        for mode in ("audit", "honor", "verified"):
            emit("edx.course.enrollment.activated", {"course_id": COURSE, "mode": mode})
        assert handed_off(flush_redis) == [] and len(producer.spool) == 3
    finally:
        producer.client = good_client
    producer.down_until = 0
    emit("edx.course.enrollment.deactivated", {"course_id": COURSE, "mode": "audit"})
    events = [event for event, _names in handed_off(flush_redis)]
    assert [event["data"]["mode"] for event in events] == ["audit", "honor", "verified", "audit"]
    assert events[-1]["name"] == "edx.course.enrollment.deactivated" and not producer.spool


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
        assert len(handed_off(flush_redis)) == 51
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


_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | st.binary(max_size=10)
    | st.datetimes() | st.just(Unserialisable()),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10) | st.integers(), inner,
                                                                  max_size=4),
    max_leaves=12)


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(["edx.course.enrollment.activated", "problem_check", "play_video"]) | st.text(max_size=30)
       | st.none() | st.integers(),
       context=_JSONISH | st.fixed_dictionaries({"course_id": _JSONISH, "user_id": _JSONISH, "username": _JSONISH}),
       data=_JSONISH | st.fixed_dictionaries({"course_id": _JSONISH, "user_id": _JSONISH}))
def test_whatever_an_event_holds_the_request_never_raises(name, context, data, use_consumers, flush_redis):
    """Random names, contexts and payloads of any shape (bytes, dates, objects JSON cannot
    write, integer keys): the backend hands them off or drops them, and never raises. (Its
    inner part is called: ``send``'s own safety net would hide a crash, and lose the event.)"""
    use_consumers(consumer())
    EventTrackingBackend._send({"name": name, "timestamp": "2024-01-01T00:00:00Z", "context": context, "data": data})


def timed_emits(count):
    """Emit ``count`` enrollments through the backend; the seconds each ``send`` took."""
    costs = []
    for _ in range(count):
        started = time.perf_counter()
        EventTrackingBackend().send(enrollment_event())
        costs.append(time.perf_counter() - started)
    return costs


@pytest.mark.django_db
@pytest.mark.parametrize("handoff", ["stream", "celery"])
def test_a_broker_that_is_down_does_not_break_the_request(handoff, use_consumers, caplog):
    from sandbox.celery_app import app
    use_consumers(consumer(), HANDOFF=handoff)
    saved = app.conf.broker_url
    point_celery_at("redis://127.0.0.1:9/0")  # nothing listens there
    try:
        costs = timed_emits(30)
    finally:
        point_celery_at(saved)
    expected = "could not reach Redis at hand-off" if handoff == "stream" \
        else "could not hand off event 'edx.course.enrollment.activated'"
    assert expected in caplog.text
    assert max(costs) < 1.0, costs  # Celery's publish gives up after its short retry policy


@pytest.mark.django_db
def test_a_redis_that_hangs_holds_one_request_briefly_and_the_next_not_at_all(use_consumers, caplog):
    """Redis accepts the connection and never answers (overloaded, or a network that drops
    packets): the first request waits for the socket timeout, and for a second after that
    events wait in the process without trying Redis again, instead of each paying the timeout."""
    from openedx_xapi.backend import stream
    from sandbox.celery_app import app
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(64)  # the kernel completes the handshake; nobody ever reads
    use_consumers(consumer(), HANDOFF="stream")
    saved = app.conf.broker_url
    point_celery_at(f"redis://127.0.0.1:{hung.getsockname()[1]}/0")
    try:
        costs = timed_emits(30)
        waiting = len(stream.producer().spool)
    finally:
        point_celery_at(saved)
        hung.close()
    assert "could not reach Redis at hand-off (TimeoutError)" in caplog.text
    assert costs[0] < 2.0, costs  # the client's 0.5 s timeouts, and no more
    assert sum(costs[1:]) < 0.4, costs  # ~0.5 s each if every request tried Redis again
    assert waiting == 30  # kept, to go out once Redis answers


@pytest.mark.django_db
def test_a_name_no_consumer_maps_is_dropped_before_any_other_work(use_consumers, flush_redis, monkeypatch):
    import openedx_xapi.backend as backend_module
    looked = []
    monkeypatch.setattr(backend_module, "facts_of_raw", lambda raw: looked.append(raw) or None)
    use_consumers(consumer())
    EventTrackingBackend().send(dict(enrollment_event(), name="edx.user.settings.changed"))
    assert looked == [] and handed_off(flush_redis) == []
    monkeypatch.undo()
    use_consumers(consumer(protocol="caliper", auth={"type": "bearer", "token": "t"}))
    EventTrackingBackend().send(enrollment_event())  # mapped for Caliper too: it goes on
    assert len(handed_off(flush_redis)) == 1


@pytest.mark.django_db
def test_with_the_event_bus_hand_off_the_backend_hands_nothing_off(use_consumers, flush_redis):
    """The event bus backend of event-tracking carries the events then; sending them here too
    would deliver each twice."""
    use_consumers(consumer(), HANDOFF="event_bus")
    emit("edx.course.enrollment.activated", {"course_id": COURSE, "mode": "audit"})
    assert handed_off(flush_redis) == [] and queued(flush_redis) == []
    use_consumers(consumer(), HANDOFF="stream")
    emit("edx.course.enrollment.activated", {"course_id": COURSE, "mode": "audit"})
    assert len(handed_off(flush_redis)) == 1
