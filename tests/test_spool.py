"""The spool: events that wait for Redis are on local disk, and outlive their LMS process (ADR 0008)."""
import contextlib
import fcntl
import json
import os
import signal
import stat
import subprocess
import sys
import threading

import pytest
import redis

from openedx_xapi.backend import spool as spool_module
from openedx_xapi.backend import stream
from sandbox.services import PROJECT_ROOT, free_port, start_redis

from .conftest import COURSE
from .test_faults import FAST, exactly_once
from .test_integration import emit_enrollments, xapi_consumer

STREAM = "openedx_xapi:events"


def consumer():
    return {"name": "lrs", "protocol": "xapi", "url": "http://127.0.0.1:9/xAPI/",
            "auth": {"type": "basic", "username": "u"}}


@pytest.fixture
def spool_dir(settings, tmp_path):
    directory = tmp_path / "spool"
    settings.OPENEDX_XAPI = {**settings.OPENEDX_XAPI, "SPOOL_DIR": str(directory)}
    return directory


@pytest.fixture
def lms(use_consumers, flush_redis, spool_dir, db):
    """This process as an LMS with one consumer, its producer aimed at the test's Redis."""
    use_consumers(consumer())
    stream.reset()
    return stream.producer()


@contextlib.contextmanager
def redis_down(producer):
    """Redis is unreachable while inside (the producer's client points where nothing listens)."""
    good = producer.client
    producer.client = redis.Redis(host="127.0.0.1", port=9, socket_connect_timeout=0.2)
    try:
        yield
    finally:
        producer.client = good
        producer.down_until = 0  # as if the one-second pause were over


def spool_files(directory):
    return sorted(directory.glob("*/*.jsonl"))


def spooled_users(directory):
    return [json.loads(json.loads(line)["e"])["data"]["user_id"]
            for path in spool_files(directory) for line in path.read_text().splitlines()]


def streamed_users(redis_client):
    return [json.loads(fields[b"e"])["data"]["user_id"] for _id, fields in redis_client.xrange(STREAM)]


def orphan(producer, name, lines):
    """A spool file a dead process left: nobody holds its lock."""
    directory = spool_module._private_directory(producer.url)  # pylint: disable=protected-access
    path = os.path.join(directory, name + ".jsonl")
    with open(path, "wb") as file:
        file.write(b"".join(lines))
    return path


def line(user_id):
    event = {"name": "edx.course.enrollment.activated", "data": {"course_id": COURSE, "user_id": user_id}}
    return json.dumps({"c": "lrs", "e": json.dumps(event)}).encode() + b"\n"


# --- in this process ------------------------------------------------------------------------------

def test_while_redis_is_down_each_event_is_a_line_of_a_private_file(lms, spool_dir, flush_redis):
    with redis_down(lms):
        emit_enrollments(3)
        [path] = spool_files(spool_dir)
        assert spooled_users(spool_dir) == [1, 2, 3] and len(lms.spool) == 3 and not lms.spool.memory
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    emit_enrollments(1, first_user=4)  # Redis answers: the spool goes out first, then the file goes
    assert streamed_users(flush_redis) == [1, 2, 3, 4]
    assert spool_files(spool_dir) == [] and not lms.spool


def test_after_an_outage_each_request_pushes_a_bounded_share_of_the_backlog(lms, spool_dir, flush_redis,
                                                                            monkeypatch):
    """No learner pays for the whole backlog: each request pushes at most FLUSH_PER_REQUEST
    spooled events (whole batches), and what it emits itself waits behind them, in order."""
    monkeypatch.setattr(stream, "FLUSH_PER_REQUEST", 2)
    monkeypatch.setattr(spool_module, "BATCH", 2)
    with redis_down(lms):
        emit_enrollments(5)
    streamed_after_each = []
    for user in range(6, 12):
        emit_enrollments(1, first_user=user)
        streamed_after_each.append(len(streamed_users(flush_redis)))
    assert streamed_after_each == [2, 4, 6, 8, 10, 11]  # two a request, then the spool is empty
    assert streamed_users(flush_redis) == list(range(1, 12))
    assert spool_files(spool_dir) == [] and not lms.spool


def test_while_redis_is_up_the_spool_is_not_touched(lms, spool_dir, flush_redis):
    emit_enrollments(20)
    assert len(streamed_users(flush_redis)) == 20
    assert not spool_dir.exists()  # not even made


