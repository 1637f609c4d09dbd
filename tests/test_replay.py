"""Replay to files, and what it is made of: sources (files, folders, globs, .gz, stdin, S3),
selection, checkpoints, resuming after Ctrl-C or a crash."""
import gzip
import io
import json
import os
import signal
import subprocess
import sys
import time
from argparse import Namespace
from pathlib import Path

import pytest

from openedx_xapi.cli import main
from openedx_xapi.events import parse_event
from openedx_xapi.replay import command
from openedx_xapi.replay.checkpoint import Checkpoint
from openedx_xapi.replay.destinations import FilesDestination
from openedx_xapi.replay.selection import Selection, parse_moment
from openedx_xapi.replay.sources import Reader, Source, SourceError, expand
from openedx_xapi.validator import validate_statement
from sandbox.services import free_port

from .replay_logs import write_logs

ARGS = ["--lms-url", "http://localhost:18000", "--secret", "replay-secret-1", "--workers", "1"]
DAYS, PER_DAY, LEARNERS = 3, 200, 30


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    """Three days of gzipped tracking logs, and the same uncompressed."""
    folder = tmp_path_factory.mktemp("logs")
    return (write_logs(folder / "gz", DAYS, PER_DAY, learners=LEARNERS),
            write_logs(folder / "plain", DAYS, PER_DAY, compress=False, learners=LEARNERS))


@pytest.fixture(scope="module")
def expected(logs, tmp_path_factory):
    """What one uninterrupted replay of the logs writes: {file name: [statements]}."""
    output = tmp_path_factory.mktemp("expected")
    code, err = replay(["--output", str(output), str(logs[0][0].parent)])
    assert code == 0, err
    return read_outputs(output)


def replay(argv, stdin=b""):
    err = io.StringIO()
    code = main(["replay", *ARGS, "--progress", "log", *argv], stdin=io.BytesIO(stdin), stderr=err)
    return code, err.getvalue()


def read_outputs(folder):
    found = {}
    for path in sorted(Path(folder).glob("xapi-*")):
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rb") as stream:
            found[path.name.removesuffix(".gz")] = [json.loads(line) for line in stream]
    return found


def counts_in(err):
    line = next(line for line in err.splitlines() if line.startswith("read: "))
    line = line.split("  (")[0]
    return {key.strip(): int(value) for key, value in (part.split(":", 1) for part in line.split(", "))}


# --- to files ------------------------------------------------------------------------------------

def test_several_days_of_gzipped_logs_into_one_file_per_day(expected, logs):
    assert sorted(expected) == ["xapi-2024-03-01.ndjson", "xapi-2024-03-02.ndjson", "xapi-2024-03-03.ndjson"]
    statements = [s for day in expected.values() for s in day]
    assert len(statements) > DAYS * PER_DAY * 0.8
    assert len({s["id"] for s in statements}) == len(statements)
    for name, day in expected.items():
        assert all(s["timestamp"].startswith(name[5:15]) for s in day)
    for statement in statements[::25]:
        assert validate_statement(statement) == []
    assert len({s["verb"]["id"] for s in statements}) > 20  # many families, not one event over and over


def test_summary_counts_add_up(logs, tmp_path):
    code, err = replay(["--output", str(tmp_path / "out"), *map(str, logs[0])])
    assert code == 0, err
    counts = counts_in(err)
    assert counts["read"] == DAYS * PER_DAY
    assert counts["read"] == counts["translated"] + counts["skipped"] + counts["rejected"]
    assert counts["rejected"] > 0 and counts["skipped"] > 0  # the logs hold cut lines, guests, unmapped events
    assert counts["delivered"] == sum(len(day) for day in read_outputs(tmp_path / "out").values())
    assert counts["dead-lettered"] == 0
    assert "rejected: malformed" in err and ".gz:" in err  # each rejection says where it is


def test_plain_gz_glob_and_folder_give_the_same(logs, expected, tmp_path):
    gz, plain = logs
    for index, sources in enumerate(([str(plain[0].parent)], [str(gz[0].parent / "*.gz")],
                                     [str(p) for p in plain])):
        out = tmp_path / f"out{index}"
        code, err = replay(["--output", str(out), *sources])
        assert code == 0, err
        assert read_outputs(out) == expected


