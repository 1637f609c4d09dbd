"""The event streams both projects are measured on, made from this project's own samples.

Each family module of the translator has a sample per event name
(``openedx_xapi.translator.registry.sample_for``); a stream repeats the samples of the
chosen names in turn, for other learners and times, in event-tracking's shape (the one
both projects' Celery tasks receive). Written as JSON lines so that ERB, in its own
virtualenv, reads exactly the same events.
"""
import copy
import json
from datetime import datetime, timedelta, timezone

FIRST_LEARNER = 1000
REFERER = ("http://localhost:18000/courses/course-v1:edX+DemoX+Demo_Course/courseware/"
           "interactive_demonstrations/basic_questions/")


def mixed_stream(names, count, learners=100):
    """``count`` events cycling through the samples of ``names`` (all mapped by us), from
    ``learners`` different learners (ids from 1000 on, usernames ``learner<id>``)."""
    from openedx_xapi.translator.registry import sample_for
    samples = [sample_for(name) for name in names]
    missing = [name for name, sample in zip(names, samples, strict=True) if sample is None]
    if missing:
        raise ValueError(f"no sample for {missing}")
    start = datetime(2024, 3, 1, 8, 0, tzinfo=timezone.utc)
    events = []
    for i in range(count):
        event = copy.deepcopy(samples[i % len(samples)])
        event["timestamp"] = (start + timedelta(milliseconds=37 * i)).isoformat()
        learner = FIRST_LEARNER + i % learners
        for part in (event.setdefault("context", {}), event.get("data")):
            # The same learner wherever the event names one (ERB reads data's first).
            if isinstance(part, dict) and "user_id" in part:
                part["user_id"] = learner
            if isinstance(part, dict) and "username" in part:
                part["username"] = f"learner{learner}"
        # Events emitted in a request carry its referer (ERB requires one for problem_check).
        event["context"].setdefault("referer", REFERER)
        event["context"]["user_id"] = learner
        event["context"]["username"] = f"learner{learner}"
        events.append(event)
    return events


def write_stream(path, events):
    with open(path, "w") as out:
        for event in events:
            out.write(json.dumps(event) + "\n")
    return path
