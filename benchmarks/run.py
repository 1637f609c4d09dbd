"""``make bench``: what the plugin costs, on this machine.

1. In-request cost of the event-tracking backend: microseconds per
   ``eventtracking.tracker.emit`` in the stand-in LMS, with a real Redis as the
   Celery broker (no worker runs, so the task messages just pile up in Redis).
2. Translation throughput in one process: translate + validate, as the worker does.

Everything it needs (Redis, a SQLite database) lives in a temporary directory and is
gone at the end. The figures are for reading, not for asserting anything.
"""
import json
import os
import platform
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import orjson

from sandbox.services import start_celery_worker, start_ralph, start_redis

COURSE = "course-v1:edX+DemoX+Demo_Course"
WANTED = "edx.course.enrollment.activated"
UNWANTED = "edx.user.settings.changed"  # a real Open edX event that no family maps
ENROLLMENT_EVENTS = (WANTED, "edx.course.enrollment.deactivated", "edx.course.enrollment.mode_changed")
MODES = ("audit", "verified", "honor", "professional")
EMITS, EMIT_WARMUP = 5000, 500
STREAM = 20_000
ROW = "  {:<42}{:>8}{:>8}"


def main():
    with tempfile.TemporaryDirectory(prefix="openedx-xapi-bench-") as tmp, start_redis(tmp) as redis_server, \
            start_ralph(Path(tmp)) as lrs:
        consumer = {"name": "bench-lrs", "protocol": "xapi", "url": lrs.url,
                    "auth": {"type": "basic", "username": lrs.username, "password": lrs.password}}
        os.environ.update({
            "DJANGO_SETTINGS_MODULE": "sandbox.settings",
            "SANDBOX_DB": os.path.join(tmp, "lms.sqlite3"),
            "SANDBOX_BROKER_URL": redis_server.url,
            "SANDBOX_OPENEDX_XAPI": json.dumps({"CONSUMERS": [consumer]}),
            "SANDBOX_LOG_LEVEL": "WARNING",
        })
        import django
        django.setup()
        from django.core.management import call_command
        call_command("migrate", verbosity=0)

        print(f"openedx-xapi benchmarks (Python {platform.python_version()}, {os.cpu_count()} CPUs, "
              f"{platform.system()} {platform.release()} {platform.machine()})")
        in_request(redis_server.url)
        translation()
        end_to_end(Path(tmp), lrs)
    return 0


# --- 1. in the request ------------------------------------------------------------------

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


