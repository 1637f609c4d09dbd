"""``make bench``: this project beside event-routing-backends (ERB), on the same events.

    make bench                          # everything, and docs/benchmarks.rst
    make bench BENCH=translation        # only some sections (comma-separated):
                                        # translation, in-request, end-to-end, memory,
                                        # replay

1. Translation throughput in one process: events per second through each project's
   translation (ours with validation) for xAPI and for Caliper, over the same mixed
   streams, and a plain ``orjson`` round trip of those events as the reference limit.
2. In-request cost: microseconds per ``eventtracking.tracker.emit`` (p50, p99) with each
   plugin configured as its documentation says and a real Redis as the Celery broker (no
   worker runs), for an event a consumer wants, one no consumer wants, and no backend.
3. End to end: statements per second that one Celery worker delivers into a local
   Ralph LRS, and emit-to-stored latency at a steady 500 events per second; and what
   Ralph takes from a plain client posting batches of 100 (the ceiling).
4. Memory: peak resident size of a process after 100,000 events through the worker's path.
5. Replay (this project only): ``benchmarks/replay.py``'s rows, where that module exists.

ERB (version pinned in ``benchmarks/erb/requirements.txt``) runs in its own virtualenv,
``.bench/erb-venv``, made here on first use, in a stand-in LMS of its own
(``benchmarks/erb/``): each ERB figure comes from ``benchmarks.erb.measure`` in a
subprocess. Services (Redis, Ralph) and databases live in a temporary directory.
The streams are made from this project's samples (``benchmarks/streams.py``): every
event name both projects translate for the protocol, minus those ERB fails on.
"""
import hashlib
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import orjson

from benchmarks.streams import mixed_stream, write_stream
from sandbox.services import (
    PROJECT_ROOT,
    _spawn,
    _wait_until,
    become_stand_in_lms,
    ralph_consumer,
    start_celery_worker,
    start_ralph,
    start_redis,
)

SECTIONS = ("translation", "in-request", "end-to-end", "memory", "replay")
ERB_DIR = PROJECT_ROOT / "benchmarks" / "erb"
ERB_VENV = PROJECT_ROOT / ".bench" / "erb-venv"
ERB_PYTHON = ERB_VENV / "bin" / "python"
DOCS = PROJECT_ROOT / "docs" / "benchmarks.rst"

COURSE = "course-v1:edX+DemoX+Demo_Course"
WANTED = "edx.course.enrollment.activated"
UNWANTED = "edx.user.settings.changed"  # a real Open edX event that neither project maps
EMITS, EMIT_WARMUP = 5000, 500
STREAM = 20_000
# Learners in the translation streams: few enough for ERB's 128-entry cache of actor ids,
# so that the figures compare translation, not database look-ups (a row shows those).
STREAM_LEARNERS = 100
MANY_LEARNERS, MANY_LEARNERS_STREAM = 3001, 2000
E2E_RATE = 500
# (burst size, seconds at E2E_RATE) per configuration: ERB without batching sends one
# HTTP request per statement, so it gets fewer events to keep the run short.
E2E_OURS = (3000, 4)
E2E_ERB = (300, 1)
E2E_ERB_BATCHED = (2000, 4)
E2E_STALL = 8.0  # seconds without a new statement after which the rest counts as left behind
E2E_WAIT = 120.0  # seconds at most to wait for a phase's statements (the rest is left behind)
PLAIN_CLIENT_STATEMENTS, PLAIN_CLIENT_BATCH = 5000, 100
MEMORY_EVENTS = 100_000
ERB_TIMEOUT = 600  # seconds any one ERB command may take


