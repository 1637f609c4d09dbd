"""What ``benchmarks.run`` asks of event-routing-backends, run in ERB's own virtualenv.

``python -m benchmarks.erb.measure COMMAND [ARGS]`` prints its figures as one JSON
object on the last line of stdout (progress goes to stderr):

* ``names``: the event names ERB translates, per protocol (in its registries, and let
  through by its default settings);
* ``setup STREAM... [--lrs URL USER PASSWORD]``: create the database, the learners the
  streams mention, and (with ``--lrs``) the xAPI ``RouterConfiguration`` an operator
  adds in the Django admin;
* ``route URL USER PASSWORD``: send xAPI to that LRS only (a new ``RouterConfiguration``);
* ``check STREAM PROTOCOL``: the names of the stream's events ERB fails to translate;
* ``translation STREAM PROTOCOL``: events per second through ERB's processors for
  ``PROTOCOL`` (what its Celery task runs on each event before dispatching it);
* ``in-request EMITS WARMUP``: microseconds per ``tracker.emit`` of a wanted and of an
  unwanted event, with a real Redis as the broker and no worker;
* ``emit STREAM COUNT RATE``: emit COUNT events of the stream through ``tracker.emit``
  (RATE per second, 0 for as fast as possible), for the end-to-end figures;
* ``statements STREAM COUNT``: how many xAPI statements ERB makes of each of the first
  COUNT events of the stream;
* ``memory STREAM COUNT``: peak resident size of a process that ran COUNT events
  through ERB's xAPI processors (what its worker runs on each event before dispatch).

Each event of a STREAM file (JSON lines) is in event-tracking's shape, the one ERB's
Celery task receives: ``name``, ``timestamp``, ``context``, ``data``.
"""
import itertools
import json
import os
import resource
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.erb.settings")

import django  # noqa: E402

django.setup()

# As edx-platform's lms/__init__.py does: shared tasks then publish through the LMS's app.
from django.conf import settings  # noqa: E402
from eventtracking import tracker  # noqa: E402

import benchmarks.erb.celery_app  # noqa: E402, F401

WANTED = "edx.course.enrollment.activated"
UNWANTED = "edx.user.settings.changed"  # a real Open edX event that ERB does not translate
COURSE = "course-v1:edX+DemoX+Demo_Course"


def peak_kib():
    """This process's peak resident size (VmHWM: unlike ru_maxrss, not inherited across fork/exec)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def progress(message):
    print(f"    [erb] {message}", file=sys.stderr, flush=True)


def read_stream(path):
    with open(path) as lines:
        return [json.loads(line) for line in lines if line.strip()]


def router(protocol):
    """ERB's router for ``protocol`` as event-tracking built it from ERB's settings."""
    return tracker.get_tracker().backends["event_transformer"].backends[protocol]


def names():
    from event_routing_backends.processors.caliper.registry import CaliperTransformersRegistry
    from event_routing_backends.processors.xapi.registry import XApiTransformersRegistry
    allowed_xapi = set(settings.EVENT_TRACKING_BACKENDS_ALLOWED_XAPI_EVENTS)
    allowed_caliper = set(settings.EVENT_TRACKING_BACKENDS_ALLOWED_CALIPER_EVENTS)
    return {
        "xapi": sorted(set(XApiTransformersRegistry.mapping) & allowed_xapi),
        "caliper": sorted(set(CaliperTransformersRegistry.mapping) & allowed_caliper),
        "erb_version": version(),
    }


def version():
    from importlib.metadata import version as installed
    return installed("edx-event-routing-backends")


def setup(args):
    """The database: ERB's tables, the stand-in edx-platform tables, learners and an LRS."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from event_routing_backends.models import RouterConfiguration
    from openedx.core.djangoapps.external_user_ids.models import ExternalId, ExternalIdType

    lrs = None
    if "--lrs" in args:
        at = args.index("--lrs")
        lrs, args = args[at + 1:at + 4], args[:at]
    call_command("migrate", run_syncdb=True, verbosity=0)
    id_types = [ExternalIdType.objects.get_or_create(name=name)[0]
                for name in (ExternalIdType.XAPI, ExternalIdType.CALIPER, ExternalIdType.LTI)]
    learners = {}
    for path in args:
        for event in read_stream(path):
            for part in (event.get("context") or {}, event.get("data") or {}):
                if isinstance(part.get("user_id"), int):
                    learners[part["user_id"]] = f"learner{part['user_id']}"
    user_model = get_user_model()
    known = set(user_model.objects.values_list("id", flat=True))
    user_model.objects.bulk_create(
        user_model(id=user_id, username=username, email=f"{username}@example.com")
        for user_id, username in learners.items() if user_id not in known
    )
    # An LMS that has run ERB a while has its learners' external ids already.
    ExternalId.objects.bulk_create(
        (ExternalId(user_id=user_id, external_id_type=id_type) for user_id in learners for id_type in id_types),
        ignore_conflicts=True,
    )
    if lrs:
        url, username, password = lrs
        RouterConfiguration.objects.create(
            backend_name=RouterConfiguration.XAPI_BACKEND, route_url=url, enabled=True,
            auth_scheme=RouterConfiguration.AUTH_BASIC, username=username, password=password,
        )
    return {"learners": len(learners), "lrs": bool(lrs)}