def test_the_spool_is_bounded_and_drops_the_oldest(lms, spool_dir, flush_redis, settings, caplog):
    settings.OPENEDX_XAPI = {**settings.OPENEDX_XAPI, "SPOOL_MAX_EVENTS": 20}
    with redis_down(lms):
        emit_enrollments(55)
        on_disk = spooled_users(spool_dir)
    assert 18 <= len(on_disk) <= 20 and on_disk == list(range(56 - len(on_disk), 56))  # the newest
    assert len(lms.spool) == len(on_disk) and "dropped the oldest" in caplog.text
    emit_enrollments(1, first_user=56)
    assert streamed_users(flush_redis) == on_disk + [56] and spool_files(spool_dir) == []


def test_an_unusable_directory_falls_back_to_memory(lms, settings, tmp_path, flush_redis, caplog):
    (tmp_path / "a-file").write_text("not a directory")
    settings.OPENEDX_XAPI = {**settings.OPENEDX_XAPI, "SPOOL_DIR": str(tmp_path / "a-file" / "spool")}
    with redis_down(lms):
        emit_enrollments(3)  # must not raise
        assert len(lms.spool.memory) == 3
    assert "cannot spool events" in caplog.text
    emit_enrollments(1, first_user=4)
    assert streamed_users(flush_redis) == [1, 2, 3, 4]


def test_a_directory_others_can_use_is_refused(lms, spool_dir, flush_redis, caplog):
    spool_dir.mkdir(mode=0o777)
    os.chmod(spool_dir, 0o777)  # in /tmp, anyone could have made it before us
    with redis_down(lms):
        emit_enrollments(2)
        assert len(lms.spool.memory) == 2 and spool_files(spool_dir) == []
    assert "writable by another user" in caplog.text


def test_an_orphan_is_pushed_once_and_deleted_and_a_corrupt_line_is_skipped(lms, spool_dir, flush_redis, caplog):
    path = orphan(lms, "4242-1-0", [line(1), b"{not json\n", line(2), line(3)[:20]])  # ends with half a line
    emit_enrollments(1, first_user=10)  # the first lease this process wins looks for orphans
    assert sorted(streamed_users(flush_redis)) == [1, 2, 10]
    assert not os.path.exists(path) and "skipped 2 corrupt lines" in caplog.text
    emit_enrollments(1, first_user=11)
    assert sorted(streamed_users(flush_redis)) == [1, 2, 10, 11]