class Results:
    """The rows of the side-by-side table, in the order they were measured."""

    def __init__(self):
        self.rows = []

    def add(self, section, label, ours=None, erb=None, unit="", target="", fmt="{:,.0f}"):
        self.rows.append({"section": section, "label": label, "ours": ours, "erb": erb,
                          "unit": unit, "target": target, "fmt": fmt})
        row = self.rows[-1]
        print(f"  {label:<54}{self.cell(row, 'ours'):>12}{self.cell(row, 'erb'):>12}"
              f"{self.ratio(row):>9}  {unit}", flush=True)

    @staticmethod
    def cell(row, key):
        value = row[key]
        if value is None:
            return "-"
        return row["fmt"].format(value) if isinstance(value, (int, float)) else str(value)

    @staticmethod
    def ratio(row):
        ours, erb = row["ours"], row["erb"]
        if isinstance(ours, (int, float)) and isinstance(erb, (int, float)) and erb:
            return f"{ours / erb:.2f}x" if ours / erb < 10 else f"{ours / erb:.0f}x"
        return ""


def progress(message):
    print(f"  .. {message}", flush=True)


def header(results, title):
    print(f"\n{title}\n  {'':<54}{'this project':>12}{'ERB':>12}{'ratio':>9}", flush=True)


def percentiles(times):
    ordered = sorted(times)
    return ordered[len(ordered) // 2], ordered[int(len(ordered) * 0.99)]


def chosen_sections(argv):
    wanted = ",".join(argv) or os.environ.get("BENCH", "")
    names = [name.strip() for name in wanted.split(",") if name.strip()] or list(SECTIONS)
    unknown = [name for name in names if name not in SECTIONS]
    if unknown:
        raise SystemExit(f"unknown section(s) {unknown}: choose among {', '.join(SECTIONS)}")
    return names


# --- ERB: its virtualenv and its stand-in LMS -------------------------------------------------

def ensure_erb_venv():
    """Make .bench/erb-venv with the pinned ERB, unless it is there already for these pins."""
    requirements = ERB_DIR / "requirements.txt"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    stamp = ERB_VENV / ".installed"
    if stamp.exists() and stamp.read_text() == digest and ERB_PYTHON.exists():
        return
    print(f"Setting up {ERB_VENV.relative_to(PROJECT_ROOT)} (event-routing-backends from PyPI)", flush=True)
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--clear", str(ERB_VENV)], check=True)
    pip = [str(ERB_PYTHON), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    for args in (["--upgrade", "pip", "setuptools"], ["-r", str(requirements)]):
        done = subprocess.run(pip + args, capture_output=True, text=True)
        if done.returncode:  # (pip's warnings are noise otherwise)
            raise SystemExit(f"pip install {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    stamp.write_text(digest)


class Erb:
    """Runs ``benchmarks.erb.measure`` commands in ERB's virtualenv, with one set of services."""

    def __init__(self, tmp, redis_url, env_tokens=None):
        self.tmp = Path(tmp)
        base = redis_url.rsplit("/", 1)[0]
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SANDBOX_"))},
            "DJANGO_SETTINGS_MODULE": "benchmarks.erb.settings",
            "PYTHONPATH": str(PROJECT_ROOT),
            "ERB_BENCH_DB": str(self.tmp / "erb.sqlite3"),
            "ERB_BENCH_BROKER": f"{base}/2",
            "ERB_BENCH_CACHE": f"{base}/3",
            "ERB_BENCH_ENV_TOKENS": json.dumps(env_tokens or {}),
        }
        self.version = None

    def with_tokens(self, **tokens):
        other = Erb.__new__(Erb)
        other.tmp, other.version = self.tmp, self.version
        other.env = {**self.env, "ERB_BENCH_ENV_TOKENS": json.dumps(tokens)}
        return other

    def run(self, *args):
        done = subprocess.run([str(ERB_PYTHON), "-m", "benchmarks.erb.measure", *map(str, args)],
                              cwd=PROJECT_ROOT, env=self.env, capture_output=True, text=True,
                              timeout=ERB_TIMEOUT)
        for line in done.stderr.splitlines():
            if line.startswith("    [erb]"):
                print(line, flush=True)
        if done.returncode:
            raise RuntimeError(f"ERB {args[0]} failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def start_worker(self):
        """ERB's Celery worker, started as sandbox.services starts ours (one process)."""
        nodename = f"erb-{uuid.uuid4().hex[:8]}@%h"
        args = [ERB_PYTHON, "-m", "celery", "-A", "benchmarks.erb.celery_app", "worker", "--loglevel=INFO",
                "-c", 1, "-P", "prefork", "-n", nodename, "--without-mingle", "--without-gossip"]
        service = _spawn("ERB celery worker", args, self.tmp, f"celery-{nodename.split('@')[0]}.log",
                         env=self.env, cwd=PROJECT_ROOT)
        return _wait_until(service, lambda: " ready." in service.log_path.read_text(errors="replace"))


def streams(tmp, erb):
    """The xAPI and Caliper streams: names both translate, minus those ERB fails on."""
    from openedx_xapi.translator import mapped_events
    erb_names = erb.run("names")
    erb.version = erb_names["erb_version"]
    files, skipped, probes, both = {}, {}, {}, {}
    for protocol in ("xapi", "caliper"):
        ours = set(mapped_events(protocol))
        both[protocol] = [name for name in erb_names[protocol] if name in ours]
        probes[protocol] = write_stream(tmp / f"probe-{protocol}.jsonl",
                                        mixed_stream(both[protocol], len(both[protocol])))
    erb.run("setup", *probes.values())  # the probes' learners
    for protocol, probe in probes.items():
        failed = erb.with_tokens(CALIPER_EVENTS_ENABLED=True).run("check", probe, protocol)["failed"]
        names = [name for name in both[protocol] if name not in failed]
        skipped[protocol] = failed
        files[protocol] = write_stream(tmp / f"{protocol}.jsonl", mixed_stream(names, STREAM, STREAM_LEARNERS))
        print(f"  {protocol}: {len(names)} event names in the stream ({len(erb_names[protocol])} translated by ERB, "
              f"{len(both[protocol])} of them by us too; {len(failed)} left out, ERB fails on our samples of them)",
              flush=True)
    files["many"] = write_stream(tmp / "xapi-many-learners.jsonl",
                                 mixed_stream(names_in(files["xapi"]), MANY_LEARNERS_STREAM, MANY_LEARNERS))
    return files, skipped


def names_in(path):
    seen = []
    for event in read_stream(path):
        if event["name"] not in seen:
            seen.append(event["name"])
    return seen


def read_stream(path):
    with open(path) as lines:
        return [json.loads(line) for line in lines if line.strip()]


# --- 1. translation ----------------------------------------------------------------------------

def per_second(work, items):
    start = time.perf_counter()
    for item in items:
        work(item)
    return len(items) / (time.perf_counter() - start)


def our_translation():
    """(work for a protocol, the context) as the worker translates: parse, translate, validate."""
    from django.conf import settings

    from openedx_xapi.events import parse_event
    from openedx_xapi.identity import HmacActorIds
    from openedx_xapi.pipeline import Skipped, documents_for
    from openedx_xapi.translator import TranslationContext

    ctx = TranslationContext(lms_root_url=settings.LMS_ROOT_URL, actor_ids=HmacActorIds("bench"))

    def work(protocol):
        def translate(event):
            try:
                return documents_for(parse_event(event), protocol, ctx)
            except Skipped:
                return []
        return translate
    return work


def translation(results, erb, files):
    header(results, "1. translation throughput, one process (events/s)")
    work = our_translation()
    erb_caliper = erb.with_tokens(CALIPER_EVENTS_ENABLED=True)
    for protocol, label in (("xapi", "xAPI"), ("caliper", "Caliper")):
        events = read_stream(files[protocol])
        for event in events[:300]:  # warm-up, and a check that every event translates
            assert work(protocol)(event), f"{event['name']}: no {protocol} document"
        progress(f"this project, {label}: {len(events):,} events")
        ours = per_second(work(protocol), events)
        theirs = erb_caliper.run("translation", files[protocol], protocol)
        results.add("translation", f"{label}, {len(names_in(files[protocol]))} event names "
                    f"({'translate + validate' if protocol == 'xapi' else 'ours validated'})",
                    ours, theirs["per_second"], "events/s",
                    ">= 50,000/s per core and >= 10x ERB" if protocol == "xapi" else "")
    events = read_stream(files["many"])
    progress(f"xAPI for {MANY_LEARNERS:,} learners: {len(events):,} events")
    theirs = erb.run("translation", files["many"], "xapi")
    results.add("translation", f"xAPI, {MANY_LEARNERS:,} learners (ERB: LMS database look-ups)",
                per_second(work("xapi"), events), theirs["per_second"], "events/s")
    lines = [orjson.dumps(event) for event in read_stream(files["xapi"])]
    results.add("translation", "orjson round trip of the xAPI stream (the limit)",
                per_second(lambda line: orjson.dumps(orjson.loads(line)), lines), None, "events/s")


# --- 2. in the request ----------------------------------------------------------------------

def timed_emits(name, data):
    """Per-call times (ns) of tracker.emit, after a warm-up, inside a request-like context."""
    from eventtracking import tracker
    context = {"course_id": COURSE, "org_id": "edX", "user_id": 5, "username": "learner5",
               "host": "localhost:18000", "path": "/change_enrollment", "session": "bench"}
    times = [0] * EMITS
    clock, emit = time.perf_counter_ns, tracker.emit
    with tracker.get_tracker().context("bench.request", context):
        for _ in range(EMIT_WARMUP):
            emit(name, data)
        for i in range(EMITS):
            start = clock()
            emit(name, data)
            times[i] = clock() - start
    return times


def handed_off(redis_client):
    """Events waiting in Redis for a worker: entries of Redis streams and Celery messages.

    Whatever the backend hands off through (a Redis stream, Celery tasks), this counts it;
    a wake-up message beside a stream counts too, hence "at least" in the check."""
    waiting = 0
    for key in redis_client.scan_iter(count=1000):
        kind = redis_client.type(key)
        if kind == b"stream":
            waiting += redis_client.xlen(key)
        elif kind == b"list" and not key.startswith(b"_kombu"):
            waiting += redis_client.llen(key)
    return waiting


def our_emits(broker_url):
    import redis
    from eventtracking import tracker

    from openedx_xapi.translator import mapped_events
    queue = redis.Redis.from_url(broker_url)
    data = {"course_id": COURSE, "user_id": 5, "mode": "audit"}
    backends = tracker.get_tracker().backends
    saved = dict(backends)
    backends.clear()  # event-tracking alone
    try:
        baseline = timed_emits(WANTED, data)
    finally:
        backends.update(saved)
    queue.flushdb()
    wanted = timed_emits(WANTED, data)
    queued = handed_off(queue)
    assert UNWANTED not in mapped_events(), f"{UNWANTED} is mapped now: pick another unwanted event"
    unwanted = timed_emits(UNWANTED, {"setting": "language", "old": "en", "new": "fr"})
    queue.flushdb()
    return {"baseline": baseline, "wanted": wanted, "unwanted": unwanted, "queued": queued,
            "expected": EMITS + EMIT_WARMUP}


def in_request(results, erb, broker_url):
    header(results, f"2. in-request cost of tracker.emit (µs), N={EMITS:,}, Redis broker, no worker")
    progress("this project")
    ours = our_emits(broker_url)
    theirs = erb.run("in-request", EMITS, EMIT_WARMUP)
    for figures, who in ((ours, "this project"), (theirs, "ERB")):
        if not figures["expected"] <= figures["queued"] <= figures["expected"] + 10:
            print(f"  !! {who}: {figures['queued']} events reached Redis, expected {figures['expected']}: "
                  "its figures are suspect", flush=True)
    for key, label, target in (
            ("wanted", "wanted event (handed off to Redis)", "<= 1/5 of ERB's"),
            ("unwanted", "unwanted event (dropped)", "within 2 µs of no backend"),
            ("baseline", "event-tracking with no backend (the floor)", "")):
        ours_p, theirs_p = percentiles(ours[key]), percentiles(theirs[key])
        for index, name in ((0, "p50"), (1, "p99")):
            results.add("in-request", f"{label}, {name}", ours_p[index] / 1000, theirs_p[index] / 1000, "µs",
                        target, fmt="{:,.1f}")


# --- 3. end to end ------------------------------------------------------------------------------

def stored_statements(lrs):
    """What Ralph has stored, read from its file (cheaper than paging through its API)."""
    if not lrs.store_path.exists():
        return []
    return [json.loads(line) for line in lrs.store_path.read_text().splitlines() if line.strip()]


def stored_count(lrs):
    if not lrs.store_path.exists():
        return 0
    with open(lrs.store_path, "rb") as store:
        return sum(1 for line in store if line.strip())


def wait_for(lrs, expected, stall=E2E_STALL):
    """Wait until Ralph holds ``expected`` statements, or none came for ``stall`` seconds
    (or E2E_WAIT passed).

    Returns (count, monotonic time of the last new statement)."""
    count, last_change = stored_count(lrs), time.monotonic()
    deadline = last_change + E2E_WAIT
    while count < expected and time.monotonic() - last_change < stall and time.monotonic() < deadline:
        time.sleep(0.05)
        now = stored_count(lrs)
        if now != count:
            count, last_change = now, time.monotonic()
    return count, last_change


def latencies_ms(statements):
    """Emit-to-stored per statement: Ralph's ``stored`` minus the event's time (its timestamp)."""
    return [(datetime.fromisoformat(s["stored"]) - datetime.fromisoformat(s["timestamp"].replace("Z", "+00:00")))
            .total_seconds() * 1000 for s in statements]


def worker_peak_kib(service):
    """The largest VmHWM (peak resident size) among the worker's processes (it and its child)."""
    peak = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
            if os.getpgid(int(status.parent.name)) != service.process.pid:
                continue
        except (OSError, ValueError):
            continue
        for line in text.splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]))
    return peak