def route(url, username, password):
    """Send xAPI to this LRS only, as an operator would in the admin (and forget cached routers)."""
    from django.core.cache import cache
    from event_routing_backends.models import RouterConfiguration
    for current in RouterConfiguration.objects.current_set().filter(enabled=True):
        RouterConfiguration.objects.create(backend_name=current.backend_name, route_url=current.route_url,
                                           enabled=False)
    RouterConfiguration.objects.create(
        backend_name=RouterConfiguration.XAPI_BACKEND, route_url=url, enabled=True,
        auth_scheme=RouterConfiguration.AUTH_BASIC, username=username, password=password,
    )
    cache.clear()
    return {"routed_to": url}


def check(path, protocol):
    """The names of the stream's events that ERB cannot translate for ``protocol`` (and why)."""
    process = router(protocol).process_event
    failed = {}
    for event in read_stream(path):
        try:
            if not process(event):
                failed[event["name"]] = "no statement"
        except Exception as error:  # noqa: BLE001 - what the event cannot go through is the answer
            failed[event["name"]] = repr(error)[:300]
    return {"failed": failed}


def translation(path, protocol):
    """Events per second through ERB's processors for one protocol, and which events failed."""
    events = read_stream(path)
    process = router(protocol).process_event
    failed = {}
    for event in events[:300]:  # warm-up, and a check that the stream translates
        try:
            if not process(event):
                failed[event["name"]] = "no statement"
        except Exception as error:  # noqa: BLE001 - reported, and the figures are then suspect
            failed[event["name"]] = repr(error)[:200]
    progress(f"translation, {protocol}: {len(events)} events")
    start = time.perf_counter()
    documents = 0
    for event in events:
        try:
            documents += len(process(event))
        except Exception:  # noqa: BLE001 - counted above
            pass
    elapsed = time.perf_counter() - start
    return {"per_second": len(events) / elapsed, "events": len(events), "documents": documents, "failed": failed}


def timed_emits(name, data, count, warmup):
    context = {"course_id": COURSE, "org_id": "edX", "user_id": 5, "username": "learner5",
               "host": "localhost:18000", "path": "/change_enrollment", "session": "bench"}
    times = [0] * count
    clock, emit = time.perf_counter_ns, tracker.emit
    with tracker.get_tracker().context("bench.request", context):
        for _ in range(warmup):
            emit(name, data)
        for i in range(count):
            start = clock()
            emit(name, data)
            times[i] = clock() - start
    return times


def in_request(count, warmup):
    import redis
    queue = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    data = {"course_id": COURSE, "user_id": 5, "mode": "audit"}
    backends = tracker.get_tracker().backends
    saved = dict(backends)
    backends.clear()
    try:
        baseline = timed_emits(WANTED, data, count, warmup)
    finally:
        backends.update(saved)
    queue.flushdb()
    progress(f"in-request: {count} wanted events")
    wanted = timed_emits(WANTED, data, count, warmup)
    queued = queue.llen("celery")
    assert UNWANTED not in settings.EVENT_BUS_TRACKING_LOGS, f"ERB routes {UNWANTED} now: pick another"
    progress(f"in-request: {count} unwanted events")
    unwanted = timed_emits(UNWANTED, {"setting": "language", "old": "en", "new": "fr"}, count, warmup)
    queue.flushdb()
    return {"baseline": baseline, "wanted": wanted, "unwanted": unwanted, "queued": queued,
            "expected": count + warmup}


def emit(path, count, rate):
    """Emit ``count`` events of the stream, in a request context each, ``rate`` a second."""
    events = read_stream(path)
    get_tracker, emit_event = tracker.get_tracker, tracker.emit
    start = time.monotonic()  # the same clock as the caller's (CLOCK_MONOTONIC)
    for i in range(count):
        if rate:
            pause = start + i / rate - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        event = events[i % len(events)]
        with get_tracker().context("bench.request", event["context"]):
            emit_event(event["name"], event["data"])
    return {"emitted": count, "started": start, "seconds": time.monotonic() - start}


def statements(path, count):
    """How many xAPI statements ERB makes of each of the stream's first ``count`` events."""
    process = router("xapi").process_event
    return {"statements": [len(process(event)) for event in read_stream(path)[:count]]}


def memory(path, count):
    with open(path) as lines:  # the first 1000 only: the peak must be the worker's, not the stream's
        events = [json.loads(line) for line in itertools.islice(lines, 1000)]
    process = router("xapi").process_event
    before = peak_kib()
    progress(f"memory: {count} events")
    for i in range(count):
        process(events[i % len(events)])
    return {"before_kib": before, "peak_kib": peak_kib()}


def main(argv):
    command, args = argv[0], argv[1:]
    if command == "names":
        result = names()
    elif command == "setup":
        result = setup(args)
    elif command == "route":
        result = route(*args[:3])
    elif command == "check":
        result = check(args[0], args[1])
    elif command == "translation":
        result = translation(args[0], args[1])
    elif command == "in-request":
        result = in_request(int(args[0]), int(args[1]))
    elif command == "emit":
        result = emit(args[0], int(args[1]), float(args[2]))
    elif command == "statements":
        result = statements(args[0], int(args[1]))
    elif command == "memory":
        result = memory(args[0], int(args[1]))
    else:
        raise SystemExit(f"unknown command {command!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
