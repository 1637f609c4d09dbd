"""Shared fixtures: sample events, and the real services of the integration tests.

Services (Redis, a Ralph LRS, Celery workers of the stand-in LMS) run as
subprocesses on 127.0.0.1, each started once per test session or per test, and
stopped at the end.
"""
import copy
import ipaddress
import json
import logging
import os
import re
import sys
from datetime import datetime, timezone
from pathlib import Path

import orjson
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


# --- the PII scan: no sensitive value in any log line, or in any document that may not hold it ---

PII_KINDS = ("username", "email", "ip", "user_agent", "referer", "session")  # as a consumer's "pii" lists them
SECRET_KINDS = ("password", "token", "secret")
IDENTITY_PII = {"username": "username", "mbox": "email"}  # identities that send a PII field in the actor
MIN_LENGTH = 5  # shorter values ("u", "pw", "abc") would match everywhere
# Values the fixtures use for people that are also ordinary words or addresses of the test machine.
NOT_SENSITIVE = frozenset({"127.0.0.1", "localhost", "openedx", "honor", "audit", "verified", "staff",
                           "professional", "Mozilla",
                           # a fixture's session id that is the ORA sample block's id elsewhere
                           "0a1b2c3d4e5f60718293a4b5c6d7e8f9"})
_WORD = re.compile(r"[A-Za-z]+")
# Where the fixtures' sources keep a person's details: key -> kind.
_SENSITIVE_KEYS = {"username": "username", "target_username": "username", "user": "username",
                   "email": "email", "user_email": "email", "ip": "ip", "agent": "user_agent",
                   "user_agent": "user_agent", "referer": "referer", "session": "session"}


def _looks_like(kind, value):
    """Whether a value found in an event can be a detail of this kind (not a hostile test's junk)."""
    if kind == "ip":
        try:
            ipaddress.ip_address(value)
        except ValueError:
            return False
    if kind == "referer":
        return value.startswith(("http://", "https://"))
    if kind == "email":
        return "@" in value
    return True


class SensitiveValues:
    """Known sensitive values (and patterns of them), each with its kind(s)."""

    def __init__(self, literals=None, patterns=None):
        self.literals = dict(literals or {})  # value -> set of kinds
        self.patterns = list(patterns or ())  # (compiled regex, kind)
        self._regex = None

    def copy(self):
        return SensitiveValues({value: set(kinds) for value, kinds in self.literals.items()}, self.patterns)

    def add(self, kind, *values, words=True):
        """Add values of ``kind``; with ``words=False``, plain words ("response", a username
        found in an event) are left out, as they are also ordinary parts of IRIs and names."""
        for value in values:
            if not words and isinstance(value, str) and _WORD.fullmatch(value):
                continue
            if isinstance(value, str) and len(value) >= MIN_LENGTH and value not in NOT_SENSITIVE:
                kinds = self.literals.setdefault(value, set())
                if kind not in kinds:  # recompile only for what is new
                    kinds.add(kind)
                    self._regex = None

    def add_pattern(self, kind, pattern):
        self.patterns.append((re.compile(pattern), kind))
        self._regex = None

    def add_sources(self, source):
        """Every value a source event (or a tree of them) gives a person's detail under a known key."""
        if isinstance(source, dict):
            for key, value in source.items():
                if key in _SENSITIVE_KEYS and isinstance(value, str):
                    self.add(_SENSITIVE_KEYS[key], value, words=False)
                else:
                    self.add_sources(value)
        elif isinstance(source, list):
            for item in source:
                self.add_sources(item)
        elif isinstance(source, str) and source.lstrip().startswith("{"):
            try:
                self.add_sources(json.loads(source))
            except ValueError:
                pass

    def kinds(self, value):
        found = set(self.literals.get(value, ()))
        found.update(kind for regex, kind in self.patterns if regex.fullmatch(value))
        return found

    def find(self, text):
        """``(value, kinds)`` for every sensitive value in ``text`` (as a whole token, longest first)."""
        if self._regex is None:
            alternatives = [re.escape(v) for v in sorted(self.literals, key=len, reverse=True)]
            alternatives += [regex.pattern for regex, _kind in self.patterns]
            self._regex = re.compile(r"(?<![A-Za-z0-9])(?:" + "|".join(alternatives) + r")(?![A-Za-z0-9])") \
                if alternatives else None
        if self._regex is None:
            return
        for match in self._regex.finditer(text):
            yield match.group(0), self.kinds(match.group(0))


SENSITIVE = SensitiveValues()
"""Every test's sensitive values: what the fixtures and the families' samples use for people,
their consumers' passwords, tokens and secrets. A test adds its own through ``pii_scan``."""
SENSITIVE.add("ip", "172.18.0.1", "10.1.2.3", "10.0.0.1")
SENSITIVE.add("user_agent", "Mozilla/5.0")
SENSITIVE.add("session", "44c2f6b53a6aaf210797a56391a443bc", "visit-42", "guest-session-1", "another-visit")
SENSITIVE.add_pattern("username", r"learner\d+")  # enrollment_event, test_integration.emit_enrollments
SENSITIVE.add_pattern("session", r"session-\d+")  # test_integration.emit_enrollments
SENSITIVE.add("password", "openedx-password", "very-secret-password", "s3cret", "redirect-secret", "secret-pw",
              "a-brand-new-password", "learner-password")
