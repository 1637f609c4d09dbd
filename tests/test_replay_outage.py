"""Replay into a real Ralph LRS that goes down (the fault proxy in front of it stops listening):
the replay waits for it, probing, and goes on where it stopped once it answers. Nothing is
parked, nothing dead-lettered, every statement stored once; ``--max-wait`` gives up with a
checkpoint to resume from, and so does Ctrl-C while it waits."""
import io
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from openedx_xapi.cli import main
from openedx_xapi.models import DeadLetter, ParkedBatch
from sandbox.services import fetch_statements

from .faultproxy import FaultProxy
from .replay_logs import write_logs
from .test_integration import wait_until
from .test_replay import counts_in, read_outputs

pytestmark = [pytest.mark.integration]

LMS = "http://localhost:18000"
SECRET = "replay-outage-secret"
EXIT_UNREACHABLE = 75

# Short timeouts and backoffs, so that an outage plays out in seconds. MAX_RETRIES is low on
# purpose: a replay must not count an outage against a batch's retries (it would dead-letter
# history because the LRS was down for longer than the retries last).
FAST = {"CONNECT_TIMEOUT": 0.5, "READ_TIMEOUT": 2, "RETRY_BACKOFF_BASE": 0.2, "RETRY_BACKOFF_MAX": 1,
        "PROBE_BACKOFF_BASE": 0.3, "PROBE_BACKOFF_MAX": 1, "CIRCUIT_FAILURES": 2, "MAX_RETRIES": 3}


@pytest.fixture(scope="module")
def log(tmp_path_factory):
    """One day of tracking log."""
    return write_logs(tmp_path_factory.mktemp("logs"), 1, 200, learners=20)[0]


@pytest.fixture(scope="module")
def expected(log, tmp_path_factory):
    """The ids of the statements an uninterrupted replay makes of the log (into files)."""
    output = tmp_path_factory.mktemp("expected")
    err = io.StringIO()
    code = main(["replay", "--output", str(output), "--lms-url", LMS, "--secret", SECRET, "--workers", "1",
                 str(log)], stderr=err)
    assert code == 0, err.getvalue()
    return {s["id"] for day in read_outputs(output).values() for s in day}


@pytest.fixture
def proxy(ralph):
    found = FaultProxy(ralph.url.split("/xAPI")[0])
    yield found
    found.down()


def argv(proxy, ralph, tmp_path, *more):
    return ["replay", "--url", proxy.root + "/xAPI/", "--username", ralph.username, "--password", ralph.password,
            "--lms-url", LMS, "--secret", SECRET, "--checkpoint", str(tmp_path / "cp.json"), "--workers", "1",
            "--batch-size", "20", "--progress", "log", "--progress-interval", "0.5", *more]


def down_after(proxy, posts, seconds=None):
    """In a thread: stop the proxy once it has seen ``posts`` POSTs; start it again ``seconds`` later."""
    def run():
        wait_until(lambda: len(proxy.posts()) >= posts, timeout=60, interval=0.02)
        proxy.down()
        if seconds is not None:
            time.sleep(seconds)
            proxy.up()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def exactly_once(ralph, expected):
    statements = fetch_statements(ralph)
    ids = [s["id"] for s in statements]
    stored_lines = len(ralph.store_path.read_text().splitlines())
    assert (len(ids), len(set(ids)), stored_lines) == (len(expected),) * 3
    assert set(ids) == expected


def test_the_lrs_down_for_seconds_mid_replay(ralph, proxy, log, expected, use_consumers, db, tmp_path):
    use_consumers(**FAST)
    outage = down_after(proxy, posts=3, seconds=4)
    err = io.StringIO()
    started = time.monotonic()
    code = main(argv(proxy, ralph, tmp_path, "--rate-limit", "400", str(log)), stderr=err)
    outage.join(10)
    text = err.getvalue()
    assert code == 0, text
    assert time.monotonic() - started >= 4  # it waited for the LRS
    assert "consumer replay unreachable" in text and "waiting; retrying in" in text, text
    assert "answers again" in text
    exactly_once(ralph, expected)
    counts = counts_in(text)
    assert counts["delivered"] == len(expected) and counts["dead-lettered"] == 0
    assert not ParkedBatch.objects.exists() and not DeadLetter.objects.exists()
    assert "parked" not in text


