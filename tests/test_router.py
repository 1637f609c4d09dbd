"""Delivery: ``router.client.send`` against a real Ralph LRS and against scripted local
HTTP servers, and the ``deliver`` task run by a real Celery worker."""
import base64
import io
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openedx_xapi import consumers
from openedx_xapi.events import parse_event
from openedx_xapi.identity import HmacActorIds
from openedx_xapi.models import DeadLetter
from openedx_xapi.router import client
from openedx_xapi.router.tasks import deliver
from openedx_xapi.translator import TranslationContext, translate
from openedx_xapi.validator import validate, validate_envelope
from sandbox.services import fetch_statements, free_port

from .conftest import LMS, enrollment_event

CALIPER_V1P2 = "http://purl.imsglobal.org/ctx/caliper/v1p2"


def statement(ctx, **event_overrides):
    return translate(parse_event(enrollment_event(**event_overrides)), "xapi", ctx)[0]


def xapi_consumer(url, name="lrs", username="openedx", password="openedx-password", **extra):
    return consumers.from_settings({"name": name, "protocol": "xapi", "url": url,
                                    "auth": {"type": "basic", "username": username, "password": password}, **extra})


def basic(username, password):
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


# --- scripted HTTP servers ----------------------------------------------------------------

@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering


@dataclass
class Received:
    method: str
    path: str
    headers: dict
    body: bytes
    status: int = 0  # what the server answered

    def json(self):
        return json.loads(self.body)