SENSITIVE.add("token", "caliper-token", "very-secret-token", "tok-123", "t0ken")
SENSITIVE.add("secret", "test-secret", "property-tests", "sandbox-only-secret-key-not-for-production",
              "an-hmac-secret-of-some-length", "another-hmac-secret-value")
SENSITIVE.add_sources([json.loads(path.read_text()) for path in sorted(FIXTURES.rglob("*.json"))])


_samples_added = []


def _add_samples():
    """The families' SAMPLES (their learners' usernames, IPs, agents, sessions), once."""
    if not _samples_added:
        from openedx_xapi.translator.registry import mapped_events, sample_for
        SENSITIVE.add_sources([sample_for(name) for name in mapped_events()])
        _samples_added.append(True)


class PiiScan:
    """One test's findings: sensitive values in log lines, and in documents that may not hold them."""

    def __init__(self):
        self.sensitive = SENSITIVE.copy()
        self.log_lines = []
        self.findings = []
        self.documents_seen = 0

    # -- documents --
    def check_documents(self, documents, event, ctx, where="documents_for"):
        """Record (and return) what ``documents``, made from ``event`` for ``ctx``, may not hold."""
        own = self._own_values(event, ctx)
        # The event's own details count as sensitive too, unless the event also carries them as
        # ordinary data (a property test's random "ip" that is also a score, say).
        ordinary = json.dumps([event.data, event.name, event.course_id, event.path, event.host,
                               {k: v for k, v in event.context.items() if k not in _SENSITIVE_KEYS}],
                              default=str, ensure_ascii=False)
        for kind, values in own.items():
            self.sensitive.add(kind, *(v for v in values if v not in ordinary and _looks_like(kind, v)), words=False)
        allowed_kinds = set(ctx.pii) | ({IDENTITY_PII[ctx.identity]} if ctx.identity in IDENTITY_PII else set())
        try:
            text = orjson.dumps(documents, default=str).decode()
        except TypeError:  # e.g. an integer beyond 64 bits
            text = json.dumps(documents, default=str, ensure_ascii=False)
        self.documents_seen += 1
        found = []
        for value, kinds in self.sensitive.find(text):
            if any(kind in allowed_kinds and value in own.get(kind, ()) for kind in kinds):
                continue
            if value in ctx.lms_root_url:  # a referer that is the LMS's home page, say
                continue
            found.append(f"{where}: a document of {event.name} (pii={sorted(ctx.pii)}, identity={ctx.identity}) "
                         f"holds {'/'.join(sorted(kinds))} {value!r}")
        self.findings.extend(found)
        return found

    @staticmethod
    def _own_values(event, ctx):
        """The learner's own details, by kind: what a consumer's pii or identity may let through."""
        own = {"username": {event.username}, "ip": {event.ip}, "user_agent": {event.agent},
               "referer": {event.referer}, "session": {event.session}, "email": set()}
        user_id = event.user_id
        try:
            if user_id is None and event.username:
                user_id = ctx.actor_ids.user_id_for(event.username)
            if user_id is not None and ctx.identity == "username":
                own["username"].add(ctx.actor_ids.username(user_id))
            if user_id is not None and ("email" in ctx.pii or ctx.identity == "mbox"):
                own["email"].add(ctx.actor_ids.email(user_id))
        except Exception:  # pylint: disable=broad-except  # no database in this test: nothing more is own
            pass
        return {kind: {v for v in values if v} for kind, values in own.items()}

    # -- logs --
    def check_log_text(self, text, where="log"):
        found = [f"{where}: {'/'.join(sorted(kinds))} {value!r} in {text[:300]!r}"
                 for value, kinds in self.sensitive.find(text)]
        self.findings.extend(found)
        return found

    def check_log_file(self, path):
        try:
            text = Path(path).read_text(errors="replace")
        except OSError:
            return []
        return [finding for line in text.splitlines() for finding in self.check_log_text(line, where=str(path))]

    def check_logs(self):
        return [finding for line in self.log_lines for finding in self.check_log_text(line)]


class _Collect(logging.Handler):
    def __init__(self, lines):
        super().__init__(logging.DEBUG)
        self.lines = lines
        self.formatter = logging.Formatter()

    def emit(self, record):
        try:
            text = record.getMessage()
        except Exception:  # pylint: disable=broad-except
            text = f"{record.msg} {record.args}"
        if record.exc_info:
            text += "\n" + self.formatter.formatException(record.exc_info)
        if record.stack_info:
            text += "\n" + record.stack_info
        self.lines.append(text)


@pytest.fixture(autouse=True)
def private_spool(settings, tmp_path):
    """Events that wait for Redis are spooled to this test's directory, never the system's /tmp."""
    settings.OPENEDX_XAPI = {**settings.OPENEDX_XAPI, "SPOOL_DIR": str(tmp_path / "spool")}