def test_gzipped_output_and_standard_input(logs, expected, tmp_path):
    data = b"".join(gzip.decompress(path.read_bytes()) for path in logs[0])
    code, err = replay(["--output", str(tmp_path), "--gzip", "-"], stdin=data)
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.glob("xapi-*")) == [f"{n}.gz" for n in sorted(expected)]
    assert read_outputs(tmp_path) == expected


def test_several_workers_give_the_same_files_as_one(logs, expected, tmp_path):
    code, err = replay(["--output", str(tmp_path), "--workers", "2", str(logs[0][0].parent)])
    assert code == 0, err
    assert read_outputs(tmp_path) == expected


def test_selection_dates_courses_orgs_events(logs, expected, tmp_path):
    code, err = replay(["--output", str(tmp_path / "a"), "--since", "2024-03-02", "--until", "2024-03-02",
                        str(logs[0][0].parent)])
    assert code == 0, err
    assert read_outputs(tmp_path / "a") == {"xapi-2024-03-02.ndjson": expected["xapi-2024-03-02.ndjson"]}

    code, err = replay(["--output", str(tmp_path / "b"), "--org", "OpenU", "--event", "*video*",
                        "--event", "edx.course.enrollment.*", str(logs[0][0].parent)])
    assert code == 0, err
    selected = [s for day in read_outputs(tmp_path / "b").values() for s in day]
    every = [s for day in expected.values() for s in day]
    assert selected
    assert all("OpenU+Hist200" in json.dumps(s["object"]) + json.dumps(s.get("context", {})) for s in selected)
    assert {s["id"] for s in selected} < {s["id"] for s in every}

    code, err = replay(["--output", str(tmp_path / "c"), "--course", "course-v1:edX+Stats101+2024",
                        str(logs[0][0].parent)])
    assert code == 0, err
    assert all("Stats101" in json.dumps(s) for day in read_outputs(tmp_path / "c").values() for s in day)


def test_dry_run_writes_nothing(logs, tmp_path):
    code, err = replay(["--dry-run", str(logs[0][0].parent)])
    assert code == 0, err
    counts = counts_in(err)
    assert counts["translated"] > 0 and counts["delivered"] == 0
    assert "dry run: nothing sent" in err
    assert not list(Path.cwd().glob(".openedx-xapi-replay*"))


@pytest.mark.parametrize("argv, message", [
    ([], "a destination is needed"),
    (["--output", "x", "--dry-run"], "not both"),
    (["--dry-run", "--since", "tomorrow"], "not a date"),
    (["--dry-run", "--since", "2024-03-02", "--until", "2024-03-01"], "must come before"),
    (["--dry-run", "/no/such/log"], "no such file or folder"),
    (["--dry-run", "/tmp/*.no-such-extension"], "no file matches"),
    (["--consumer", "lrs", "--dry-run"], "needs the LMS's settings"),
])
def test_usage_errors(argv, message, monkeypatch):
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    monkeypatch.setattr("django.apps.apps.ready", False)
    code, err = replay(argv)
    assert code == 2
    assert message in err


def test_an_earlier_replays_files_are_not_added_to_without_its_checkpoint(logs, tmp_path):
    assert replay(["--output", str(tmp_path), str(logs[0][0])])[0] == 0
    (tmp_path / command.FILES_CHECKPOINT).unlink()
    code, err = replay(["--output", str(tmp_path), str(logs[0][0])])
    assert code == 2 and "--restart" in err
    code, err = replay(["--output", str(tmp_path), "--restart", str(logs[0][0])])
    assert code == 0, err


def test_a_finished_replay_run_again_reads_nothing_and_a_new_file_is_picked_up(logs, expected, tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / logs[0][0].name).write_bytes(logs[0][0].read_bytes())
    out = tmp_path / "out"
    assert replay(["--output", str(out), str(folder)])[0] == 0
    code, err = replay(["--output", str(out), str(folder)])
    assert code == 0 and counts_in(err)["read"] == 0
    [state] = json.loads((out / command.FILES_CHECKPOINT).read_text())["sources"].values()
    assert state == {"offset": len(gzip.decompress(logs[0][0].read_bytes())), "line": PER_DAY, "done": True}
    for path in logs[0][1:]:  # the next days' logs are rotated into the folder
        (folder / path.name).write_bytes(path.read_bytes())
    code, err = replay(["--output", str(out), str(folder)])
    assert code == 0 and counts_in(err)["read"] == (DAYS - 1) * PER_DAY
    assert read_outputs(out) == expected