class ScriptedServer:
    """A real HTTP server on 127.0.0.1 that answers with the scripted replies in turn (the
    last one again and again) and records every request it receives."""

    def __init__(self, *replies):
        self.replies = list(replies) or [Reply()]
        self.decide = None  # optionally, a function of the request body giving the Reply
        self.received = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with owner._lock:
                    request = Received(self.command, self.path, dict(self.headers.items()), body)
                    owner.received.append(request)
                    reply = owner.decide(body) if owner.decide else \
                        owner.replies[min(len(owner.received), len(owner.replies)) - 1]
                    request.status = reply.status
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:  # the client gave up (timeout test)
                    pass

            do_POST = do_GET = do_PUT = _handle  # noqa: N815

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        self.root = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def posts(self):
        return [r for r in list(self.received) if r.method == "POST"]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def serve():
    started = []

    def start(*replies):
        server = ScriptedServer(*replies)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def wait_until(check, timeout=60, interval=0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


# --- against a real Ralph LRS ---------------------------------------------------------------

@pytest.mark.integration
def test_ralph_stores_a_statement_once_and_accepts_it_again(ralph, ctx):
    consumer = xapi_consumer(ralph.url, name="ralph", username=ralph.username, password=ralph.password)
    document = statement(ctx)

    first = client.send(consumer, [document])
    assert first == client.Outcome(True, status=200)

    again = client.send(consumer, [document])
    assert again.delivered and not again.retry
    assert again.status == 204

    stored = fetch_statements(ralph)
    assert [s["id"] for s in stored] == [document["id"]]
    assert stored[0]["verb"] == document["verb"] and stored[0]["actor"] == document["actor"]


@pytest.mark.integration
def test_ralph_refuses_a_wrong_password_without_retry_or_leak(ralph, ctx):
    wrong = "not-the-" + ralph.password
    consumer = xapi_consumer(ralph.url, name="ralph-wrong", username=ralph.username, password=wrong)

    outcome = client.send(consumer, [statement(ctx)])

    assert not outcome.delivered
    assert outcome.retry is False
    assert outcome.status == 401
    assert "401" in outcome.reason
    assert wrong not in outcome.reason and ralph.password not in outcome.reason
    assert basic(ralph.username, wrong).split()[1] not in outcome.reason  # nor the Authorization header
    assert wrong not in repr(outcome)
    assert fetch_statements(ralph) == []


@pytest.mark.integration
def test_ralph_refuses_an_invalid_statement_without_retry(ralph, ctx):
    consumer = xapi_consumer(ralph.url, name="ralph-invalid", username=ralph.username, password=ralph.password)
    document = statement(ctx)
    del document["actor"]

    outcome = client.send(consumer, [document])

    assert not outcome.delivered
    assert outcome.retry is False
    assert outcome.status == 422
    assert outcome.reason.startswith("HTTP 422: ")
    assert fetch_statements(ralph) == []


# --- against scripted servers: what each answer means -----------------------------------------

@pytest.mark.parametrize("status", [500, 502, 504, 408])
def test_server_errors_are_retried(serve, ctx, status):
    server = serve(Reply(status, b"try later"))
    outcome = client.send(xapi_consumer(server.root + "/xAPI/"), [statement(ctx)])
    assert not outcome.delivered
    assert outcome.retry is True
    assert outcome.status == status
    assert outcome.retry_after is None
    assert outcome.reason == f"HTTP {status}: try later"
    assert len(server.posts()) == 1


def test_503_with_retry_after_is_retried_after_that_delay(serve, ctx):
    server = serve(Reply(503, b"maintenance", {"Retry-After": "7"}))
    outcome = client.send(xapi_consumer(server.root + "/xAPI/"), [statement(ctx)])
    assert not outcome.delivered and outcome.retry is True
    assert outcome.status == 503
    assert outcome.retry_after == 7.0


def test_429_is_retried(serve, ctx):
    server = serve(Reply(429, b"slow down", {"Retry-After": "3"}))
    outcome = client.send(xapi_consumer(server.root + "/xAPI/"), [statement(ctx)])
    assert not outcome.delivered and outcome.retry is True
    assert outcome.status == 429
    assert outcome.retry_after == 3.0


def test_400_is_refused_for_good_with_the_body_in_the_reason(serve, ctx):
    body = b'{"error": "statement[0].verb: invalid IRI"}'
    server = serve(Reply(400, body, {"Content-Type": "application/json"}))
    outcome = client.send(xapi_consumer(server.root + "/xAPI/"), [statement(ctx)])
    assert not outcome.delivered
    assert outcome.retry is False
    assert outcome.status == 400
    assert "400" in outcome.reason
    assert body.decode() in outcome.reason


def test_409_means_already_stored(serve, ctx):
    server = serve(Reply(409, b"Differing statements already exist"))
    outcome = client.send(xapi_consumer(server.root + "/xAPI/"), [statement(ctx)])
    assert outcome.delivered and not outcome.retry
    assert outcome.status == 409


def test_a_redirect_is_not_followed(serve, ctx):
    elsewhere = serve(Reply(200))
    target = f"{elsewhere.root}/elsewhere/xAPI/statements"
    server = serve(Reply(302, b"", {"Location": target}))

    outcome = client.send(xapi_consumer(server.root + "/xAPI/", password="redirect-secret"), [statement(ctx)])

    assert not outcome.delivered
    assert outcome.retry is False
    assert outcome.status == 302
    assert target in outcome.reason
    assert "configure that URL" in outcome.reason
    assert len(server.posts()) == 1
    time.sleep(0.2)  # anything on its way to the other server would have arrived
    assert elsewhere.received == []


def test_a_slow_server_times_out_and_is_retried(serve, ctx, settings):
    settings.OPENEDX_XAPI = {**settings.OPENEDX_XAPI, "READ_TIMEOUT": 0.5}
    server = serve(Reply(200, delay=2.0))

    started = time.monotonic()
    outcome = client.send(xapi_consumer(server.root + "/xAPI/", name="slow"), [statement(ctx)])
    elapsed = time.monotonic() - started

    assert not outcome.delivered
    assert outcome.retry is True
    assert outcome.reason == "timed out"
    assert elapsed < 1.9
    assert len(server.posts()) == 1


def test_nothing_listening_is_retried(ctx):
    port = free_port()
    outcome = client.send(xapi_consumer(f"http://127.0.0.1:{port}/xAPI/", name="nobody"), [statement(ctx)])
    assert not outcome.delivered
    assert outcome.retry is True
    assert outcome.reason.startswith("connection failed")
    assert outcome.status is None


# --- against scripted servers: what is sent ------------------------------------------------------

def test_the_xapi_request(serve, ctx):
    server = serve(Reply(200, b'["id"]'))
    document = statement(ctx)
    consumer = xapi_consumer(server.root + "/xAPI/", username="lms", password="pw-1")

    assert client.send(consumer, [document]).delivered

    [request] = server.received
    assert request.method == "POST"
    assert request.path == "/xAPI/statements"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Experience-API-Version"] == "1.0.3"
    assert request.headers["Authorization"] == basic("lms", "pw-1")
    assert request.headers["User-Agent"].startswith("openedx-xapi/")
    body = request.json()
    assert isinstance(body, list)
    assert body == [document]


def test_a_url_ending_in_statements_is_used_as_it_is(serve, ctx):
    server = serve(Reply(200))
    assert client.send(xapi_consumer(server.root + "/lrs/statements"), [statement(ctx)]).delivered
    assert [r.path for r in server.received] == ["/lrs/statements"]


def test_the_xapi_2_request(serve):
    ctx2 = TranslationContext(lms_root_url=LMS, actor_ids=HmacActorIds("test-secret"), xapi_version="2.0.0")
    server = serve(Reply(200))
    first, second = statement(ctx2, user_id=3), statement(ctx2, user_id=4)
    consumer = xapi_consumer(server.root + "/xAPI/", xapi_version="2.0.0")

    assert client.send(consumer, [first, second]).delivered

    [request] = server.received
    assert request.method == "POST"
    assert request.path.endswith("/statements")
    assert request.headers["X-Experience-API-Version"] == "2.0.0"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Authorization"] == basic("openedx", "openedx-password")
    assert request.json() == [first, second]


def test_the_caliper_request(serve, ctx):
    server = serve(Reply(200))
    event = translate(parse_event(enrollment_event()), "caliper", ctx)[0]
    consumer = consumers.from_settings({"name": "caliper", "protocol": "caliper", "url": server.root + "/caliper/v1p2",
                                        "auth": {"type": "bearer", "token": "tok-123"}})

    before = datetime.now(timezone.utc)
    assert client.send(consumer, [event]).delivered

    [request] = server.received
    assert request.method == "POST"
    assert request.path == "/caliper/v1p2"  # the endpoint as configured
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Authorization"] == "Bearer tok-123"
    assert "X-Experience-API-Version" not in request.headers
    envelope = request.json()
    assert set(envelope) == {"sensor", "sendTime", "dataVersion", "data"}
    assert envelope["sensor"] == f"{LMS}/caliper/sensor"
    assert envelope["dataVersion"] == CALIPER_V1P2
    assert envelope["data"] == [event]
    sent = datetime.fromisoformat(envelope["sendTime"].replace("Z", "+00:00"))
    assert before - timedelta(seconds=1) <= sent <= datetime.now(timezone.utc) + timedelta(seconds=1)
    assert validate_envelope(envelope) == []


# --- the deliver task, on a real Celery worker -------------------------------------------------

@pytest.mark.integration
def test_deliver_retries_until_the_consumer_accepts(serve, ctx, use_consumers, celery_worker_factory, flush_redis):
    server = serve(Reply(500, b"oops", {"Retry-After": "0"}), Reply(500, b"oops", {"Retry-After": "0"}),
                   Reply(200, b"[]"))
    use_consumers({"name": "flaky", "url": server.root + "/xAPI/",
                   "auth": {"type": "basic", "username": "u", "password": "p"}}, MAX_RETRIES=2)
    celery_worker_factory()
    document = statement(ctx)

    deliver.apply_async(args=("flaky", [document]))

    assert wait_until(lambda: len(server.posts()) >= 3, timeout=30), server.received
    time.sleep(1.0)  # a 4th attempt, if any, would come now
    posts = server.posts()
    assert len(posts) == 3
    assert all(p.json() == [document] for p in posts)
    assert all(p.headers["Authorization"] == basic("u", "p") for p in posts)
    assert not DeadLetter.objects.exists()


@pytest.mark.integration
def test_deliver_gives_up_after_max_retries(serve, ctx, use_consumers, celery_worker_factory, flush_redis):
    server = serve(Reply(503, b"down", {"Retry-After": "0"}))
    use_consumers({"name": "down", "url": server.root + "/xAPI/",
                   "auth": {"type": "basic", "username": "u", "password": "p"}}, MAX_RETRIES=2)
    celery_worker_factory()
    document = statement(ctx)

    deliver.apply_async(args=("down", [document]))

    letter = wait_until(lambda: DeadLetter.objects.filter(consumer="down").first(), timeout=30)
    assert letter is not None, server.received
    assert len(server.posts()) == 3
    assert letter.reason == "HTTP 503: down (after 3 attempt(s))"
    assert (letter.attempts, letter.status_code) == (3, 503)
    assert letter.first_error_at < letter.last_error_at
    assert letter.documents == [document]


@pytest.mark.integration
def test_deliver_dead_letters_a_refused_batch_and_it_can_be_replayed(serve, ctx, use_consumers,
                                                                     celery_worker_factory, flush_redis):
    server = serve(Reply(400, b"no thanks"))
    use_consumers({"name": "refuses", "url": server.root + "/xAPI/",
                   "auth": {"type": "basic", "username": "u", "password": "secret-pw"}}, MAX_RETRIES=5)
    celery_worker_factory()
    document = statement(ctx)

    deliver.apply_async(args=("refuses", [document]))

    letter = wait_until(lambda: DeadLetter.objects.filter(consumer="refuses").first(), timeout=30)
    assert letter is not None, server.received
    assert "HTTP 400: no thanks" in letter.reason
    assert letter.reason.endswith("(after 1 attempt(s))")
    assert "secret-pw" not in letter.reason and "secret-pw" not in json.dumps(letter.documents)
    assert letter.documents == [document] and letter.status_code == 400
    time.sleep(0.5)
    assert len(server.posts()) == 1  # refused for good: no retry, and never retried in a loop
    assert DeadLetter.objects.count() == 1

    # The operator fixes the cause and replays: the documents arrive, the dead letter is gone.
    server.replies[:] = [Reply(200, b"[]")]
    call_command("openedx_xapi_replay_dead_letters", "--consumer", "refuses", stdout=io.StringIO())
    assert wait_until(lambda: len(server.posts()) == 2, timeout=30), server.received
    assert server.posts()[-1].json() == [document]
    time.sleep(0.5)
    assert not DeadLetter.objects.exists()


@pytest.mark.integration
def test_a_consumer_refusing_our_credentials_is_paused_not_hammered(serve, ctx, use_consumers,
                                                                   celery_worker_factory, flush_redis):
    from openedx_xapi.models import ConsumerStatus
    from openedx_xapi.router import status
    server = serve(Reply(401, b"bad credentials"))
    use_consumers({"name": "locked", "url": server.root + "/xAPI/",
                   "auth": {"type": "basic", "username": "u", "password": "p"}}, MAX_RETRIES=5)
    celery_worker_factory()
    first, second = statement(ctx), statement(ctx, user_id=99)

    deliver.apply_async(args=("locked", [first]))
    assert wait_until(lambda: DeadLetter.objects.filter(consumer="locked").exists(), timeout=30)
    found = ConsumerStatus.objects.get(consumer="locked")
    assert found.paused and "HTTP 401" in found.last_error and found.dead_lettered == 1

    deliver.apply_async(args=("locked", [second]))  # while paused: kept, not sent
    assert wait_until(lambda: DeadLetter.objects.filter(consumer="locked").count() == 2, timeout=30)
    assert len(server.posts()) == 1
    assert "paused" in DeadLetter.objects.filter(consumer="locked").order_by("-id").first().reason

    server.replies[:] = [Reply(200, b"[]")]  # the operator fixes the credentials, resumes, replays
    assert status.resume(["locked"]) == 1
    call_command("openedx_xapi_replay_dead_letters", "--consumer", "locked", stdout=io.StringIO())
    assert wait_until(lambda: len(server.posts()) == 3, timeout=30), server.received
    assert sorted(p.json()[0]["id"] for p in server.posts()[1:]) == sorted([first["id"], second["id"]])
    assert wait_until(lambda: ConsumerStatus.objects.get(consumer="locked").delivered == 2, timeout=30)
    assert ConsumerStatus.objects.get(consumer="locked").last_success_at is not None
    assert not DeadLetter.objects.exists()


# --- batches: one bad document, or one conflict, costs only itself --------------------------

@pytest.mark.django_db(transaction=True)
def test_a_refused_batch_is_bisected_and_only_the_bad_document_dead_lettered(serve, ctx, use_consumers, caplog):
    from openedx_xapi.router.delivery import attempt
    caplog.set_level("INFO", logger="openedx_xapi")

    documents = [statement(ctx, user_id=n) for n in range(1, 12)]
    bad = documents[7]["id"]
    server = serve(Reply(200, b"[]"))
    server.decide = lambda body: Reply(400, b"statement " + bad.encode() + b" is invalid") \
        if bad in body.decode() else Reply(200, b"[]")
    use_consumers({"name": "picky", "url": server.root + "/xAPI/",
                   "auth": {"type": "basic", "username": "u", "password": "p"}})

    assert attempt("picky", documents, list(range(1, 12))) == []
    delivered = [d["id"] for p in server.posts() if p.status == 200 for d in p.json()]
    assert sorted(delivered) == sorted(d["id"] for d in documents if d["id"] != bad)
    [letter] = DeadLetter.objects.all()
    assert letter.documents == [documents[7]] and letter.user_id == 8 and letter.status_code == 400
    assert "is invalid" in letter.reason
    # Each outcome is also logged with structured fields, for log pipelines.
    outcomes = [record.openedx_xapi for record in caplog.records if hasattr(record, "openedx_xapi")]
    assert {"consumer": "picky", "outcome": "dead_lettered", "documents": 1, "status": 400} in outcomes
    assert sum(o["documents"] for o in outcomes if o["outcome"] == "delivered") == 10


@pytest.mark.django_db(transaction=True)
def test_a_conflict_in_a_batch_does_not_lose_the_others(ralph, ctx, use_consumers):
    """Ralph refuses a whole batch with 409 when one statement's id is stored with other content."""
    from openedx_xapi.router.delivery import attempt
    use_consumers({"name": "ralph", "url": ralph.url,
                   "auth": {"type": "basic", "username": ralph.username, "password": ralph.password}})
    stored = statement(ctx, user_id=1)
    assert attempt("ralph", [stored], [1]) == []
    changed = json.loads(json.dumps(stored))
    changed["object"]["definition"]["extensions"]["https://w3id.org/xapi/acrossx/extensions/type"] = "honor"
    others = [statement(ctx, user_id=n) for n in (2, 3, 4)]

    assert attempt("ralph", [others[0], changed, *others[1:]], [2, 1, 3, 4]) == []
    held = {s["id"]: s for s in fetch_statements(ralph)}
    assert set(held) == {stored["id"], *(s["id"] for s in others)}
    assert held[stored["id"]]["object"] == stored["object"]  # the LRS keeps the first version
    assert not DeadLetter.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("protocol, posts", [("caliper", 1), ("xapi", 7)])
def test_a_caliper_422_refuses_the_whole_envelope_so_it_is_not_bisected(serve, ctx, use_consumers, protocol, posts):
    """For a Caliper endpoint 422 means "this dataVersion is not supported": every half would be
    refused alike, so the batch is dead-lettered after one request. (An xAPI LRS's 422 may be
    about one statement: the batch is halved until the refused one is found.)"""
    from openedx_xapi.router.delivery import attempt
    server = serve(Reply(422, b"unsupported dataVersion"))
    auth = {"type": "bearer", "token": "tok"} if protocol == "caliper" else {"type": "basic", "username": "u",
                                                                             "password": "p"}
    use_consumers({"name": "picky", "protocol": protocol, "url": server.root + "/endpoint/", "auth": auth})
    documents = [translate(parse_event(enrollment_event(user_id=n)), protocol, ctx)[0] for n in (1, 2, 3, 4)]

    assert attempt("picky", documents, [1, 2, 3, 4]) == []

    assert len(server.posts()) == posts
    assert sum(len(letter.documents) for letter in DeadLetter.objects.all()) == 4


# --- probes: is a consumer whose circuit is open back? ---------------------------------------

@pytest.mark.parametrize("reply, up", [
    (Reply(200, b'{"version": ["1.0.3"]}'), True),
    (Reply(404, b"not found"), True),  # Ralph has no about: it answers, so it is up
    (Reply(401, b"who are you"), True),  # up; whether it takes our credentials is delivery's business
    (Reply(503, b"down"), False),
    (Reply(429, b"slow down"), False),
])
def test_a_probe_says_up_for_any_answer_but_5xx_and_429(serve, reply, up):
    server = serve(reply)
    found = client.probe(xapi_consumer(server.root + "/xAPI/"))
    assert (found.up, found.status) == (up, reply.status)
    [request] = server.received
    assert (request.method, request.path) == ("GET", "/xAPI/about")
    assert request.headers["X-Experience-API-Version"] == "1.0.3"
    assert request.headers["Authorization"] == basic("openedx", "openedx-password")


def test_a_probe_of_nothing_listening_says_down():
    found = client.probe(xapi_consumer("http://127.0.0.1:9/xAPI/"))
    assert not found.up and found.status is None and "connection failed" in found.reason


def test_a_probe_of_a_caliper_endpoint_gets_the_endpoint_itself(serve):
    server = serve(Reply(405, b"POST only"))
    consumer = consumers.from_settings({"name": "cal", "protocol": "caliper", "url": server.root + "/caliper",
                                        "auth": {"type": "bearer", "token": "tok"}})
    found = client.probe(consumer)
    assert found.up and server.received[0].path == "/caliper"
    assert server.received[0].headers["Authorization"] == "Bearer tok"


# --- what fails unexpectedly is kept too ------------------------------------------------------

@pytest.mark.django_db
def test_an_event_that_fails_unexpectedly_is_kept_as_a_rejection_and_the_others_go_on(use_consumers, monkeypatch):
    """Not the event's known faults (those are MalformedEvent, Skipped, Rejected) but a bug of
    ours: the event is recorded with the kind of error, never lost silently, and the batch goes on."""
    from openedx_xapi.models import Rejection
    from openedx_xapi.router import tasks
    use_consumers({"name": "lrs", "protocol": "xapi", "url": "http://127.0.0.1:9/xAPI/",
                   "auth": {"type": "basic", "username": "u", "password": "p"}})
    documents_for = tasks.documents_for

    def sometimes_broken(event, protocol, ctx):
        if event.user_id == 2:
            raise KeyError("a bug")
        return documents_for(event, protocol, ctx)
    monkeypatch.setattr(tasks, "documents_for", sometimes_broken)

    outbox = tasks.prepare([(enrollment_event(user_id=1), ["lrs"]), (enrollment_event(user_id=2), ["lrs"]),
                            (enrollment_event(user_id=3), ["lrs"])])

    assert len(outbox["lrs"][0]) == 2
    [rejection] = Rejection.objects.all()
    assert (rejection.stage, rejection.user_id, rejection.event_name) == \
        ("untranslatable", 2, "edx.course.enrollment.activated")
    assert rejection.reason == "could not be routed (KeyError)"


# --- parked batches are claimed, not deleted, while they are sent -------------------------------

@pytest.mark.django_db(transaction=True)
def test_a_parked_batch_outlives_a_process_that_dies_while_sending_it(serve, ctx, use_consumers, monkeypatch):
    """The row of a parked batch goes only once the batch is dealt with. A process that dies
    mid-send (here: its send raises) leaves the batch claimed; nobody else sends it while the
    claim holds, and once it expires the next run sends it, and the row goes."""
    from datetime import timedelta

    from django.utils import timezone

    from openedx_xapi.models import ParkedBatch
    from openedx_xapi.router import circuit
    server = serve(Reply(200, b"[]"))
    use_consumers({"name": "lrs", "url": server.root + "/xAPI/", "auth": {"type": "basic", "username": "u",
                                                                          "password": "p"}})
    document = statement(ctx)
    circuit.park("lrs", [document], [3])

    def dies(*args, **kwargs):
        raise SystemExit("killed mid-send")
    send = circuit.send
    monkeypatch.setattr(circuit, "send", dies)
    with pytest.raises(SystemExit):
        circuit._process_consumer("lrs", timezone.now())
    [batch] = ParkedBatch.objects.all()
    assert batch.claimed_until > timezone.now()  # kept, and claimed by the process that died
    monkeypatch.setattr(circuit, "send", send)

    circuit.process_parked()  # the claim still holds: nobody sends it twice at once
    assert server.posts() == [] and ParkedBatch.objects.count() == 1
    assert 0 < circuit.seconds_until_due() <= circuit.CLAIM_SECONDS  # due again when the claim expires

    ParkedBatch.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))  # ... it expires
    circuit.process_parked()
    assert [p.json() for p in server.posts()] == [[document]]
    assert not ParkedBatch.objects.exists()


