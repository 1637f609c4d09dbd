"""Where events wait while Redis is unreachable: files on local disk (ADR 0008, "The spool").

The producer (``stream.py``) hands an event here only when it cannot append it to the
stream. Each event becomes one JSON line, ``{"c": consumer names, "e": the event}``,
appended to a file of this process under ``SPOOL_DIR`` (opened once, written with one
``write`` each, so nothing sits in a buffer): an LMS process that dies meanwhile (a worker
recycled, an OOM kill, a deploy) leaves its events on disk instead of taking them along.

* **Segments.** A process's spool is a few files ("segments") of up to a tenth of
  ``SPOOL_MAX_EVENTS`` lines each. When more than ``SPOOL_MAX_EVENTS`` wait, the oldest
  segment is deleted (counted as ``openedx_xapi.handoff.dropped`` and logged): no file is
  ever rewritten, and the disk a process uses stays bounded.
* **Flush.** Once Redis answers, the segments are read back, oldest first, and pushed;
  a segment is deleted only when all its lines are in Redis.
* **Orphans.** A process holds an exclusive ``flock`` on each of its segments for as long
  as it lives (the kernel drops it when the process dies, SIGKILL included). A file whose
  lock can be taken therefore belongs to a dead process: whoever takes it pushes its
  lines, deletes it, and only then lets go of the lock, so no two processes push it.
* **Disk trouble** (an unwritable directory, a full disk): logged, counted as
  ``openedx_xapi.handoff.spool_failed``, and the events wait in memory instead, as before
  there was a spool (up to ``MEMORY_MAX``), until everything waiting has gone out.

Files live in a subdirectory per Redis URL and stream key, so that two LMSs on one host
(each with its own Redis) never push each other's events. Nothing here raises: a failing
disk loses durability, never the request. (Redis errors raised by ``send`` do propagate,
for the producer to count and retry.)
"""
import collections
import fcntl
import hashlib
import itertools
import logging
import os
import tempfile
import threading
import time

import orjson

from openedx_xapi import conf

log = logging.getLogger(__name__)

MEMORY_MAX = 10_000  # events held in memory when the disk fails (the bound before there was a spool)
BATCH = 500  # events per pipelined push to Redis
SEGMENTS = 10  # a segment holds up to SPOOL_MAX_EVENTS / SEGMENTS events
SUFFIX = ".jsonl"
_names = itertools.count()


def root_directory():
    """``SPOOL_DIR``, or ``openedx-xapi-spool`` in the system's temporary directory."""
    return conf.get("SPOOL_DIR") or os.path.join(tempfile.gettempdir(), "openedx-xapi-spool")


def target_directory(url):
    """The spool directory of the events bound for ``url`` and the configured stream."""
    target = hashlib.sha256(f"{url}\n{conf.get('STREAM_KEY')}".encode()).hexdigest()[:16]
    return os.path.join(root_directory(), target)


def _private_directory(url):
    """``target_directory(url)``, made if need be (mode 0700), and refused unless only we
    can use it: the events hold personal data, and in /tmp anyone could have made it first."""
    root, directory = root_directory(), target_directory(url)
    os.makedirs(root, mode=0o700, exist_ok=True)
    found = os.stat(root)
    if found.st_uid not in (os.getuid(), 0) or found.st_mode & 0o022:
        raise PermissionError(f"{root} is writable by another user")
    try:
        os.mkdir(directory, 0o700)
    except FileExistsError:
        pass
    found = os.lstat(directory)
    if found.st_uid != os.getuid() or found.st_mode & 0o777 != 0o700:
        raise PermissionError(f"{directory} must be a directory of this user with mode 0700")
    return directory


class _Segment:
    """One spool file of this process: appended to by ``hold``, read back by ``flush``."""

    def __init__(self, path, fd):
        self.path = path
        self.fd = fd
        self.size = 0  # bytes written
        self.lines = 0  # lines written
        self.unsent = 0  # lines written and not yet pushed
        self.offset = 0  # bytes pushed (or skipped as corrupt)
        self.broken = False  # a write failed: append no more

    def discard(self):
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        finally:
            os.close(self.fd)


