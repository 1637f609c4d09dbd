"""How delivered statements per second grow with the number of workers (``make bench``).

For 1, 2 and 3 Celery workers (concurrency 1 each) of the stand-in LMS: emit a backlog
of ``EVENTS`` enrollment events of ``LEARNERS`` known learners from a separate LMS
process, start the workers together, and time how fast a fresh Ralph LRS (file backend)
stores the statements while they drain it. (The backlog is spread over the workers by
the plugin's hand-off: with a Redis stream, every worker reads from it; with plain
Celery messages and an unlimited prefetch, the first worker up would take it all.)
Each run has its own LRS and its own copy of one migrated database, so no run
inherits another's stored statements or learners' anonymous ids; all share one Redis.

Everything runs on this machine: the LMS process, the workers and the LRS share its
cores, so the figures say how far more workers help *here*, where the LRS and the cores
are the limit. On a cluster, where workers get cores of their own and the LRS scales,
expect them to grow further. ``scale_rows()`` returns the figures as (label, value) rows;
``python -m benchmarks.scale`` prints them.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sandbox.services import PROJECT_ROOT, start_celery_worker, start_ralph, start_redis

EVENTS = 6000
LEARNERS = 500
MAX_WORKERS = 3
RUNS = 2
TIMEOUT = 300  # seconds one run may take to store everything


def scale_rows(events=EVENTS, learners=LEARNERS, max_workers=MAX_WORKERS, runs=RUNS):
    """``[(label, value), ...]``: delivered statements/s for 1..max_workers workers (the best of
    ``runs`` runs each: the machine is shared, and a run slowed by others says little), the
    gain from 1 to max_workers, and what the LRS takes when nothing else runs."""
    rows, rates = [], []
    with tempfile.TemporaryDirectory(prefix="openedx-xapi-scale-") as tmp, start_redis(Path(tmp)) as redis_server:
        template = migrated_database(Path(tmp), redis_server.url, learners)
        for workers in range(1, max_workers + 1):
            measured = [delivered_per_second(Path(tmp) / f"run-{workers}-{run}", redis_server.url, template,
                                             workers, events, learners) for run in range(runs)]
            rate = max((rate for rate in measured if rate), default=None)
            rates.append(rate)
            label = f"delivered statements/s, {workers} Celery worker{'s' if workers > 1 else ''}"
            rows.append((label, f"{rate:,.0f}" if rate else "timed out"))
        if rates[0] and rates[-1]:
            rows.append((f"{max_workers} workers / 1 worker", f"{rates[-1] / rates[0]:.2f}x"))
        rows.append(("the LRS alone, statements/s (POSTs of 100)", f"{lrs_alone(Path(tmp) / 'lrs-alone'):,.0f}"))
    return rows


def lrs_alone(workdir, statements=EVENTS, size=100):
    """What this Ralph takes from one client that only posts: the ceiling of the runs above."""
    import uuid

    import requests
    with start_ralph(workdir) as lrs, requests.Session() as session:
        session.auth = (lrs.username, lrs.password)
        start = time.monotonic()
        for _ in range(statements // size):
            batch = [{"id": str(uuid.uuid4()), "actor": {"mbox": "mailto:bench@example.com"},
                      "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
                      "object": {"id": "http://localhost:18000/bench"}, "timestamp": "2024-01-01T00:00:00Z"}
                     for _ in range(size)]
            session.post(f"{lrs.url}statements", json=batch, timeout=30).raise_for_status()
        return statements // size * size / (time.monotonic() - start)


def lms_environment(database, broker_url, consumers=()):
    return {
        "DJANGO_SETTINGS_MODULE": "sandbox.settings",
        "SANDBOX_DB": str(database),
        "SANDBOX_BROKER_URL": broker_url,
        "CELERY_BROKER_URL": broker_url,  # (Celery reads it before its settings)
        "SANDBOX_OPENEDX_XAPI": json.dumps({"CONSUMERS": list(consumers)}),
        "SANDBOX_LOG_LEVEL": "WARNING",
        "SANDBOX_EVENT_BUS_URL": "",
        "PYTHONPATH": str(PROJECT_ROOT),
    }


# The learners are known already, as in a live LMS: their anonymous ids exist. (Making one
# is a database write, and the sandbox's SQLite commits each with an fsync: left to the run,
# those writes, not the workers, would set the pace.)
KNOWN_LEARNERS = """
from openedx_xapi.models import ActorId
ActorId.objects.bulk_create([ActorId(user_id=user_id, kind=kind)
                             for user_id in range(1, {learners} + 1) for kind in ("xapi", "caliper")])
"""


def migrated_database(workdir, broker_url, learners):
    database = workdir / "template.sqlite3"
    env = {**os.environ, **lms_environment(database, broker_url)}
    manage = [sys.executable, PROJECT_ROOT / "sandbox" / "manage.py"]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, cwd=PROJECT_ROOT, check=True)
    subprocess.run([*manage, "shell", "-v", "0", "-c", KNOWN_LEARNERS.format(learners=learners)],
                   env=env, cwd=PROJECT_ROOT, check=True)
    return database


def stored(lrs):
    return lrs.store_path.read_bytes().count(b"\n") if lrs.store_path.exists() else 0


def delivered_per_second(workdir, broker_url, template, workers, events, learners):
    """Statements/s while the workers drain a backlog of ``events``; None if it timed out.

    The backlog is emitted first, with no worker running, so the LMS process does not share
    the cores with the workers while they are timed; the workers then start together, and
    the rate is taken between 10% and 90% of the statements stored (start-up left out)."""
    import redis
    redis.Redis.from_url(broker_url).flushdb()
    workdir.mkdir(parents=True)
    database = workdir / "lms.sqlite3"
    shutil.copy(template, database)
    with start_ralph(workdir) as lrs:
        consumer = {"name": "bench-lrs", "protocol": "xapi", "url": lrs.url,
                    "auth": {"type": "basic", "username": lrs.username, "password": lrs.password}}
        env = lms_environment(database, broker_url, [consumer])
        subprocess.run([sys.executable, "-m", "sandbox.eventbus", "emit", str(events), "--learners", str(learners)],
                       env={**os.environ, **env}, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, check=True)
        with ThreadPoolExecutor(workers) as pool:
            started = list(pool.map(lambda _: start_celery_worker("sandbox.celery_app", workdir, env=env),
                                    range(workers)))
        try:
            low, high = events // 10, events - events // 10
            deadline = time.monotonic() + TIMEOUT
            while stored(lrs) < low and time.monotonic() < deadline:
                time.sleep(0.02)
            low_at, low_count = time.monotonic(), stored(lrs)
            while stored(lrs) < high and time.monotonic() < deadline:
                time.sleep(0.02)
            high_at, high_count = time.monotonic(), stored(lrs)
            if high_count < high:
                return None
            return (high_count - low_count) / (high_at - low_at)
        finally:
            for worker in started:
                worker.stop()


def main():
    for label, value in scale_rows():
        print(f"  {label:<42}{value:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