def run_e2e(lrs, emit, expected_per_event, burst, seconds):
    """Emit a burst, then a steady stream; return the figures (None where nothing came).

    ``emit(count, rate)`` emits and returns the (monotonic) time of its first emit;
    ``expected_per_event`` says how many statements the i-th event of the stream makes."""
    before = stored_count(lrs)
    expected = sum(expected_per_event[i % len(expected_per_event)] for i in range(burst))
    start = emit(burst, 0)
    count, last = wait_for(lrs, before + expected)
    got = count - before
    burst_rate = got / (last - start) if got else None
    burst_left = expected - got

    total = E2E_RATE * seconds
    expected = sum(expected_per_event[i % len(expected_per_event)] for i in range(total))
    before = count
    emit(total, E2E_RATE)
    count, _ = wait_for(lrs, before + expected)
    latencies = latencies_ms(stored_statements(lrs)[before:count])
    return {"rate": burst_rate, "burst_left": burst_left,
            "latency": percentiles(latencies) if latencies else (None, None),
            "steady_left": expected - (count - before), "steady_expected": expected}


def our_emitter(events):
    from eventtracking import tracker

    def emit(count, rate):
        get_tracker, emit_event = tracker.get_tracker, tracker.emit
        start = time.monotonic()
        for i in range(count):
            if rate:
                pause = start + i / rate - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
            event = events[i % len(events)]
            with get_tracker().context("bench.request", event["context"]):
                emit_event(event["name"], event["data"])
        return start
    return emit