# --- whatever reaches the worker, it is routed, or refused with a reason, never crashed on -----

_ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=15)
_NAMES = st.sampled_from(["edx.course.enrollment.activated", "problem_check", "play_video", "edx.forum.thread.created",
                          "edx.grades.course.grade_calculated", "showanswer"]) | st.text(max_size=20)


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_NAMES,
       context=st.fixed_dictionaries(
           {"course_id": st.just("course-v1:edX+DemoX+Demo_Course") | _ANY_JSON,
            "user_id": st.integers(1, 5) | _ANY_JSON},
           optional={"username": _ANY_JSON, "host": _ANY_JSON, "path": _ANY_JSON, "session": _ANY_JSON}) | _ANY_JSON,
       data=st.dictionaries(st.sampled_from(["problem_id", "answers", "grade", "max_grade", "id", "currentTime",
                                             "course_id", "user_id", "mode", "body"]), _ANY_JSON, max_size=5)
       | _ANY_JSON,
       timestamp=st.sampled_from(["2024-01-02T03:04:05Z", "2024-01-02T03:04:05.123+02:00"]) | st.text(max_size=30))
def test_whatever_reaches_the_worker_is_routed_or_refused_with_a_reason(name, context, data, timestamp,
                                                                         use_consumers):
    """Events of any shape: each becomes documents or a rejection that says what is wrong,
    never an unexpected error (which the router would record as "could not be ...")."""
    from openedx_xapi.models import Rejection
    from openedx_xapi.router import tasks
    use_consumers({"name": "lrs", "protocol": "xapi", "url": "http://127.0.0.1:9/xAPI/",
                   "auth": {"type": "basic", "username": "u", "password": "p"}},
                  {"name": "cal", "protocol": "caliper", "url": "http://127.0.0.1:9/caliper",
                   "auth": {"type": "bearer", "token": "t"}})
    raw = {"name": name, "timestamp": timestamp, "context": context, "data": data}

    outbox = tasks.prepare([(raw, ["lrs", "cal"])])

    assert not Rejection.objects.filter(reason__startswith="could not").exists()
    for protocol_name, (documents, _users, _ids, _emitted) in outbox.items():
        protocol = "xapi" if protocol_name == "lrs" else "caliper"
        assert all(validate(document, protocol) == [] for document in documents)
