"""Realistic Open edX tracking logs, several days of them, gzipped as logrotate leaves them.

Used by the replay tests and by ``benchmarks/replay.py``. The logs are generated, not
committed: the same seed always gives the same bytes. Each line is what the LMS's
``tracking`` logger writes (a logger prefix, then the event as JSON, the payload of
browser events as a JSON string), for every event name the translator maps, spread
over several learners, courses and organisations, in time order within a day. Some
lines are what real logs also hold: events nobody maps, guests' events, a truncated
line.

    python -m tests.replay_logs DIR [--days 3] [--per-day 1000]
"""
import argparse
import copy
import gzip
import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

FIRST_DAY = datetime(2024, 3, 1, tzinfo=timezone.utc)
COURSES = ("course-v1:edX+DemoX+Demo_Course", "course-v1:edX+Stats101+2024", "course-v1:OpenU+Hist200+2024_T1")
UNMAPPED = "edx.user.settings.changed"  # a real Open edX event that no family maps
PREFIX = "{time} INFO 20 [tracking] [user {user}] [ip 10.1.2.3] logger.py:41 - "


def _samples():
    from openedx_xapi.translator import mapped_events
    from openedx_xapi.translator.registry import sample_for
    return [sample_for(name) for name in mapped_events() if sample_for(name)]


def _retarget(value, course_id):
    """The sample's course, replaced by ``course_id`` wherever it appears (ids, block keys, URLs)."""
    text = json.dumps(value)
    old = "course-v1:edX+DemoX+Demo_Course"
    new = course_id
    text = text.replace(old, new).replace("edX+DemoX+Demo_Course", new.split(":", 1)[1])
    return json.loads(text)


def log_record(sample, moment, user_id, course_id, session):
    """One tracking-log record (the shape the LMS writes) from a family's sample event."""
    event = _retarget(copy.deepcopy(sample), course_id)
    context = dict(event.get("context") or {})
    request = {key: context.pop(key, None) for key in ("username", "session", "ip", "agent", "host", "referer",
                                                       "accept_language", "page")}
    context.update(course_id=course_id, org_id=course_id.split(":", 1)[1].split("+", 1)[0])
    if user_id is None:  # a guest: no learner at all
        context.pop("user_id", None)
        request["username"] = ""
    else:
        context["user_id"] = user_id
        request["username"] = f"learner{user_id}"
    source = context.get("event_source", "server")
    data = event.get("data") or {}
    return {
        "name": event["name"], "event_type": event["name"], "event_source": source,
        "time": moment.isoformat(),
        "event": json.dumps(data) if source == "browser" else data,
        "context": context,
        "username": request["username"], "session": session, "ip": "10.1.2.3", "agent": "Mozilla/5.0",
        "host": request["host"] or "lms.example.com", "referer": request["referer"] or "",
        "accept_language": "en-US,en;q=0.9", "page": request["page"],
    }


def day_lines(day_index, per_day, seed=8, samples=None, learners=400):
    """The lines of one day's log (bytes, newline-terminated), in time order."""
    samples = samples or _samples()
    rng = random.Random(f"{seed}-{day_index}")
    day = FIRST_DAY + timedelta(days=day_index)
    moments = sorted(rng.uniform(0, 86_399) for _ in range(per_day))
    lines = []
    for number, second in enumerate(moments):
        moment = day + timedelta(seconds=second)
        user_id = rng.randrange(1, learners + 1)
        course_id = rng.choice(COURSES)
        session = f"session-{user_id}"
        roll = rng.random()
        if roll < 0.02:  # a line cut short (the LMS was killed mid-write)
            line = PREFIX.format(time="", user=user_id) + '{"name": "problem_check", "time": "' + moment.isoformat()
        elif roll < 0.07:  # an event nobody maps
            record = {"name": UNMAPPED, "event_type": UNMAPPED, "event_source": "server", "time": moment.isoformat(),
                      "event": {"setting": "pref-lang", "old": "en", "new": "fr", "user_id": user_id},
                      "context": {"user_id": user_id, "course_id": "", "org_id": ""},
                      "username": f"learner{user_id}", "session": session, "ip": "10.1.2.3", "agent": "Mozilla/5.0",
                      "host": "lms.example.com"}
            line = PREFIX.format(time=_log_time(moment), user=user_id) + json.dumps(record)
        else:
            sample = samples[(number * 7 + day_index) % len(samples)]
            guest = roll < 0.09
            record = log_record(sample, moment, None if guest else user_id, course_id, session)
            line = PREFIX.format(time=_log_time(moment), user="None" if guest else user_id) + json.dumps(record)
        lines.append(line.encode() + b"\n")
    return lines


def _log_time(moment):
    return moment.strftime("%Y-%m-%d %H:%M:%S,") + f"{moment.microsecond // 1000:03d}"


def write_logs(folder, days=3, per_day=1000, seed=8, compress=True, learners=400):
    """``tracking.log-YYYYMMDD.gz`` for each day (plain ``.log`` files when ``compress`` is false);
    returns their paths, oldest first."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    samples = _samples()
    paths = []
    for index in range(days):
        day = FIRST_DAY + timedelta(days=index)
        name = f"tracking.log-{day:%Y%m%d}" + (".gz" if compress else "")
        data = b"".join(day_lines(index, per_day, seed, samples, learners))
        path = folder / name
        path.write_bytes(gzip.compress(data, compresslevel=6, mtime=0) if compress else data)
        paths.append(path)
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--per-day", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args(argv)
    for path in write_logs(args.folder, args.days, args.per_day, args.seed):
        print(path)


if __name__ == "__main__":
    main()