def plain_client(lrs, statements):
    """Statements per second Ralph stores from a plain client POSTing batches of 100."""
    import requests
    documents = [dict(statements[i % len(statements)], id=str(uuid.uuid4())) for i in range(PLAIN_CLIENT_STATEMENTS)]
    before = stored_count(lrs)
    session = requests.Session()
    session.auth = (lrs.username, lrs.password)
    start = time.monotonic()
    for i in range(0, len(documents), PLAIN_CLIENT_BATCH):
        response = session.post(lrs.url + "statements", data=orjson.dumps(documents[i:i + PLAIN_CLIENT_BATCH]),
                                headers={"Content-Type": "application/json", "X-Experience-API-Version": "1.0.3"},
                                timeout=60)
        response.raise_for_status()
    elapsed = time.monotonic() - start
    stored = stored_count(lrs) - before
    return stored / elapsed, len(documents) - stored


def end_to_end(results, erb, files, workdir, lrs):
    from django.conf import settings
    header(results, f"3. end to end into a local Ralph LRS, one Celery worker "
                    f"(ours: batches of {settings.OPENEDX_XAPI['BATCH_SIZE']}, "
                    f"{settings.OPENEDX_XAPI['BATCH_SECONDS']} s)")
    events = read_stream(files["xapi"])
    translate = our_translation()("xapi")
    most = max(E2E_OURS[0], E2E_RATE * E2E_OURS[1], E2E_ERB_BATCHED[0], E2E_RATE * E2E_ERB_BATCHED[1])
    ours_expected = [len(translate(event)) for event in events[:most]]
    theirs_expected = erb.run("statements", files["xapi"], most)["statements"]

    progress(f"this project: burst of {E2E_OURS[0]:,}, then {E2E_RATE}/s for {E2E_OURS[1]} s")
    env = {**os.environ, "SANDBOX_OPENEDX_XAPI": json.dumps(settings.OPENEDX_XAPI)}
    with start_celery_worker("sandbox.celery_app", workdir, env=env, concurrency=1) as worker:
        ours = run_e2e(lrs, our_emitter(events), ours_expected, *E2E_OURS)
        ours["peak_kib"] = worker_peak_kib(worker)

    figures = {}
    for name, tokens, (burst, seconds) in (
            ("ERB", {}, E2E_ERB),
            ("ERB batched", {"EVENT_ROUTING_BACKEND_BATCHING_ENABLED": True}, E2E_ERB_BATCHED)):
        progress(f"{name}: burst of {burst:,}, then {E2E_RATE}/s for {seconds} s")
        configured = erb.with_tokens(**tokens)

        def emit(count, rate, configured=configured):
            return configured.run("emit", files["xapi"], count, rate)["started"]
        # A Ralph of its own, as ours has: its fs backend reads its whole store to check
        # each request's ids, so requests get slower as the store grows.
        with start_ralph(workdir / f"erb-lrs-{len(figures)}") as erb_lrs:
            configured.run("route", erb_lrs.url, erb_lrs.username, erb_lrs.password)
            with configured.start_worker() as worker:
                figures[name] = run_e2e(erb_lrs, emit, theirs_expected, burst, seconds)
                figures[name]["peak_kib"] = worker_peak_kib(worker)

    progress(f"plain client: {PLAIN_CLIENT_STATEMENTS:,} statements in batches of {PLAIN_CLIENT_BATCH}")
    statements = [document for event in events[:500] for document in translate(event)]
    with start_ralph(workdir / "plain-lrs") as plain_lrs:
        ceiling, ceiling_left = plain_client(plain_lrs, statements)

    erb_plain, erb_batched = figures["ERB"], figures["ERB batched"]
    results.add("end-to-end", "statements/s, burst (ERB: one request per statement)",
                ours["rate"], erb_plain["rate"], "st/s", ">= 80% of the plain client")
    results.add("end-to-end", "statements/s, burst (ERB batching enabled, 100)",
                ours["rate"], erb_batched["rate"], "st/s")
    results.add("end-to-end", "plain client, POST batches of 100 (the ceiling)", ceiling, None, "st/s")
    if ceiling_left:
        print(f"  !! the plain client left {ceiling_left} statements unstored", flush=True)
    for name, theirs in (("", erb_plain), (", ERB batched", erb_batched)):
        for index, label in ((0, "p50"), (1, "p99")):
            results.add("end-to-end", f"emit-to-stored at {E2E_RATE}/s{name}, {label}",
                        ours["latency"][index], theirs["latency"][index], "ms",
                        "p99 < 500 ms" if index else "")
    for name, theirs in (("", erb_plain), (", ERB batched", erb_batched)):
        results.add("end-to-end", f"statements left behind (burst + steady){name}",
                    f"{ours['burst_left'] + ours['steady_left']}",
                    f"{theirs['burst_left'] + theirs['steady_left']}", "", "none" if not name else "")
    results.add("end-to-end", "worker peak resident size after this section (ERB: batched)",
                ours["peak_kib"] / 1024, erb_batched["peak_kib"] / 1024, "MiB", fmt="{:,.0f}")


