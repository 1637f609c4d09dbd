"""Replay into a real Ralph LRS, through the router: interrupted with SIGINT and resumed, the LRS
holds every statement exactly once; a configured consumer's restrictions and identity apply;
what the LRS refuses is dead-lettered."""
import io
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from django.core.management import call_command

from openedx_xapi.cli import main
from openedx_xapi.models import ActorId, ConsumerStatus, DeadLetter
from sandbox.services import fetch_statements

from .replay_logs import write_logs
from .test_replay import counts_in, read_outputs

pytestmark = [pytest.mark.integration]

LMS = "http://localhost:18000"
SECRET = "replay-secret-2"
DAYS, PER_DAY, LEARNERS = 3, 150, 25


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    return write_logs(tmp_path_factory.mktemp("logs"), DAYS, PER_DAY, learners=LEARNERS)


@pytest.fixture(scope="module")
def expected(logs, tmp_path_factory):
    """The statements an uninterrupted replay makes of the logs (into files), by id."""
    output = tmp_path_factory.mktemp("expected")
    err = io.StringIO()
    code = main(["replay", "--output", str(output), "--lms-url", LMS, "--secret", SECRET, "--workers", "1",
                 str(logs[0].parent)], stderr=err)
    assert code == 0, err.getvalue()
    return {s["id"]: s for day in read_outputs(output).values() for s in day}


def consumer(lrs, **extra):
    return {"name": "lrs", "protocol": "xapi", "url": lrs.url,
            "auth": {"type": "basic", "username": lrs.username, "password": lrs.password}, **extra}