def test_a_checkpoint_of_another_replay_is_refused(logs, tmp_path):
    assert replay(["--output", str(tmp_path), str(logs[0][0])])[0] == 0
    code, err = replay(["--output", str(tmp_path), "--org", "edX", str(logs[0][0])])
    assert code == 2
    assert "belongs to another replay" in err and "selection" in err


# --- interrupted, then resumed -------------------------------------------------------------------

class Crash(Exception):
    pass


def crash_after(monkeypatch, batches, signal_instead=False):
    """Make the file destination fail (after writing!) at its ``batches``-th batch, as a crash would;
    or send this process SIGINT there, as Ctrl-C would."""
    original = FilesDestination.deliver

    class Calls(list):
        def restore(self):
            monkeypatch.setattr(FilesDestination, "deliver", original)
    calls = Calls()

    def deliver(self, documents, wait=None):
        calls.append(len(documents))
        if len(calls) == batches:
            if signal_instead:
                os.kill(os.getpid(), signal.SIGINT)
            else:
                original(self, documents, wait)
                raise Crash("the machine went away mid-batch")
        return original(self, documents, wait)
    monkeypatch.setattr(FilesDestination, "deliver", deliver)
    return calls


@pytest.mark.parametrize("gz", [False, True])
def test_a_crash_mid_replay_then_resume_writes_each_statement_once(logs, expected, tmp_path, monkeypatch, gz):
    gzip_option = ["--gzip"] if gz else []
    calls = crash_after(monkeypatch, 3)
    argv = ["--output", str(tmp_path), "--batch-size", "100", *gzip_option, str(logs[0][0].parent)]
    with pytest.raises(Crash):
        replay(argv)
    saved = json.loads((tmp_path / command.FILES_CHECKPOINT).read_text())
    assert sum(saved["outputs"].values()) < sum(p.stat().st_size for p in tmp_path.glob("xapi-*"))
    calls.restore()
    code, err = replay(argv)
    assert code == 0, err
    assert read_outputs(tmp_path) == expected


def test_ctrl_c_delivers_the_batch_in_flight_and_saves_the_checkpoint(logs, expected, tmp_path, monkeypatch):
    calls = crash_after(monkeypatch, 4, signal_instead=True)
    argv = ["--output", str(tmp_path), "--batch-size", "100", str(logs[0][0].parent)]
    code, err = replay(argv)
    assert code == 130, err
    assert len(calls) == 4  # the 4th batch, in flight, is finished; nothing more
    assert "replay interrupted" in err and "to resume, run the same command again" in err
    written = sum(len(day) for day in read_outputs(tmp_path).values())
    assert counts_in(err)["delivered"] == written < sum(len(day) for day in expected.values())
    saved = json.loads((tmp_path / command.FILES_CHECKPOINT).read_text())
    assert not all(state["done"] for state in saved["sources"].values())
    calls.restore()
    code, err = replay(argv)
    assert code == 0, err
    assert read_outputs(tmp_path) == expected
    assert counts_in(err)["read"] < DAYS * PER_DAY  # it resumed, it did not start over