# --- 4. memory ----------------------------------------------------------------------------------

def memory(results, erb, files):
    header(results, f"4. memory: peak resident size after {MEMORY_EVENTS:,} xAPI events (MiB)")
    progress(f"this project: {MEMORY_EVENTS:,} events")
    done = subprocess.run([sys.executable, "-m", "benchmarks.memory", str(files["xapi"]), str(MEMORY_EVENTS)],
                          cwd=PROJECT_ROOT, check=True, stdout=subprocess.PIPE, text=True)
    ours = json.loads(done.stdout.strip().splitlines()[-1])
    theirs = erb.run("memory", files["xapi"], MEMORY_EVENTS)
    results.add("memory", "a worker process, translation path", ours["peak_kib"] / 1024,
                theirs["peak_kib"] / 1024, "MiB", fmt="{:,.0f}")
    results.add("memory", "  of which grown while translating", (ours["peak_kib"] - ours["before_kib"]) / 1024,
                (theirs["peak_kib"] - theirs["before_kib"]) / 1024, "MiB", fmt="{:,.1f}")


# --- 5. replay (this project only) ---------------------------------------------------------

def replay(results):
    try:
        from benchmarks.replay import replay_rows
    except ImportError:
        print("\n5. replay: benchmarks/replay.py is not there, skipped", flush=True)
        return
    header(results, "5. replay of tracking logs (this project only)")
    for label, value in replay_rows():
        results.add("replay", label, value, None, "")