def test_sigint_then_resume_into_ralph_stores_every_statement_once(ralph, logs, expected, tmp_path, pii_scan):
    """The console command outside an LMS, as an operator runs it: its own settings and SQLite state,
    Ctrl-C in the middle, exit 130, the same command again."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["OPENEDX_XAPI_REPLAY_PASSWORD"] = ralph.password
    argv = [sys.executable, "-m", "openedx_xapi.cli", "replay", "--url", ralph.url, "--username", ralph.username,
            "--lms-url", LMS, "--secret", SECRET, "--state-db", str(tmp_path / "state.sqlite3"),
            "--batch-size", "20", "--progress", "log", "--progress-interval", "0.5", str(logs[0].parent)]
    slow = ["--rate-limit", "100"]
    process = subprocess.Popen(argv + slow, env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    checkpoint = tmp_path / "openedx-xapi-replay-replay.json"
    deadline = time.monotonic() + 60
    while not checkpoint.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)
    process.send_signal(signal.SIGINT)
    _, first = process.communicate(timeout=60)
    assert process.returncode == 130, first
    stored = fetch_statements(ralph)
    assert 0 < counts_in(first)["delivered"] == len(stored) < len(expected)

    second = subprocess.run(argv, env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True, timeout=180)
    assert second.returncode == 0, second.stderr
    assert counts_in(second.stderr)["read"] < DAYS * PER_DAY  # resumed, not started over
    statements = fetch_statements(ralph)
    ids = [s["id"] for s in statements]
    assert len(ids) == len(set(ids)) == len(expected)
    assert set(ids) == set(expected)
    # The same statements as the files: the same actors (HMAC of the user id with the secret), verbs, objects.
    for statement in statements[::10]:
        assert {k: statement[k] for k in ("actor", "verb", "object")} == \
            {k: expected[statement["id"]][k] for k in ("actor", "verb", "object")}
    for text in (first, second.stderr):
        for line in text.splitlines():
            pii_scan.check_log_text(line, where="replay's standard error")
    assert ralph.password not in first + second.stderr


def test_management_command_into_a_configured_consumer(ralph, logs, expected, use_consumers, db, tmp_path,
                                                      monkeypatch):
    """Inside the LMS: the consumer's restrictions and identity (the LMS's anonymous ids) apply."""
    monkeypatch.chdir(tmp_path)
    use_consumers(consumer(ralph, courses=["course-v1:edX+Stats101+2024"]))
    stderr = io.StringIO()
    call_command("openedx_xapi_replay", "--consumer", "lrs", "--progress", "none", str(logs[0].parent),
                 stderr=stderr)
    statements = fetch_statements(ralph)
    wanted = {i for i, s in expected.items() if "Stats101" in json.dumps(s["context"]) + json.dumps(s["object"])}
    assert statements and {s["id"] for s in statements} == wanted
    assert len(statements) == len(wanted)
    actors = {s["actor"]["account"]["name"] for s in statements}
    assert actors <= {str(a) for a in ActorId.objects.filter(kind="xapi").values_list("anonymous_id", flat=True)}
    assert ConsumerStatus.objects.get(consumer="lrs").delivered == len(statements)
    saved = json.loads((tmp_path / "openedx-xapi-replay-lrs.json").read_text())  # the default checkpoint
    assert all(state["done"] for state in saved["sources"].values()) and len(saved["sources"]) == DAYS

    # Everything again, from the start: the LRS already holds each statement, and keeps one of each.
    stderr = io.StringIO()
    call_command("openedx_xapi_replay", "--consumer", "lrs", "--restart", "--progress", "none",
                 str(logs[0].parent), stderr=stderr)
    assert counts_in(stderr.getvalue())["delivered"] == len(wanted)
    again = fetch_statements(ralph)
    assert sorted(s["id"] for s in again) == sorted(s["id"] for s in statements)


def test_dry_run_for_a_consumer_sends_nothing(ralph, logs, use_consumers, db):
    use_consumers(consumer(ralph))
    stderr = io.StringIO()
    call_command("openedx_xapi_replay", "--consumer", "lrs", "--dry-run", "--progress", "none",
                 str(logs[0]), stderr=stderr)
    assert counts_in(stderr.getvalue())["translated"] > 0
    assert fetch_statements(ralph) == []


def test_what_the_lrs_refuses_is_dead_lettered(ralph, logs, tmp_path, db, pii_scan):
    """Wrong credentials: the router pauses the consumer and dead-letters, as for live events."""
    pii_scan.sensitive.add("password", "not-the-password")
    err = io.StringIO()
    code = main(["replay", "--url", ralph.url, "--username", ralph.username, "--password", "not-the-password",
                 "--checkpoint", str(tmp_path / "cp.json"), "--batch-size", "20", "--progress", "none",
                 str(logs[0])], stderr=err)
    assert code == 1, err.getvalue()
    counts = counts_in(err.getvalue())
    assert counts["delivered"] == 0 and counts["dead-lettered"] == 20  # one batch: then it stops
    assert "stopped: replay refused our credentials and is paused" in err.getvalue()
    letters = DeadLetter.objects.filter(consumer="replay")
    assert sum(len(letter.documents) for letter in letters) == counts["dead-lettered"]
    assert ConsumerStatus.objects.get(consumer="replay").paused
    assert fetch_statements(ralph) == []


def test_rate_limit_holds(ralph, logs, use_consumers, db, tmp_path):
    use_consumers(consumer(ralph))
    start = time.monotonic()
    call_command("openedx_xapi_replay", "--consumer", "lrs", "--rate-limit", "150", "--batch-size", "25",
                 "--since", "2024-03-01T00:00", "--until", "2024-03-01T12:00", "--progress", "none",
                 "--checkpoint", str(tmp_path / "cp.json"), str(logs[0]), stderr=io.StringIO())
    elapsed = time.monotonic() - start
    delivered = len(fetch_statements(ralph))
    assert delivered > 25
    assert elapsed >= (delivered - 25) / 150  # the first batch goes at once, then 150 per second at most


def test_console_command_with_the_lms_settings(ralph, logs, tmp_path):
    """``openedx-xapi replay --settings``: an LMS's settings and database, its configured consumers, and
    ``manage.py lms openedx_xapi_replay`` run as an operator runs it (a separate process)."""
    from sandbox.services import PROJECT_ROOT
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(SANDBOX_DB=str(tmp_path / "lms.sqlite3"), PYTHONPATH=str(PROJECT_ROOT),
               SANDBOX_OPENEDX_XAPI=json.dumps({"CONSUMERS": [consumer(ralph, orgs=["OpenU"])]}))
    manage = [sys.executable, str(PROJECT_ROOT / "sandbox" / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True, timeout=120)
    first = subprocess.run([sys.executable, "-m", "openedx_xapi.cli", "replay", "--settings", "sandbox.settings",
                            "--consumer", "lrs", "--progress", "none", str(logs[0])],
                           env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True, timeout=180)
    assert first.returncode == 0, first.stderr
    second = subprocess.run([*manage, "openedx_xapi_replay", "--consumer", "lrs", "--progress", "none",
                             str(logs[1])], env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True, timeout=180)
    assert second.returncode == 0, second.stderr
    statements = fetch_statements(ralph)
    delivered = counts_in(first.stderr)["delivered"] + counts_in(second.stderr)["delivered"]
    assert 0 < len(statements) == delivered == len({s["id"] for s in statements})
    assert all("OpenU" in json.dumps(s["object"]) + json.dumps(s.get("context")) for s in statements)
    checkpoint = json.loads((tmp_path / "openedx-xapi-replay-lrs.json").read_text())
    assert len(checkpoint["sources"]) == 2  # the second run added its source to the same checkpoint