def test_max_wait_gives_up_then_the_same_command_resumes(ralph, proxy, log, expected, use_consumers, db, tmp_path):
    use_consumers(**FAST)
    outage = down_after(proxy, posts=3)
    err = io.StringIO()
    started = time.monotonic()
    code = main(argv(proxy, ralph, tmp_path, "--max-wait", "2", str(log)), stderr=err)
    outage.join(10)
    text = err.getvalue()
    assert code == EXIT_UNREACHABLE, text
    assert 2 <= time.monotonic() - started < 30
    assert "stopped: consumer replay unreachable for 0:00:0" in text and "--max-wait 2" in text, text
    assert "to resume, run the same command again" in text
    stored = len(fetch_statements(ralph))
    assert 0 < counts_in(text)["delivered"] == stored < len(expected)
    assert not ParkedBatch.objects.exists() and not DeadLetter.objects.exists()

    proxy.up()
    err = io.StringIO()
    code = main(argv(proxy, ralph, tmp_path, "--max-wait", "2", str(log)), stderr=err)
    assert code == 0, err.getvalue()
    assert counts_in(err.getvalue())["read"] < 200  # resumed, not started over
    exactly_once(ralph, expected)
    assert not ParkedBatch.objects.exists() and not DeadLetter.objects.exists()


def test_ctrl_c_while_waiting_then_resume(ralph, proxy, log, expected, tmp_path):
    """The console command outside an LMS (its own settings and SQLite state, no Celery worker
    to drain anything), as an operator runs it: the LRS goes down, Ctrl-C while the replay
    waits, exit 130; the LRS comes back, the same command again stores the rest."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    state = tmp_path / "state.sqlite3"
    command = [sys.executable, "-m", "openedx_xapi.cli", *argv(proxy, ralph, tmp_path, "--state-db", str(state),
                                                                 str(log))]
    process = subprocess.Popen(command + ["--rate-limit", "200"], env=env, cwd=tmp_path, stderr=subprocess.PIPE,
                               text=True)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(process.stderr), daemon=True)
    reader.start()
    down_after(proxy, posts=3)
    assert wait_until(lambda: any("unreachable" in line for line in lines), timeout=60), "".join(lines)
    time.sleep(1.5)  # a probe or two more
    process.send_signal(signal.SIGINT)
    process.wait(30)
    reader.join(10)
    text = "".join(lines)
    assert process.returncode == 130, text
    assert "replay: stopping: the consumer is unreachable" in text
    assert "to resume, run the same command again" in text
    stored = len(fetch_statements(ralph))
    assert 0 < counts_in(text)["delivered"] == stored < len(expected)
    with sqlite3.connect(state) as db:
        assert db.execute("select count(*) from openedx_xapi_parkedbatch").fetchone() == (0,)
        assert db.execute("select count(*) from openedx_xapi_deadletter").fetchone() == (0,)

    proxy.up()
    second = subprocess.run(command, env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True, timeout=180)
    assert second.returncode == 0, second.stderr
    assert counts_in(second.stderr)["read"] < 200
    exactly_once(ralph, expected)


def test_a_consumer_that_answers_probes_is_retried_not_waited_for(ralph, proxy, log, expected, use_consumers, db,
                                                                  tmp_path):
    """500s for a few POSTs while ``GET about`` answers: the trouble is the batch's, not an outage.
    The router's retries (with their attempts counted) apply, as for live batches."""
    use_consumers(**FAST)
    proxy.then("status", 2, (500, {}))
    err = io.StringIO()
    code = main(argv(proxy, ralph, tmp_path, str(log)), stderr=err)
    assert code == 0, err.getvalue()
    assert "unreachable" not in err.getvalue()
    assert [seen.status for seen in proxy.posts()][:3] == [500, 500, 200]
    exactly_once(ralph, expected)


@pytest.mark.parametrize(("given", "seconds"), [("90", 90), ("2.5", 2.5), ("30s", 30), ("30m", 1800), ("2h", 7200),
                                                 ("1d", 86400), ("0", 0)])
def test_max_wait_durations(given, seconds):
    from openedx_xapi.replay.command import duration
    assert duration(given) == seconds


@pytest.mark.parametrize("given", ["", "soon", "-1", "5x", "inf", "nan"])
def test_max_wait_refuses_what_is_not_a_duration(given):
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        main(["replay", "--dry-run", "--max-wait", given, "-"], stderr=err)
    assert exit_info.value.code == 2


def test_max_wait_is_for_a_consumer(tmp_path):
    err = io.StringIO()
    code = main(["replay", "--output", str(tmp_path), "--max-wait", "60", "--lms-url", LMS, "--secret", SECRET, "-"],
                stdin=io.BytesIO(b""), stderr=err)
    assert code == 2 and "--max-wait is for delivering to a consumer" in err.getvalue()