# --- the report -----------------------------------------------------------------------------------

def machine():
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = ""
    try:
        total_kib = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        memory_gib = f", {total_kib / 1024 / 1024:.0f} GiB of memory"
    except (OSError, IndexError, ValueError):
        pass
    return (f"{cpu}, {os.cpu_count()} CPUs{memory_gib}; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}")


def git_commit():
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True)
    return done.stdout.strip() or "unknown"


def write_docs(results, erb_version, skipped):
    """docs/benchmarks.rst: the table, the machine, and how each figure is measured."""
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "Benchmarks",
        "==========",
        "",
        ".. This file is written by ``make bench``; edit benchmarks/run.py instead.",
        "",
        f"This project (commit {git_commit()}) beside event-routing-backends {erb_version} (ERB), on the",
        f"same events, measured by ``make bench`` on {when}.",
        "",
        f"Machine: {machine()}.",
        "",
        "Ratio is this project / ERB (for times, lower is better). Targets are the project's own.",
        "",
        ".. list-table::",
        "   :header-rows: 1",
        "   :widths: 50 14 14 9 8 30",
        "",
        "   * - Figure",
        "     - This project",
        "     - ERB",
        "     - Ratio",
        "     - Unit",
        "     - Target",
    ]
    for row in results.rows:
        cells = [f"{row['section']}: {row['label'].strip()}", Results.cell(row, "ours"), Results.cell(row, "erb"),
                 Results.ratio(row), row["unit"], row["target"]]
        lines.append(f"   * - {cells[0]}")
        lines.extend(f"     - {cell}" if cell else "     -" for cell in cells[1:])
    lines += [
        "",
        "How",
        "---",
        "",
        "* **Streams.** Made from this project's own samples (one per event name, "
        "``benchmarks/streams.py``): every name both projects translate for the protocol "
        "(ERB: in its registry and let through by its default settings), in turn, "
        f"{STREAM:,} events for {STREAM_LEARNERS} learners, a referer in every context. "
        "Left out, because ERB fails on our sample of them: "
        + "; ".join(f"{protocol}: {', '.join(sorted(names)) or 'none'}" for protocol, names in skipped.items())
        + ".",
        "* **ERB** runs in its own virtualenv (``.bench/erb-venv``, pinned in "
        "``benchmarks/erb/requirements.txt``) in a stand-in LMS (``benchmarks/erb/``): installed "
        "as an LMS plugin, its own settings fill ``EVENT_TRACKING_BACKENDS`` (the "
        "``AsyncRoutingBackend`` over the xAPI and Caliper ``AsyncEventsRouter``), and a "
        "``RouterConfiguration`` row names the LRS (basic auth), as its documentation says. "
        "Stand-ins for the edx-platform modules it imports: learners and their external ids in "
        "SQLite tables (ERB looks them up per statement, behind a 128-entry cache), every course exists.",
        "* **Translation**: one process, events already decoded to dicts. Ours: parse, translate, "
        "validate (``openedx_xapi.pipeline.documents_for``); ERB: the processors its Celery task runs "
        "before dispatching (``AsyncEventsRouter.process_event``: whitelist, transformer, JSON), "
        "with Caliper enabled for the Caliper row. ERB has no validation.",
        "* **In the request**: both log warnings only (ERB also logs two INFO lines per event in the "
        "request, which an LMS logging at INFO pays for, not counted here).",
        "* **End to end**: one Celery worker (prefork, one child) per project, the xAPI stream emitted "
        "through ``tracker.emit`` in a request context per event, into a local Ralph LRS (fs backend), "
        "a fresh one per configuration and for the plain client. "
        "Throughput: statements stored / time from the first emit to the last statement stored. "
        "Latency: Ralph's ``stored`` minus the statement's ``timestamp`` (the emit). "
        f"Left behind: expected statements not stored {E2E_STALL:.0f} s after the last one came, "
        f"or {E2E_WAIT:.0f} s after a phase ended "
        "(ERB's batching sends a partial batch only when a later event arrives after "
        "``EVENT_ROUTING_BACKEND_BATCH_INTERVAL``, 60 s). ERB without batching sends one request per "
        f"statement, so it gets {E2E_ERB[0]} events and {E2E_ERB[1]} s at {E2E_RATE}/s.",
        "* **Memory**: a fresh process that runs the xAPI stream's events through the translation path "
        f"{MEMORY_EVENTS:,} times (peak resident size, VmHWM); and the Celery workers' peak "
        "resident size after the end-to-end section.",
        "",
    ]
    DOCS.write_text("\n".join(lines))
    print(f"\nWrote {DOCS}", flush=True)


