"""The whole path on real parts: event-tracking in the stand-in LMS, a real Celery
worker on a real Redis, and a real Ralph LRS (or a real HTTP Caliper endpoint)."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from eventtracking import tracker
from ralph.models.xapi.base.statements import BaseXapiStatement

from openedx_xapi.models import Rejection
from openedx_xapi.validator import validate_envelope, validate_statement
from sandbox.services import fetch_statements

from .conftest import COURSE

pytestmark = [pytest.mark.integration]

OTHER_COURSE = "course-v1:Other+Course+2024"


def xapi_consumer(lrs, **extra):
    return {"name": "ralph", "protocol": "xapi", "url": lrs.url,
            "auth": {"type": "basic", "username": lrs.username, "password": lrs.password}, **extra}


def emit_enrollments(count, course_id=COURSE, first_user=1, name="edx.course.enrollment.activated"):
    for index in range(count):
        user_id = first_user + index
        context = {"course_id": course_id, "org_id": "edX", "user_id": user_id, "username": f"learner{user_id}",
                   "session": f"session-{user_id}", "ip": "10.1.2.3"}
        with tracker.get_tracker().context("request", context):
            tracker.emit(name, {"course_id": course_id, "user_id": user_id, "mode": "audit"})


def wait_until(check, timeout=120, interval=0.25):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def wait_for_statements(lrs, expected, timeout=180, settle=2.0):
    """The LRS's statements once ``expected`` have arrived and ``settle`` seconds more have passed
    (so that a statement stored twice would be seen)."""
    deadline = time.monotonic() + timeout
    while len(fetch_statements(lrs)) < expected and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(settle)
    return fetch_statements(lrs)


def hand_off_twice(redis_client, handoff):
    """Deliver the same events twice: copy every event waiting in the stream (or every queued
    task message) before a worker runs; returns how many there were."""
    if handoff == "celery":
        messages = redis_client.lrange("celery", 0, -1)
        for message in messages:
            redis_client.lpush("celery", message)
        return len(messages)
    entries = redis_client.xrange("openedx_xapi:events")
    for _entry_id, fields in entries:
        redis_client.xadd("openedx_xapi:events", fields)
    return len(entries)


@pytest.mark.parametrize("handoff", ["stream", "celery"])
def test_1000_enrollments_arrive_once_even_when_delivered_twice(
        handoff, ralph, use_consumers, celery_worker_factory, flush_redis):
    use_consumers(xapi_consumer(ralph), HANDOFF=handoff)
    emit_enrollments(1000)
    assert hand_off_twice(flush_redis, handoff) == 1000
    waiting = flush_redis.llen("celery") if handoff == "celery" else flush_redis.xlen("openedx_xapi:events")
    assert waiting == 2000  # every event handed off twice
    celery_worker_factory(concurrency=2)

    statements = wait_for_statements(ralph, 1000)
    assert len(statements) == 1000
    assert len(Path(ralph.store_path).read_text().splitlines()) == 1000  # stored once, not only shown once
    assert len({s["id"] for s in statements}) == 1000
    for statement in statements:
        assert validate_statement(statement) == [], statement
        BaseXapiStatement(**statement)
    actors = {s["actor"]["account"]["name"] for s in statements}
    assert len(actors) == 1000
    text = json.dumps(statements)
    assert "learner1" not in text and "10.1.2.3" not in text and "session-1" not in text
    assert not Rejection.objects.exists()
    assert flush_redis.xlen("openedx_xapi:events") == 0  # all acknowledged and removed


def test_course_restrictions_and_a_malformed_event_beside_good_ones(
        ralph, use_consumers, celery_worker_factory, flush_redis):
    use_consumers(xapi_consumer(ralph, courses=[COURSE]))
    worker = celery_worker_factory()
    emit_enrollments(5, course_id=COURSE, first_user=1)
    emit_enrollments(5, course_id=OTHER_COURSE, first_user=100)
    # A malformed event that still passes the cheap in-request check: no timestamp.
    from openedx_xapi.router.tasks import route_event
    route_event.apply_async(args=(json.dumps({"name": "edx.course.enrollment.activated",
                                              "context": {"course_id": COURSE}, "data": {}}), ["ralph"]))
    route_event.apply_async(args=("{this is not json", ["ralph"]))
    emit_enrollments(5, course_id=COURSE, first_user=10)

    statements = wait_for_statements(ralph, 10)
    assert len(statements) == 10
    assert {s["object"]["id"] for s in statements} == {f"http://localhost:18000/course/{COURSE}"}
    rejections = wait_until(lambda: list(Rejection.objects.filter(stage="malformed")) or None, timeout=30)
    assert rejections is not None and len(rejections) == 2
    assert {r.reason for r in rejections} >= {"missing timestamp"}
    log = worker.log_path.read_text()
    assert "malformed" in log and "missing timestamp" in log


class CaliperEndpoint(BaseHTTPRequestHandler):
    """A Caliper Sensor API endpoint that checks every envelope it receives."""

    envelopes = []
    problems = []
    token = "caliper-token"

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Authorization") != f"Bearer {self.token}":
            self.send_response(401)
        elif self.headers.get("Content-Type") != "application/json":
            self.send_response(415)
        else:
            envelope = json.loads(body)
            problems = validate_envelope(envelope)
            self.problems.extend(problems)
            self.envelopes.append(envelope)
            self.send_response(400 if problems else 200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_caliper_consumer_receives_valid_envelopes(use_consumers, celery_worker_factory, flush_redis):
    server = ThreadingHTTPServer(("127.0.0.1", 0), CaliperEndpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        use_consumers({"name": "caliper", "protocol": "caliper",
                       "url": f"http://127.0.0.1:{server.server_port}/caliper",
                       "auth": {"type": "bearer", "token": CaliperEndpoint.token}})
        celery_worker_factory()
        emit_enrollments(20)
        emit_enrollments(5, name="edx.course.enrollment.deactivated")
        assert wait_until(lambda: sum(len(e["data"]) for e in CaliperEndpoint.envelopes) >= 25, timeout=60)
        time.sleep(1)  # any duplicate would arrive now
        assert CaliperEndpoint.problems == []
        events = [event for envelope in CaliperEndpoint.envelopes for event in envelope["data"]]
        assert {e["action"] for e in events} == {"Activated", "Deactivated"}
        assert all(envelope["dataVersion"] == "http://purl.imsglobal.org/ctx/caliper/v1p2"
                   for envelope in CaliperEndpoint.envelopes)
        assert len(events) == len({e["id"] for e in events}) == 25
        assert len(CaliperEndpoint.envelopes) < 25  # micro-batches: several events per envelope
    finally:
        server.shutdown()
