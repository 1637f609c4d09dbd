"""``make demo``: the whole event path on this machine, from emit to LRS.

Starts Redis (the broker), a Ralph LRS and a Celery worker of the stand-in LMS,
registers the LRS as an xAPI consumer, emits enrollment events through
``eventtracking.tracker.emit`` as the LMS does, waits for them to arrive in the LRS
and prints what it stored. Everything runs on 127.0.0.1 and stops at the end; the
files are left in ``.sandbox/`` to look at.
"""
import json
import os
import shutil
import sys
import time
from pathlib import Path

from sandbox.services import (
    become_stand_in_lms,
    fetch_statements,
    ralph_consumer,
    start_celery_worker,
    start_ralph,
    start_redis,
)

ROOT = Path(__file__).resolve().parent.parent
WORKDIR = ROOT / ".sandbox"
COURSE = "course-v1:edX+DemoX+Demo_Course"
LEARNERS = ["ada", "grace", "alan"]


def main():
    shutil.rmtree(WORKDIR, ignore_errors=True)
    WORKDIR.mkdir()
    print("Starting Redis and a Ralph LRS on 127.0.0.1 ...")
    with start_redis(WORKDIR) as redis, start_ralph(WORKDIR) as lrs:
        consumer = ralph_consumer(lrs, "ralph")
        become_stand_in_lms(WORKDIR / "lms.sqlite3", redis.url, [consumer])
        print(f"Ralph LRS at {lrs.url}; consumer declared in settings: "
              f"{json.dumps({**consumer, 'auth': {'type': 'basic', 'username': lrs.username, 'password': '***'}})}")

        print("Starting a Celery worker of the stand-in LMS ...")
        with start_celery_worker("sandbox.celery_app", WORKDIR, env=dict(os.environ)):
            expected = emit_sample_events()
            statements = wait_for(lrs, expected)
        show(statements, expected)
    print(f"Stopped the services. Logs and data are in {WORKDIR}/")
    return 0 if len(statements) == expected else 1


# A few more events, of other families, from the plugin's own sample events.
MORE = ["play_video", "problem_check", "edx.ui.lms.sequence.next_selected", "edx.forum.thread.created",
        "edx.course.grade.passed.first_time"]


def emit_sample_events():
    """Enroll three learners, change one's mode, unenroll another, then a video, a problem,
    a navigation, a forum post and a passing grade: as the LMS would emit them."""
    from django.contrib.auth import get_user_model
    from eventtracking import tracker

    from openedx_xapi.translator.registry import sample_for

    users = {name: get_user_model().objects.get_or_create(username=name)[0] for name in LEARNERS}
    events = [(name, "edx.course.enrollment.activated", "audit") for name in LEARNERS]
    events += [("ada", "edx.course.enrollment.mode_changed", "verified"),
               ("alan", "edx.course.enrollment.deactivated", "audit")]
    for username, event_name, mode in events:
        user = users[username]
        context = {"course_id": COURSE, "org_id": "edX", "user_id": user.id, "username": username,
                   "host": "localhost:18000", "path": "/change_enrollment", "session": f"demo-{username}"}
        with tracker.get_tracker().context("demo.request", context):
            tracker.emit(event_name, {"course_id": COURSE, "user_id": user.id, "mode": mode})
        print(f"  emitted {event_name} for {username} ({mode})")
    grace = users["grace"]
    statements = len(events)
    for name in MORE:
        sample = sample_for(name)
        context = {**sample["context"], "user_id": grace.id, "username": "grace", "session": "demo-grace"}
        with tracker.get_tracker().context("demo.request", context):
            tracker.emit(name, sample["data"])
        made = statements_made_by({**sample, "context": context})
        statements += made
        print(f"  emitted {name} for grace ({made} statement{'s' if made > 1 else ''})")
    # One more that no consumer wants: it is dropped inside the request.
    tracker.emit("edx.user.settings.changed", {"setting": "language", "old": "en", "new": "fr"})
    return statements


def statements_made_by(event):
    """How many statements the translator makes of this event (a problem with several
    questions makes one per question, and one for the whole)."""
    from openedx_xapi.events import parse_event
    from openedx_xapi.identity import HmacActorIds
    from openedx_xapi.translator import TranslationContext, translate
    ctx = TranslationContext(lms_root_url="http://localhost:18000", actor_ids=HmacActorIds("count"))
    return len(translate(parse_event(event), "xapi", ctx))


def wait_for(lrs, expected, timeout=60):
    deadline = time.monotonic() + timeout
    statements = []
    while time.monotonic() < deadline:
        statements = fetch_statements(lrs)
        if len(statements) >= expected:
            break
        time.sleep(0.2)
    return statements


def show(statements, expected):
    print(f"\nThe LRS holds {len(statements)} statement(s) (expected {expected}):")
    for statement in sorted(statements, key=lambda s: s["stored"]):
        print(f"  {statement['actor']['account']['name'][:8]}...  "
              f"{statement['verb']['display']['en']:<13} {statement['object']['id']}")
    if statements:
        print("\nThe first one in full:")
        print(json.dumps(statements[0], indent=2))


if __name__ == "__main__":
    sys.exit(main())