def main(argv):
    # Stopped with SIGTERM, still stop the services (the with-blocks below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sections = chosen_sections(argv)
    ensure_erb_venv()
    results = Results()
    with tempfile.TemporaryDirectory(prefix="openedx-xapi-bench-") as tmp, start_redis(tmp) as redis_server, \
            start_ralph(Path(tmp)) as lrs:
        tmp = Path(tmp)
        consumer = ralph_consumer(lrs, "bench-lrs")
        become_stand_in_lms(tmp / "lms.sqlite3", redis_server.url, [consumer])

        erb = Erb(tmp, redis_server.url)
        print(f"openedx-xapi beside event-routing-backends: {', '.join(sections)}\n{machine()}", flush=True)
        progress("streams, and ERB's database")
        files, skipped = streams(tmp, erb)
        erb.run("setup", files["xapi"], files["caliper"], files["many"], "--lrs", lrs.url, lrs.username,
                lrs.password)
        print(f"  ERB {erb.version}", flush=True)

        if "translation" in sections:
            translation(results, erb, files)
        if "in-request" in sections:
            in_request(results, erb, redis_server.url)
        if "end-to-end" in sections:
            end_to_end(results, erb, files, tmp, lrs)
        if "memory" in sections:
            memory(results, erb, files)
        if "replay" in sections:
            replay(results)
    if list(sections) == list(SECTIONS):
        write_docs(results, erb.version, skipped)
    else:
        print("\n(docs/benchmarks.rst is written by a run of every section)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