def test_sigint_to_the_command_then_resume(logs, expected, tmp_path):
    """The console command as an operator runs it: Ctrl-C, exit 130, the same command again."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    argv = [sys.executable, "-m", "openedx_xapi.cli", "replay", *ARGS, "--output", str(tmp_path / "out"),
            "--batch-size", "50", "--rate-limit", "400", "--progress", "log", "--progress-interval", "0.5",
            str(logs[0][0].parent)]
    process = subprocess.Popen(argv, env=env, stderr=subprocess.PIPE, text=True)
    checkpoint = tmp_path / "out" / command.FILES_CHECKPOINT
    deadline = time.monotonic() + 60
    while not checkpoint.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "events read" in err  # the periodic progress lines
    first = counts_in(err)["delivered"]
    assert 0 < first < sum(len(day) for day in expected.values())
    done = subprocess.run(argv[:argv.index("--rate-limit")] + argv[argv.index("--progress"):], env=env,
                          stderr=subprocess.PIPE, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert read_outputs(tmp_path / "out") == expected


# --- the parts ------------------------------------------------------------------------------------

def test_reader_resumes_at_an_offset_in_plain_and_gz_files(logs):
    for path in (logs[0][0], logs[1][0]):
        source = expand([str(path)])[0]
        with Reader(source) as reader:
            lines = list(reader)
        number, offset, _ = lines[99]
        with Reader(source, offset, number) as reader:
            rest = list(reader)
        assert rest == lines[100:]
        assert rest[-1][1] == len(gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes())


def test_a_log_being_written_is_read_to_its_last_whole_line_then_on(logs, tmp_path):
    lines = logs[1][0].read_bytes().splitlines(keepends=True)[:40]
    growing = tmp_path / "tracking.log"
    growing.write_bytes(b"".join(lines[:30]) + lines[30][:50])  # the LMS is writing line 31
    out = tmp_path / "out"
    code, err = replay(["--output", str(out), str(growing)])
    assert code == 0 and counts_in(err)["read"] == 30, err
    [state] = json.loads((out / command.FILES_CHECKPOINT).read_text())["sources"].values()
    assert (state["line"], state["done"]) == (30, False)
    growing.write_bytes(b"".join(lines))
    code, err = replay(["--output", str(out), str(growing)])
    assert code == 0 and counts_in(err)["read"] == 10, err
    whole = tmp_path / "whole.log"
    whole.write_bytes(b"".join(lines))
    assert replay(["--output", str(tmp_path / "at-once"), str(whole)])[0] == 0
    assert read_outputs(out) == read_outputs(tmp_path / "at-once")


def test_reader_refuses_an_offset_that_is_not_a_line_end(logs):
    source = expand([str(logs[1][0])])[0]
    with pytest.raises(SourceError, match="not the end of a line"):
        Reader(source, 10, 1)


def test_standard_input_resumes_by_skipping_lines():
    data = b"one\ntwo\nthree\n"
    with Reader(Source("-"), 8, 2, stdin=io.BytesIO(data)) as reader:
        assert list(reader) == [(3, 14, b"three\n")]


def test_folders_skip_hidden_files_and_keep_order(tmp_path):
    for name in ("b.log", "a.log.gz", ".hidden", "sub/c.log"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    assert [Path(s.key).relative_to(tmp_path).as_posix() for s in expand([str(tmp_path)])] == \
        ["a.log.gz", "b.log", "sub/c.log"]
    assert len(expand([str(tmp_path), str(tmp_path / "b.log")])) == 3  # each source once


def test_selection_bounds():
    assert parse_moment("2024-03-02", end=True).isoformat() == "2024-03-03T00:00:00+00:00"
    assert parse_moment("2024-03-02T10:00:00+02:00").isoformat() == "2024-03-02T08:00:00+00:00"
    selection = Selection(since=parse_moment("2024-03-01"), until=parse_moment("2024-03-01", end=True),
                          events=("edx.course.enrollment.*",))
    event = {"name": "edx.course.enrollment.activated", "timestamp": "2024-03-01T23:59:59+00:00",
             "context": {"course_id": "course-v1:A+B+C", "user_id": 1}, "data": {}}
    assert selection.allows(parse_event(event))
    assert not selection.allows(parse_event({**event, "timestamp": "2024-03-02T00:00:00+00:00"}))
    assert not selection.allows(parse_event({**event, "name": "play_video"}))


def test_progress_bar_and_log_lines():
    from openedx_xapi.replay.progress import Counts, Progress
    now = [100.0]
    counts = Counts()
    counts.add("read", 500)
    counts.add("delivered", 400)
    stream = io.StringIO()
    log = Progress(stream, "log", total_bytes=4096, interval=1, clock=lambda: now[0])
    log.update(512, counts)  # not a second yet: no line
    now[0] += 10
    log.update(1024, counts)
    assert stream.getvalue() == ("replay: 500 events read (50/s), 1.0 KiB of 4.0 KiB, ETA 0:00:30, "
                                 "400 delivered, 0 dead-lettered\n")
    stream = io.StringIO()
    bar = Progress(stream, "bar", total_bytes=4096)
    bar.update(2048, counts)
    bar.close()
    assert "50%" in stream.getvalue() and "2.00k/4.00k" in stream.getvalue()


def test_checkpoint_is_written_atomically(tmp_path, monkeypatch):
    path = tmp_path / "cp.json"
    checkpoint = Checkpoint.open(path, {"a": 1})
    checkpoint.save({"x": (10, 2, False)})
    monkeypatch.setattr("os.replace", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        checkpoint.save({"x": (20, 4, False)})
    monkeypatch.undo()
    assert Checkpoint.open(path, {"a": 1}).position("x") == (10, 2, False)  # the old one, intact
    assert [p.name for p in tmp_path.iterdir()] == ["cp.json"]  # no temporary file left behind


def test_the_management_command_shares_the_options():
    from django.core.management import load_command_class
    parser = load_command_class("openedx_xapi", "openedx_xapi_replay").create_parser("manage.py", "x")
    options = parser.parse_args(["--consumer", "lrs", "--since", "2024-03-01", "--rate-limit", "50", "a.gz"])
    assert (options.consumer, options.since, options.rate_limit, options.sources) == ("lrs", "2024-03-01", 50.0,
                                                                                      ["a.gz"])
    assert not hasattr(options, "state_db")  # inside an LMS: its settings and database
    assert isinstance(command.add_arguments(__import__("argparse").ArgumentParser()).parse_args([]), Namespace)


# --- S3 (a real S3-compatible server: moto's) ---------------------------------------------------

@pytest.fixture(scope="module")
def s3_server(tmp_path_factory):
    port = free_port()
    moto = Path(sys.executable).parent / "moto_server"
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with open(log, "wb") as stream:
        process = subprocess.Popen([str(moto), "-H", "127.0.0.1", "-p", str(port)], stdout=stream,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    import requests
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(url, timeout=1)
            break
        except requests.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError(f"moto_server did not start: {log.read_text()}") from None
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(10)


@pytest.fixture
def bucket(s3_server, logs, monkeypatch):
    import boto3
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_server)
    client = boto3.client("s3", endpoint_url=s3_server)
    name = f"logs-{free_port()}"
    client.create_bucket(Bucket=name)
    for path in logs[0]:
        client.upload_file(str(path), name, f"tracking/{path.name}")
    client.upload_file(str(logs[1][0]), name, f"plain/{logs[1][0].name}")
    client.put_object(Bucket=name, Key="tracking-elsewhere/other.gz", Body=b"")
    return name


def test_from_s3_prefix_and_glob(bucket, expected, tmp_path):
    code, err = replay(["--output", str(tmp_path / "a"), f"s3://{bucket}/tracking/"])
    assert code == 0, err
    assert read_outputs(tmp_path / "a") == expected
    code, err = replay(["--output", str(tmp_path / "b"), f"s3://{bucket}/tracking/*-2024030[12].gz"])
    assert code == 0, err
    assert sorted(read_outputs(tmp_path / "b")) == ["xapi-2024-03-01.ndjson", "xapi-2024-03-02.ndjson"]
    code, err = replay(["--output", str(tmp_path / "c"), f"s3://{bucket}/tracking"])  # a folder, without its /
    assert code == 0, err
    assert read_outputs(tmp_path / "c") == expected
    code, err = replay(["--dry-run", f"s3://{bucket}/nothing-here/"])
    assert code == 2 and "no object found" in err


def test_from_s3_interrupted_then_resumed_in_the_middle_of_an_object(bucket, logs, tmp_path, monkeypatch):
    whole = tmp_path / "whole"
    assert replay(["--output", str(whole), str(logs[1][0])])[0] == 0
    calls = crash_after(monkeypatch, 2)
    argv = ["--output", str(tmp_path / "out"), "--batch-size", "100", f"s3://{bucket}/plain/{logs[1][0].name}"]
    with pytest.raises(Crash):
        replay(argv)
    saved = json.loads((tmp_path / "out" / command.FILES_CHECKPOINT).read_text())
    [(key, state)] = saved["sources"].items()
    assert key.startswith("s3://") and state["offset"] > 0 and not state["done"]
    calls.restore()
    code, err = replay(argv)
    assert code == 0, err
    assert counts_in(err)["read"] < PER_DAY  # read on from the offset (a ranged GET), not from the start
    assert read_outputs(tmp_path / "out") == read_outputs(whole)
