"""Caliper delivery through a real Celery worker to a real HTTP Caliper endpoint that
answers as the 1EdTech certification guide says an endpoint does ("HTTP Message
Responses"): 2xx taken; 400 for what is not a well-formed envelope; 401 without the
right bearer token; 415 for a media type it does not take; 422 for a ``dataVersion`` it
does not support. Each refusal reaches the dead-letter store with the endpoint's own
reason, after one POST; a 5xx or a timeout is retried until the endpoint takes it."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from openedx_xapi.events import parse_event
from openedx_xapi.models import DeadLetter
from openedx_xapi.router.tasks import deliver
from openedx_xapi.translator import translate
from openedx_xapi.validator import validate_envelope

from .conftest import enrollment_event
from .test_integration import emit_enrollments, wait_until

pytestmark = [pytest.mark.integration]

V1P2 = "http://purl.imsglobal.org/ctx/caliper/v1p2"
TOKEN = "caliper-endpoint-token"


class CaliperEndpoint:
    """A Sensor API endpoint on 127.0.0.1 that judges every request as the guide says, and
    explains each refusal with an RFC 7807 problem document. ``media_type`` and
    ``data_versions`` are what it accepts; ``trouble`` holds (status, delay) answers to give
    first, whatever the request (a server error, or a stall longer than the client waits)."""

    def __init__(self, media_type="application/json", data_versions=(V1P2,), trouble=()):
        self.media_type, self.data_versions = media_type, set(data_versions)
        self.trouble = list(trouble)
        self.requests, self.envelopes = [], []
        self._lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, detail, delay = endpoint.judge(self.headers, body)
                time.sleep(delay)
                payload = json.dumps({"title": "refused", "status": status, "detail": detail}).encode() \
                    if detail else b""
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/problem+json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:  # the client stopped waiting
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/caliper"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def judge(self, headers, body):
        """(status, problem detail, delay) for one request."""
        with self._lock:
            self.requests.append((dict(headers.items()), body))
            if self.trouble:
                status, delay = self.trouble.pop(0)
                return status, f"trouble {status}", delay
        if headers.get("Authorization") != f"Bearer {TOKEN}":
            return 401, "no bearer token this endpoint knows", 0
        if headers.get("Content-Type") != self.media_type:
            return 415, f"this endpoint takes {self.media_type} only", 0
        try:
            envelope = json.loads(body)
        except ValueError:
            return 400, "the body is not JSON", 0
        if not isinstance(envelope, dict) or not {"sensor", "sendTime", "dataVersion", "data"} <= set(envelope):
            return 400, "not a Caliper envelope", 0
        if envelope["dataVersion"] not in self.data_versions:
            return 422, f"dataVersion {envelope['dataVersion']} is not supported here", 0
        problems = validate_envelope(envelope)
        if problems:
            return 400, "malformed envelope: " + "; ".join(problems), 0
        with self._lock:
            self.envelopes.append(envelope)
        return 200, "", 0

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint():
    started = []

    def start(**options):
        server = CaliperEndpoint(**options)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def caliper_consumer(server, token=TOKEN):
    return {"name": "caliper", "protocol": "caliper", "url": server.url, "auth": {"type": "bearer", "token": token}}


def caliper_events(ctx, count=1):
    return [translate(parse_event(enrollment_event(user_id=user_id)), "caliper", ctx)[0]
            for user_id in range(1, count + 1)]


def dead_letters(count):
    return wait_until(lambda: list(DeadLetter.objects.filter(consumer="caliper")) if
                      DeadLetter.objects.filter(consumer="caliper").count() >= count else None, timeout=30)


REFUSALS = [
    # (what is wrong, consumer token, endpoint options, settings, status, the endpoint's reason)
    ("a sensor that is not an IRI", TOKEN, {}, {"CALIPER_SENSOR_ID": "openedx sensor"}, 400,
     "sensor: 'openedx sensor' is not a valid IRI"),
    ("a token the endpoint does not know", "expired-token", {}, {}, 401, "no bearer token this endpoint knows"),
    ("a media type the endpoint does not take", TOKEN, {"media_type": "application/ld+json"}, {}, 415,
     "this endpoint takes application/ld+json only"),
    ("a dataVersion the endpoint does not support", TOKEN,
     {"data_versions": ["http://purl.imsglobal.org/ctx/caliper/v1p1"]}, {}, 422,
     f"dataVersion {V1P2} is not supported here"),
]


@pytest.mark.parametrize("case, token, options, extra, status, reason", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_refusal_is_dead_lettered_with_the_endpoints_reason_after_one_post(
        case, token, options, extra, status, reason, endpoint, ctx, use_consumers, celery_worker_factory,
        flush_redis):
    server = endpoint(**options)
    use_consumers(caliper_consumer(server, token), MAX_RETRIES=5, **extra)
    celery_worker_factory()
    [event] = caliper_events(ctx)

    deliver.apply_async(args=("caliper", [event]))

    letters = dead_letters(1)
    assert letters, f"{case}: nothing dead-lettered; the endpoint saw {len(server.requests)} request(s)"
    [letter] = letters
    assert letter.status_code == status and letter.attempts == 1
    assert reason in letter.reason and letter.reason.startswith(f"HTTP {status}: ")
    assert letter.documents == [event]
    time.sleep(1.5)  # a retry, if any, would come now
    assert len(server.requests) == 1 and server.envelopes == []
    headers, _body = server.requests[0]
    assert headers["Content-Type"] == "application/json"
    assert token not in letter.reason


def test_an_unsupported_data_version_dead_letters_every_event_of_a_batch(
        endpoint, ctx, use_consumers, celery_worker_factory, flush_redis):
    server = endpoint(data_versions=["http://purl.imsglobal.org/ctx/caliper/v1p1"])
    use_consumers(caliper_consumer(server), MAX_RETRIES=5)
    celery_worker_factory()
    events = caliper_events(ctx, count=3)

    deliver.apply_async(args=("caliper", events, [1, 2, 3]))

    letters = dead_letters(3)
    assert letters, server.requests
    assert sorted(d["id"] for letter in letters for d in letter.documents) == sorted(e["id"] for e in events)
    assert all(letter.status_code == 422 and "not supported here" in letter.reason for letter in letters)
    time.sleep(1.5)
    sent = len(server.requests)
    assert sent <= 2 * len(events) - 1  # the batch, then its halves: never a retry loop
    time.sleep(1.0)
    assert len(server.requests) == sent


@pytest.mark.parametrize("trouble", [[(503, 0), (502, 0)], [(200, 3.0)]], ids=["5xx", "timeout"])
def test_server_errors_and_timeouts_are_retried_until_taken(
        trouble, endpoint, ctx, use_consumers, celery_worker_factory, flush_redis):
    server = endpoint(trouble=trouble)
    use_consumers(caliper_consumer(server), MAX_RETRIES=5, READ_TIMEOUT=1, RETRY_BACKOFF_BASE=0.2,
                  RETRY_BACKOFF_MAX=0.5)
    celery_worker_factory()
    [event] = caliper_events(ctx)

    deliver.apply_async(args=("caliper", [event]))

    assert wait_until(lambda: server.envelopes, timeout=60), server.requests
    time.sleep(1.0)  # a duplicate, if any, would come now
    assert len(server.requests) == len(trouble) + 1
    assert [e["data"] for e in server.envelopes] == [[event]]
    assert not DeadLetter.objects.exists()


def test_a_batch_of_emitted_events_survives_a_failing_endpoint_in_envelopes(
        endpoint, use_consumers, celery_worker_factory, flush_redis):
    """The whole path: events emitted in the LMS, batched into envelopes by the worker, the
    first two POSTs answered 503; every event arrives once, in well-formed envelopes."""
    server = endpoint(trouble=[(503, 0), (503, 0)])
    use_consumers(caliper_consumer(server), MAX_RETRIES=5, RETRY_BACKOFF_BASE=0.2, RETRY_BACKOFF_MAX=0.5,
                  CALIPER_SENSOR_ID="https://lms.example.com/sensors/openedx-xapi")
    celery_worker_factory()
    emit_enrollments(12)

    assert wait_until(lambda: sum(len(e["data"]) for e in server.envelopes) >= 12, timeout=90), server.requests
    time.sleep(1.0)
    events = [event for envelope in server.envelopes for event in envelope["data"]]
    assert len(events) == len({e["id"] for e in events}) == 12
    assert {envelope["sensor"] for envelope in server.envelopes} == {"https://lms.example.com/sensors/openedx-xapi"}
    assert all(validate_envelope(envelope) == [] for envelope in server.envelopes)
    assert len(server.envelopes) < 12  # batches, not one event per envelope
    assert not DeadLetter.objects.exists()