class Spool:
    """The events of one producer that wait for Redis. Thread-safe; ``len()`` is how many."""

    def __init__(self, url):
        self.url = url
        self.lock = threading.Lock()
        self.segments = collections.deque()
        self.memory = collections.deque()
        self.waiting = 0  # read without the lock by the producer's fast path
        self.use_disk = True

    def __len__(self):
        return self.waiting

    # --- while Redis is down -----------------------------------------------------------

    def hold(self, fields):
        """Keep one event (``{"e": bytes, "c": str}``) until Redis answers. Never raises."""
        with self.lock:
            if not (self.use_disk and self._write(fields)):
                if len(self.memory) >= MEMORY_MAX:
                    dropped = self.memory.popleft()
                    self.waiting -= 1
                    log.error("openedx_xapi: Redis unreachable and %d events waiting in memory; dropped the "
                              "oldest (%s)", MEMORY_MAX, dropped["c"])
                    count_metric("handoff.dropped")
                self.memory.append(fields)
            self.waiting += 1

    def _write(self, fields):
        """Append one line to the newest segment; False (and memory from now on) if the disk fails."""
        line = orjson.dumps({"c": fields["c"], "e": fields["e"].decode()}) + b"\n"
        segment = None
        try:
            segment = self._writable_segment()
            written = os.write(segment.fd, line)
            segment.size += written
            if written != len(line):
                raise OSError(f"wrote {written} of {len(line)} bytes (disk full?)")
        except Exception as error:  # pylint: disable=broad-except
            if segment is not None:
                segment.broken = True  # it may end with half a line now: never append after it
            self.use_disk = False
            log.error("openedx_xapi: cannot spool events to %s (%s); holding them in memory until Redis answers",
                      root_directory(), error)
            count_metric("handoff.spool_failed")
            return False
        segment.lines += 1
        segment.unsent += 1
        self._bound()
        return True

    def _writable_segment(self):
        newest = self.segments[-1] if self.segments else None
        if newest is None or newest.broken or newest.lines >= self._per_segment():
            newest = self._new_segment()
            self.segments.append(newest)
        return newest

    def _new_segment(self):
        """A new file, locked before it gets its name: an adopter never sees it unlocked."""
        directory = _private_directory(self.url)
        name = f"{os.getpid()}-{time.time_ns()}-{next(_names)}"
        hidden = os.path.join(directory, f".{name}.new")
        path = os.path.join(directory, name + SUFFIX)
        fd = os.open(hidden, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.rename(hidden, path)
        except BaseException:
            os.close(fd)
            _remove(hidden)
            raise
        return _Segment(path, fd)

    def _bound(self):
        """More than SPOOL_MAX_EVENTS on disk: the oldest segment goes (never the one written to)."""
        limit = conf.get("SPOOL_MAX_EVENTS")
        while len(self.segments) > 1 and sum(segment.unsent for segment in self.segments) > limit:
            oldest = self.segments.popleft()
            self.waiting -= oldest.unsent
            log.error("openedx_xapi: Redis unreachable and more than %d events spooled; dropped the oldest %d "
                      "(%s)", limit, oldest.unsent, oldest.path)
            count_metric("handoff.dropped", oldest.unsent)
            _quietly(oldest.discard)

    @staticmethod
    def _per_segment():
        return max(1, conf.get("SPOOL_MAX_EVENTS") // SEGMENTS)

    # --- once Redis answers ---------------------------------------------------------------

    def flush(self, send, limit=None):
        """Push what waits, oldest first, with ``send(list of fields)``: everything, or about
        ``limit`` events (whole batches); delete each segment once it is all in Redis. Returns
        True when nothing waits any more. What ``send`` raises stops the flush (the rest
        waits). The lock is not held while ``send`` talks to Redis, so requests never wait on it."""
        pushed = 0
        while True:
            if limit is not None and pushed >= limit:
                return False
            with self.lock:
                if self.segments:
                    segment = self.segments[0]
                    batch, lines, corrupt, offset = self._read_segment(segment)
                elif self.memory:
                    segment, batch = None, [self.memory.popleft() for _ in range(min(BATCH, len(self.memory)))]
                    self.waiting -= len(batch)
                else:
                    self.use_disk = True  # the next outage tries the disk again
                    return True
            pushed += len(batch)
            if segment is None:
                self._send_from_memory(send, batch)
                continue
            if batch:
                send(batch)
            if corrupt:  # reported once it is behind us, not at every attempt
                _corrupt(corrupt, segment.path)
            with self.lock:
                if self.segments and self.segments[0] is segment:
                    segment.offset, segment.unsent = offset, segment.unsent - lines
                    self.waiting -= lines
                    if segment.offset >= segment.size:
                        self.segments.popleft()
                        _quietly(segment.discard)

    def _read_segment(self, segment):
        """Up to BATCH events from where the last push stopped: (events, lines read, corrupt
        lines, new offset)."""
        try:
            with open(segment.path, "rb") as file:
                file.seek(segment.offset)
                batch, lines, corrupt = _read_batch(file)
                offset = file.tell()
        except OSError as error:  # deleted or unreadable behind our back: what it held is lost
            log.error("openedx_xapi: lost %d spooled events: cannot read %s (%s)", segment.unsent, segment.path,
                      error)
            count_metric("handoff.dropped", segment.unsent)
            return [], segment.unsent, 0, segment.size
        return batch, min(lines, segment.unsent), corrupt, offset

    def _send_from_memory(self, send, batch):
        try:
            send(batch)
        except BaseException:
            with self.lock:  # put them back in front, and keep the bound
                self.memory.extendleft(reversed(batch))
                self.waiting += len(batch)
                while len(self.memory) > MEMORY_MAX:
                    self.memory.popleft()
                    self.waiting -= 1
                    count_metric("handoff.dropped")
            raise

    def adopt_orphans(self, send, files=None):
        """Push, then delete, the spool files that dead processes left for this target (at most
        ``files`` of them). Returns how many events were pushed."""
        try:
            directory = target_directory(self.url)
            names = sorted(name for name in os.listdir(directory) if name.endswith(SUFFIX))
        except FileNotFoundError:
            return 0
        except OSError as error:
            log.error("openedx_xapi: cannot look for spooled events in %s (%s)", root_directory(), error)
            count_metric("handoff.spool_failed")
            return 0
        with self.lock:
            ours = {segment.path for segment in self.segments}
        paths = [os.path.join(directory, name) for name in names]
        pushed = adopted = 0
        for path in paths:
            if path in ours:
                continue
            found = self._adopt(path, send)
            pushed += found
            adopted += 1 if found else 0
            if files is not None and adopted >= files:
                break
        return pushed

    @staticmethod
    def _adopt(path, send):
        try:
            file = open(path, "rb")  # noqa: SIM115 (closed below, after the unlink: the lock goes with it)
        except FileNotFoundError:
            return 0  # adopted by another process meanwhile
        except OSError as error:
            log.error("openedx_xapi: cannot read the spool file %s (%s)", path, error)
            count_metric("handoff.spool_failed")
            return 0
        pushed = corrupt = 0
        with file:
            try:
                fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return 0  # its process is alive, or another process is adopting it
            if not _still_named(file, path):
                return 0  # adopted and deleted between our open and our lock
            while True:
                try:
                    batch, lines, bad = _read_batch(file)
                except OSError as error:
                    log.error("openedx_xapi: cannot read the spool file %s (%s)", path, error)
                    count_metric("handoff.spool_failed")
                    return pushed
                if not lines:
                    break
                corrupt += bad
                if batch:
                    send(batch)
                    pushed += len(batch)
            _quietly(os.unlink, path)
        if corrupt:
            _corrupt(corrupt, path)
        log.warning("openedx_xapi: pushed %d spooled events that a process left in %s", pushed, path)
        count_metric("handoff.adopted", pushed)
        return pushed

    def forget(self):
        """After a fork: the spool belongs to the parent (the child pushing it too would
        duplicate it); close our copies of its files."""
        for segment in self.segments:
            _quietly(os.close, segment.fd)
        self.lock = threading.Lock()
        self.segments.clear()
        self.memory.clear()
        self.waiting = 0


def _read_batch(file):
    """Up to BATCH events from ``file``'s position: (events, lines read, corrupt lines)."""
    batch, lines, corrupt = [], 0, 0
    while len(batch) < BATCH:
        line = file.readline()
        if not line:
            break
        lines += 1
        fields = _parse(line)
        if fields is None:
            corrupt += 1
        else:
            batch.append(fields)
    return batch, lines, corrupt


def _parse(line):
    """A spool line back into the stream entry's fields, or None if it is not one."""
    if not line.endswith(b"\n"):
        return None  # half a line: the write that made it failed
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("c"), str) or not isinstance(record.get("e"), str):
        return None
    return {"e": record["e"].encode(), "c": record["c"]}


def _still_named(file, path):
    """True if ``path`` still names the file we opened (not deleted, not replaced)."""
    try:
        named, opened = os.stat(path), os.fstat(file.fileno())
    except OSError:
        return False
    return (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)


def _corrupt(count, path):
    log.error("openedx_xapi: skipped %d corrupt lines in the spool file %s", count, path)
    count_metric("handoff.spool_corrupt", count)


def _remove(path):
    _quietly(os.unlink, path)


def _quietly(function, *args):
    try:
        function(*args)
    except OSError:
        pass


def count_metric(metric, amount=1):
    """Add to an ``openedx_xapi.*`` custom metric of the request (New Relic and the like)."""
    try:
        from edx_django_utils.monitoring import accumulate
        accumulate(f"openedx_xapi.{metric}", amount)
    except Exception:  # pylint: disable=broad-except
        pass