def percentiles(times_ns):
    ordered = sorted(times_ns)
    return ordered[len(ordered) // 2] / 1000, ordered[int(len(ordered) * 0.99)] / 1000


def in_request(broker_url):
    import redis
    from eventtracking import tracker

    from openedx_xapi.router.tasks import route_event

    queue = redis.Redis.from_url(broker_url)
    data = {"course_id": COURSE, "user_id": 5, "mode": "audit"}
    backends = tracker.get_tracker().backends
    saved = dict(backends)
    backends.clear()  # (a) event-tracking alone
    try:
        baseline = timed_emits(WANTED, data)
    finally:
        backends.update(saved)
    queue.flushdb()
    wanted = timed_emits(WANTED, data)
    queued = queue.llen("celery")
    from openedx_xapi.translator import mapped_events
    assert UNWANTED not in mapped_events(), f"{UNWANTED} is mapped now: pick another unwanted event"
    unwanted = timed_emits(UNWANTED, {"setting": "language", "old": "en", "new": "fr"})

    # What the Celery publish alone costs: the same apply_async the backend makes.
    payload = orjson.dumps({"name": WANTED, "data": data, "context": {"course_id": COURSE}}).decode()
    publish = [0] * EMITS
    for i in range(-EMIT_WARMUP, EMITS):
        start = time.perf_counter_ns()
        route_event.apply_async(args=(payload, ["bench-lrs"]), queue=None)
        if i >= 0:
            publish[i] = time.perf_counter_ns() - start
    queue.flushdb()

    print(f"{f'in-request cost, tracker.emit (µs), N={EMITS}':<44}{'p50':>8}{'p99':>8}")
    for label, times in (("event-tracking, no backend", baseline),
                         ("wanted event (queued on Redis)", wanted),
                         ("unwanted event (dropped)", unwanted),
                         ("  of which Celery publish (apply_async)", publish)):
        p50, p99 = percentiles(times)
        print(ROW.format(label, f"{p50:.1f}", f"{p99:.1f}"))
    expected = EMITS + EMIT_WARMUP
    note = "as expected" if queued == expected else f"expected {expected}: the figures above are suspect"
    print(f"  ({queued} task messages reached the Redis queue, {note})")


# --- 2. translation ------------------------------------------------------------------------

def raw_stream():
    """Enrollment events in the event-tracking shape, varied like a busy LMS's."""
    start = datetime(2024, 3, 1, 8, 0, tzinfo=timezone.utc)
    events = []
    for i in range(STREAM):
        user_id = 1000 + i % 3001
        events.append({
            "name": ENROLLMENT_EVENTS[i % 3],
            "timestamp": (start + timedelta(milliseconds=37 * i)).isoformat(),
            "context": {"course_id": COURSE, "org_id": "edX", "user_id": user_id, "username": f"learner{user_id}",
                        "host": "localhost:18000", "ip": "172.18.0.1", "session": f"s{i % 997:04d}",
                        "agent": "Mozilla/5.0", "path": "/change_enrollment"},
            "data": {"course_id": COURSE, "user_id": user_id, "mode": MODES[i % 4]},
        })
    return events


def rate(work, items):
    start = time.perf_counter()
    for item in items:
        work(item)
    return len(items) / (time.perf_counter() - start)


def mixed_stream():
    """Every mapped event's sample, in turn, for other learners and times: all the families."""
    from openedx_xapi.translator import mapped_events
    from openedx_xapi.translator.registry import sample_for
    samples = [sample_for(name) for name in mapped_events()]
    start = datetime(2024, 3, 1, 8, 0, tzinfo=timezone.utc)
    events = []
    for i in range(STREAM):
        event = json.loads(json.dumps(samples[i % len(samples)]))
        event["timestamp"] = (start + timedelta(milliseconds=37 * i)).isoformat()
        event.setdefault("context", {})["user_id"] = 1000 + i % 3001
        events.append(event)
    return events, len(samples)


def translation():
    from openedx_xapi.events import parse_event
    from openedx_xapi.identity import HmacActorIds
    from openedx_xapi.pipeline import Skipped, documents_for
    from openedx_xapi.translator import TranslationContext

    ctx = TranslationContext(lms_root_url="http://localhost:18000", actor_ids=HmacActorIds("bench"))

    def translated(protocol):
        def work(event):
            try:
                documents_for(event, protocol, ctx)
            except Skipped:  # an event mapped for the other protocol only
                pass
        return work

    for label, (raw, kinds) in (("enrollment events", (raw_stream(), 3)), ("all families", mixed_stream())):
        events = [parse_event(event) for event in raw]
        lines = [orjson.dumps(event) for event in raw]
        for event in events[:300]:  # warm-up, and a check that the stream translates
            translated("xapi")(event)
        figures = (
            ("xapi (translate + validate)", rate(translated("xapi"), events)),
            ("caliper (translate + validate)", rate(translated("caliper"), events)),
            ("xapi from JSON lines (parse + xapi)", rate(lambda line: translated("xapi")(parse_event(line)), lines)),
            ("orjson round trip (reference)", rate(lambda line: orjson.dumps(orjson.loads(line)), lines)),
        )
        print(f"translation, events/s (one process), {label} ({kinds} names), N={STREAM}")
        for name, per_second in figures:
            print(ROW.format(name, f"{per_second:,.0f}", ""))


# --- 3. end to end ------------------------------------------------------------------------

E2E_BURST = 3000
E2E_RATE, E2E_SECONDS = 500, 4
E2E_LEARNERS = 500  # the learners the events come from (each gets an anonymous id once)


def stored_statements(lrs):
    """What Ralph has stored, read from its file (cheaper than paging through its API)."""
    if not lrs.store_path.exists():
        return []
    return [json.loads(line) for line in lrs.store_path.read_text().splitlines() if line.strip()]


def wait_for_count(lrs, expected, timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(stored_statements(lrs)) >= expected:
            return time.monotonic()
        time.sleep(0.05)
    return None


def emit_enrollment(tracker, user_id):
    context = {"course_id": COURSE, "org_id": "edX", "user_id": user_id, "host": "localhost:18000"}
    with tracker.get_tracker().context("bench.request", context):
        tracker.emit(WANTED, {"course_id": COURSE, "user_id": user_id, "mode": "audit"})


def end_to_end(workdir, lrs):
    """Statements per second into a real Ralph by one Celery worker, and emit-to-stored latency."""
    from django.conf import settings
    from eventtracking import tracker
    env = {**os.environ, "SANDBOX_OPENEDX_XAPI": json.dumps(settings.OPENEDX_XAPI)}
    print(f"end to end into a local Ralph LRS, one Celery worker (batches of "
          f"{settings.OPENEDX_XAPI['BATCH_SIZE']}, {settings.OPENEDX_XAPI['BATCH_SECONDS']} s)")
    with start_celery_worker("sandbox.celery_app", workdir, env=env, concurrency=1):
        start = time.monotonic()
        for i in range(E2E_BURST):
            emit_enrollment(tracker, 100_000 + i % E2E_LEARNERS)
        done = wait_for_count(lrs, E2E_BURST)
        if done is None:
            print(f"  burst of {E2E_BURST}: not all stored within the timeout "
                  f"({len(stored_statements(lrs))} stored)")
        else:
            print(ROW.format(f"burst of {E2E_BURST} events, statements/s", f"{E2E_BURST / (done - start):,.0f}", ""))

        before = len(stored_statements(lrs))
        total = E2E_RATE * E2E_SECONDS
        start = time.monotonic()
        for i in range(total):
            pause = start + i / E2E_RATE - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            emit_enrollment(tracker, 100_000 + i % E2E_LEARNERS)
        wait_for_count(lrs, before + total)
        latencies = []
        for statement in stored_statements(lrs)[before:]:
            emitted = datetime.fromisoformat(statement["timestamp"])
            stored = datetime.fromisoformat(statement["stored"])
            latencies.append((stored - emitted).total_seconds() * 1e9)
        if latencies:
            p50, p99 = percentiles(latencies)
            print(ROW.format(f"emit-to-stored at {E2E_RATE}/s (ms), N={len(latencies)}",
                             f"{p50 / 1000:.0f}", f"{p99 / 1000:.0f}"))
        left = total - len(latencies)
        print(f"  ({left} of {total} events left behind when the stream stopped)")


if __name__ == "__main__":
    sys.exit(main())
