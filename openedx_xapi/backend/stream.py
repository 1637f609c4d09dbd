"""The hand-off from the LMS request to the workers: a Redis stream (ADR 0008).

Each wanted event is appended to one Redis stream with ``XADD`` (in a small server-side
script that also takes the lease below): one round trip on a pooled connection, tens of
microseconds, where a Celery publish costs hundreds. The
workers read the stream as one consumer group (``router/stream.py``), so an entry a
worker took and never acknowledged (the worker was killed) stays pending in Redis and
another worker claims it: nothing is lost between the request and the router.

Workers are woken by a Celery task (``openedx_xapi.drain_stream``), published only when
no drain is running or about to run: the script that appends also sets a short lease
with ``SET NX``, and only the request that wins the lease publishes the task.

If Redis cannot be reached, events wait in this process's spool (``spool.py``: files on
local disk, so that they outlive the process) and go out with the next event that gets
through; the request never waits for Redis to come back (one attempt per second at most).
Spool files that dead processes left are pushed by the next process that gets through.
While Redis answers, none of this costs the request anything: the spool is only looked at
when it holds something, and for orphans only when a request wins the lease (a cold path)
and at most once a minute.
"""
import hashlib
import logging
import os
import threading
import time

from openedx_xapi import conf
from openedx_xapi.backend.spool import Spool, count_metric

log = logging.getLogger(__name__)

# A lease that says "a drain is running or has just been asked for": whoever sets it publishes one.
LEASE_SECONDS = 2
# KEYS: the stream, the lease; ARGV: the event, the consumer names, the lease's seconds.
# Returns 1 when this call set the lease (so the caller wakes a worker).
_APPEND = """
redis.call('XADD', KEYS[1], '*', 'e', ARGV[1], 'c', ARGV[2])
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[3]) then return 1 end
return 0
"""
_APPEND_SHA = hashlib.sha1(_APPEND.encode()).hexdigest()  # noqa: S324 (Redis names scripts by SHA-1)
RETRY_AFTER_FAILURE = 1.0
# How often (seconds, at most) a process looks for spool files that dead processes left.
ADOPT_EVERY = 60.0
# After an outage, each request pushes at most this many spooled events (and adopts at most
# one orphan file), so that no single learner pays for the whole backlog: about 25 ms here.
FLUSH_PER_REQUEST = 2_000
ORPHAN_FILES_PER_REQUEST = 1


def stream_key():
    return conf.get("STREAM_KEY")


def lease_key():
    return f"{stream_key()}:drain-lease"


class StreamProducer:
    """Appends events to the stream; one per process (see :func:`producer`)."""

    def __init__(self, url):
        import redis
        self.no_script = redis.exceptions.NoScriptError
        self.url = url
        # Short timeouts: a learner's request must never hang on Redis.
        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5,
                                           health_check_interval=30)
        self.spool = Spool(url)
        self.flushing = threading.Lock()  # one flush (or adoption) at a time
        self.down_until = 0.0
        self.adopt_after = 0.0  # the first lease this process wins looks for orphans at once

    def push(self, payload, consumer_names):
        fields = {"e": payload, "c": ",".join(consumer_names)}
        if self.spool.waiting or time.monotonic() < self.down_until:
            self.spool.hold(fields)
            self._flush_spool()
            return
        try:
            won_lease = self._append(fields)
        except Exception as error:  # pylint: disable=broad-except
            self._failed(error)
            self.spool.hold(fields)
            return
        if won_lease:
            if time.monotonic() >= self.adopt_after:
                self._adopt_orphans()
            wake_workers()

    def _append(self, fields):
        """XADD, then SET NX of the lease, as one server-side script: one command, one round trip."""
        args = (2, stream_key(), lease_key(), fields["e"], fields["c"], LEASE_SECONDS)
        try:
            return self.client.execute_command("EVALSHA", _APPEND_SHA, *args)
        except self.no_script:  # the first time, or after Redis restarted
            return self.client.execute_command("EVAL", _APPEND, *args)  # also caches it in Redis

    def _send(self, batch):
        """Append spooled events to the stream, pipelined (they need no lease: a worker is woken after)."""
        pipe = self.client.pipeline(transaction=False)
        for fields in batch:
            pipe.xadd(stream_key(), fields)
        pipe.execute()

    def _failed(self, error):
        self.down_until = time.monotonic() + RETRY_AFTER_FAILURE
        log.warning("openedx_xapi: could not reach Redis at hand-off (%s); holding events in the spool",
                    type(error).__name__)
        count_metric("handoff.failed")

    def _flush_spool(self):
        """Send what waits, oldest first, once Redis answers again (one try per second), then
        what dead processes left."""
        if time.monotonic() < self.down_until or not self.flushing.acquire(blocking=False):
            return
        try:
            if self.spool.flush(self._send, limit=FLUSH_PER_REQUEST):
                self.adopt_after = time.monotonic() + ADOPT_EVERY
                self.spool.adopt_orphans(self._send, files=ORPHAN_FILES_PER_REQUEST)
            self.client.delete(lease_key())
            wake_workers()
        except Exception as error:  # pylint: disable=broad-except
            self._failed(error)
        finally:
            self.flushing.release()

    def _adopt_orphans(self):
        """Push the spool files of dead processes (a process that died while Redis was down)."""
        if not self.flushing.acquire(blocking=False):
            return
        try:
            self.adopt_after = time.monotonic() + ADOPT_EVERY
            if self.spool.adopt_orphans(self._send, files=ORPHAN_FILES_PER_REQUEST):
                self.adopt_after = 0.0  # there may be more: the next lease won looks again
        except Exception as error:  # pylint: disable=broad-except
            self._failed(error)
        finally:
            self.flushing.release()

    def forget_after_fork(self):
        """In a forked child: the parent's spool stays the parent's; locks start free."""
        self.spool.forget()
        self.flushing = threading.Lock()


def wake_workers():
    """Ask a worker to drain the stream. Never raises."""
    try:
        from openedx_xapi.router.tasks import drain_stream
        drain_stream.apply_async(queue=conf.get("CELERY_QUEUE"), retry_policy={"max_retries": 1})
    except Exception:  # pylint: disable=broad-except
        # The entry is safe in the stream; the next event (or worker start) wakes a worker.
        log.exception("openedx_xapi: could not wake a worker")


_producers = {}


def producer():
    """This process's producer for the configured Redis URL."""
    url = conf.redis_url()
    found = _producers.get(url)
    if found is None:
        found = _producers[url] = StreamProducer(url)
    return found


def reset():
    """Forget the producers (tests point the LMS at another Redis)."""
    _producers.clear()


def _after_fork_in_child():
    for found in _producers.values():
        found.forget_after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)
