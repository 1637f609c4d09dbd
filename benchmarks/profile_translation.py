"""Translation + validation throughput, without the services ``make bench`` starts.

    python -m benchmarks.profile_translation [--repeat N] [--profile xapi|caliper] [--only enrollment|mixed]

Measures ``openedx_xapi.pipeline.documents_for`` (translate + validate) the way
``benchmarks/run.py`` does (same streams: enrollment events, and every mapped event's
sample in turn), best of ``--repeat`` runs and in CPU time, because one run on a busy
machine is noise.
``--profile`` runs the mixed stream under cProfile and prints the top functions.
"""
import argparse
import cProfile
import json
import pstats
import time
from datetime import datetime, timedelta, timezone

COURSE = "course-v1:edX+DemoX+Demo_Course"
ENROLLMENT_EVENTS = ("edx.course.enrollment.activated", "edx.course.enrollment.deactivated",
                     "edx.course.enrollment.mode_changed")
MODES = ("audit", "verified", "honor", "professional")
STREAM = 20_000
START = datetime(2024, 3, 1, 8, 0, tzinfo=timezone.utc)


def enrollment_stream():
    events = []
    for i in range(STREAM):
        user_id = 1000 + i % 3001
        events.append({
            "name": ENROLLMENT_EVENTS[i % 3],
            "timestamp": (START + timedelta(milliseconds=37 * i)).isoformat(),
            "context": {"course_id": COURSE, "org_id": "edX", "user_id": user_id, "username": f"learner{user_id}",
                        "host": "localhost:18000", "ip": "172.18.0.1", "session": f"s{i % 997:04d}",
                        "agent": "Mozilla/5.0", "path": "/change_enrollment"},
            "data": {"course_id": COURSE, "user_id": user_id, "mode": MODES[i % 4]},
        })
    return events


def mixed_stream():
    from openedx_xapi.translator import mapped_events
    from openedx_xapi.translator.registry import sample_for
    samples = [sample_for(name) for name in mapped_events()]
    events = []
    for i in range(STREAM):
        event = json.loads(json.dumps(samples[i % len(samples)]))
        event["timestamp"] = (START + timedelta(milliseconds=37 * i)).isoformat()
        event.setdefault("context", {})["user_id"] = 1000 + i % 3001
        events.append(event)
    return events


def worker(protocol):
    from openedx_xapi.identity import HmacActorIds
    from openedx_xapi.pipeline import Skipped, documents_for
    from openedx_xapi.translator import TranslationContext
    ctx = TranslationContext(lms_root_url="http://localhost:18000", actor_ids=HmacActorIds("bench"))

    def work(event):
        try:
            documents_for(event, protocol, ctx)
        except Skipped:
            pass
    return work


def rate(work, items):
    """Events per second of CPU time used by this process: other processes on a busy
    machine then slow the figure down much less than they would the wall clock."""
    start = time.process_time()
    for item in items:
        work(item)
    return len(items) / (time.process_time() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", choices=("xapi", "caliper"))
    parser.add_argument("--only", choices=("enrollment", "mixed"))
    args = parser.parse_args()
    from openedx_xapi.events import parse_event

    streams = {"enrollment": enrollment_stream, "mixed": mixed_stream}
    if args.profile:
        events = [parse_event(raw) for raw in mixed_stream()]
        work = worker(args.profile)
        for event in events[:500]:
            work(event)
        profiler = cProfile.Profile()
        profiler.runcall(lambda: [work(event) for event in events])
        pstats.Stats(profiler).sort_stats("tottime").print_stats(35)
        return
    for label, make in streams.items():
        if args.only and label != args.only:
            continue
        events = [parse_event(raw) for raw in make()]
        for protocol in ("xapi", "caliper"):
            work = worker(protocol)
            for event in events[:500]:
                work(event)
            best = max(rate(work, events) for _ in range(args.repeat))
            print(f"{label:<12} {protocol:<8} {best:>10,.0f} events/s (best of {args.repeat}, N={len(events)})")


if __name__ == "__main__":
    main()
