"""Throwaway Celery app used by tests/test_services.py to probe start_celery_worker.

The broker URL comes from the PROBE_BROKER_URL environment variable.
"""

import os
from pathlib import Path

from celery import Celery

app = Celery("celery_probe", broker=os.environ.get("PROBE_BROKER_URL"))
app.conf.broker_connection_retry_on_startup = True


@app.task(name="probe.write_file")
def write_file(path, content):
    """Write `content` to `path` (proof that the worker ran the task)."""
    Path(path).write_text(content)
    return path