def test_the_file_of_a_live_process_is_left_alone(lms, spool_dir, flush_redis):
    path = orphan(lms, "4243-1-0", [line(1), line(2)])
    with open(path, "rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # as its living process does
        assert lms.spool.adopt_orphans(lms._send) == 0  # pylint: disable=protected-access
        assert os.path.exists(path) and streamed_users(flush_redis) == []
    assert lms.spool.adopt_orphans(lms._send) == 2  # pylint: disable=protected-access
    assert not os.path.exists(path)


def test_two_processes_never_push_the_same_orphan(lms, spool_dir, flush_redis):
    orphan(lms, "4244-1-0", [line(user) for user in range(1, 1201)])  # three batches
    other = spool_module.Spool(lms.url)
    first_batch_sent, go_on = threading.Event(), threading.Event()

    def slow_send(batch):
        lms._send(batch)  # pylint: disable=protected-access
        first_batch_sent.set()
        go_on.wait(10)

    adopting = threading.Thread(target=lambda: pushed.append(lms.spool.adopt_orphans(slow_send)))
    pushed = []
    adopting.start()
    assert first_batch_sent.wait(10)
    assert other.adopt_orphans(lms._send) == 0  # pylint: disable=protected-access
    go_on.set()
    adopting.join(10)
    assert pushed == [1200] and other.adopt_orphans(lms._send) == 0  # pylint: disable=protected-access
    assert sorted(streamed_users(flush_redis)) == list(range(1, 1201))


# --- stand-in LMS processes ----------------------------------------------------------------------

# Emits ``count`` enrollments from user ``first``, says how many wait, then waits for a line on
# stdin; then, a second later (the producer tries Redis again once a second), emits one more.
LMS_SCRIPT = """
import os, resource, signal, sys, time
import django
django.setup()
from eventtracking import tracker
from openedx_xapi.backend import stream

def emit(first, count):
    for user_id in range(first, first + count):
        context = {"course_id": course, "user_id": user_id, "username": f"learner{user_id}"}
        with tracker.get_tracker().context("request", context):
            tracker.emit("edx.course.enrollment.activated", {"course_id": course, "user_id": user_id})

first, count, file_size, course = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
if file_size:  # a full disk: a write that would grow a file beyond file_size fails (EFBIG)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
emit(first, count)
spool = stream.producer().spool
print("waiting", len(spool), len(spool.memory), flush=True)
sys.stdin.readline()
time.sleep(1.2)
emit(first + count, 1)
print("done", len(spool), flush=True)
"""


def start_lms(redis_url, settings, first, count, file_size=0):
    from django.db import connection
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sandbox.settings", "SANDBOX_BROKER_URL": redis_url,
           "CELERY_BROKER_URL": redis_url,  # (Celery reads it before its settings, and the tests set it)
           "SANDBOX_DB": str(connection.settings_dict["NAME"]), "SANDBOX_LOG_LEVEL": "ERROR",
           "SANDBOX_OPENEDX_XAPI": json.dumps(settings.OPENEDX_XAPI)}
    return subprocess.Popen([sys.executable, "-c", LMS_SCRIPT, str(first), str(count), str(file_size), COURSE],
                            cwd=PROJECT_ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def said(process, timeout=60):
    """The next line the stand-in LMS prints (its stderr if it died instead)."""
    result = []
    reader = threading.Thread(target=lambda: result.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not result or not result[0]:
        process.kill()
        raise AssertionError(f"the stand-in LMS said nothing: {process.stderr.read()[-3000:]}")
    return result[0].split()


@pytest.mark.integration
def test_what_a_killed_lms_process_spooled_reaches_the_lrs(
        ralph, use_consumers, celery_worker_factory, spool_dir, tmp_path):
    """An LMS process holds events while Redis is down and is killed (SIGKILL: an OOM kill,
    a recycled worker); Redis comes back, and the next LMS process pushes what it left."""
    events = 40
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there yet
    use_consumers(xapi_consumer(ralph), **FAST)
    from django.conf import settings
    first = start_lms(url, settings, first=1, count=events)
    assert said(first) == ["waiting", str(events), "0"]
    assert sorted(spooled_users(spool_dir)) == list(range(1, events + 1))
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    server = start_redis(tmp_path / "redis", port=int(url.rsplit(":", 1)[1].split("/")[0]))
    try:
        celery_worker_factory(SANDBOX_BROKER_URL=url, CELERY_BROKER_URL=url)
        second = start_lms(url, settings, first=1000, count=0)
        assert said(second) == ["waiting", "0", "0"]
        second.communicate("go\n", timeout=60)
        assert second.returncode == 0
        statements = exactly_once(ralph, events + 1, timeout=90)
        assert len(statements) == events + 1
        assert spool_files(spool_dir) == []
    finally:
        server.stop()


def test_a_full_disk_loses_nothing_and_never_raises(use_consumers, spool_dir, tmp_path, transactional_db):
    """Writes fail half-way once the file would grow past a limit (as on a full disk): the
    half-written line is skipped, the rest waits in memory, and all of it reaches Redis."""
    use_consumers(consumer())
    url = f"redis://127.0.0.1:{free_port()}/0"
    from django.conf import settings
    lms_process = start_lms(url, settings, first=1, count=30, file_size=4000)
    try:
        word, waiting, in_memory = said(lms_process)
        assert (word, waiting) == ("waiting", "30") and 0 < int(in_memory) < 30
        server = start_redis(tmp_path / "redis", port=int(url.rsplit(":", 1)[1].split("/")[0]))
        try:
            out, err = lms_process.communicate("go\n", timeout=60)
            assert out.split() == ["done", "0"], err[-3000:]
            assert "cannot spool events" in err and "Traceback" not in err
            users = streamed_users(redis.Redis.from_url(server.url))
            assert sorted(users) == list(range(1, 32))
            assert spool_files(spool_dir) == []
        finally:
            server.stop()
    finally:
        lms_process.kill()


@pytest.mark.parametrize("option, value, message", [
    ("SPOOL_DIR", "relative/spool", "must be an absolute path"),
    ("SPOOL_MAX_EVENTS", 0, "must be a positive whole number"),
    ("SPOOL_MAX_EVENTS", "many", "must be a positive whole number"),
])
def test_system_check_reports_a_bad_spool_setting(settings, option, value, message):
    from openedx_xapi.checks import check_spool
    assert check_spool() == []
    settings.OPENEDX_XAPI = {**settings.OPENEDX_XAPI, option: value}
    [error] = check_spool()
    assert message in error.msg and option in error.msg