@pytest.fixture(autouse=True)
def fresh_actor_id_cache():
    """The router keeps learners' anonymous ids in memory for the life of the process; a
    test's database is new, so an id cached by an earlier test would name nobody."""
    from openedx_xapi.router import tasks
    tasks._actor_ids.clear()
    yield


@pytest.fixture(autouse=True)
def pii_scan(monkeypatch):
    """For every test: collect every log line of the plugin and check every document it makes
    (through ``documents_for`` or ``translate``); at the end, fail the test if any holds a sensitive
    value it may not (a log line: none; a document: only the learner's own, for a consumer that
    lists that field in ``pii`` or uses the matching identity)."""
    from openedx_xapi import cli, pipeline, translator
    from openedx_xapi.router import tasks
    _add_samples()
    scan = PiiScan()
    original_documents_for, original_translate = pipeline.documents_for, translator.translate

    def documents_for(event, protocol, ctx):
        documents = original_documents_for(event, protocol, ctx)
        scan.check_documents(documents, event, ctx)
        return documents

    def translate(event, protocol, ctx):
        documents = original_translate(event, protocol, ctx)
        scan.check_documents(documents, event, ctx, where="translate")
        return documents

    documents_for.spied, translate.spied = original_documents_for, original_translate
    # Every module's own reference to them: the plugin's (pipeline, cli, router.tasks, ...) and the
    # test modules'. (Not pipeline.translate: documents_for's own documents are checked once.)
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".")[0] not in ("openedx_xapi", "tests"):
            continue
        if getattr(module, "documents_for", None) is original_documents_for:
            monkeypatch.setattr(module, "documents_for", documents_for)
        if module is not pipeline and getattr(module, "translate", None) is original_translate:
            monkeypatch.setattr(module, "translate", translate)
    assert cli.documents_for is tasks.documents_for is pipeline.documents_for is documents_for

    logger = logging.getLogger("openedx_xapi")
    handler = _Collect(scan.log_lines)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield scan
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    scan.check_logs()
    if scan.findings:
        pytest.fail("sensitive values where they may not be:\n" + "\n".join(dict.fromkeys(scan.findings)),
                    pytrace=False)


@pytest.fixture
def make_learner(db, pii_scan):
    """A learner in the LMS's user table, whose username, email and password count as sensitive."""
    from django.contrib.auth import get_user_model

    def make(username, email=None, password="learner-password"):
        email = f"{username}@example.com" if email is None else email
        pii_scan.sensitive.add("username", username)
        pii_scan.sensitive.add("email", email)
        pii_scan.sensitive.add("password", password)
        return get_user_model().objects.create_user(username=username, email=email, password=password)
    return make


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
    # Celery reads CELERY_BROKER_URL from the environment before any other setting.
    os.environ["CELERY_BROKER_URL"] = url
    app._pool = None  # pylint: disable=protected-access
    app.amqp._producer_pool = None  # pylint: disable=protected-access
    app.conf.broker_url = app.conf.broker_write_url = app.conf.broker_read_url = url
    # The stream hand-off reads its Redis URL from the broker's, once per process.
    from openedx_xapi import conf
    from openedx_xapi.backend import stream
    conf.forget_redis_url()
    stream.reset()


@pytest.fixture
def flush_redis(broker):
    import redis
    client = redis.Redis.from_url(broker.url)
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def ralph(tmp_path, pii_scan, settings):
    """A fresh, empty Ralph LRS for one test. At the end, what it stored is scanned for personal
    data too: those statements were made in a Celery worker, out of the spy's sight."""
    with start_ralph(tmp_path) as lrs:
        yield lrs
    scan_lrs_store(pii_scan, lrs.store_path)


def scan_lrs_store(scan, store_path):
    """Record, in ``scan``, every sensitive value an LRS holds that none of the test's consumers
    may receive (a secret: never)."""
    allowed = set()
    for consumer in _test_consumers():
        allowed |= set(consumer.pii)
        if consumer.identity in IDENTITY_PII:
            allowed.add(IDENTITY_PII[consumer.identity])
    path = Path(store_path)
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    for start in range(0, len(lines), 1000):
        text = "\n".join(lines[start:start + 1000])
        for value, kinds in scan.sensitive.find(text):
            if set(kinds) - allowed:
                scan.findings.append(f"LRS store {path.name}: {'/'.join(sorted(kinds))} {value!r}")


def _test_consumers():
    """The consumers of the test: declared in settings, or added in the database."""
    consumers.clear_cache()
    return consumers.load_consumers()


@pytest.fixture
def celery_worker_factory(broker, transactional_db, tmp_path, settings, pii_scan):
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
        pii_scan.check_log_file(worker.log_path)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(tmp_path_factory):
    """A file-backed SQLite test database, so worker processes can share it."""
    from django.conf import settings
    path = tmp_path_factory.mktemp("db") / "test.sqlite3"
    settings.DATABASES["default"]["TEST"]["NAME"] = str(path)
    os.environ["SANDBOX_TEST_DB"] = str(path)


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)
