"""Where a replay puts what it translated: a consumer, through the router, or files.

* :class:`ConsumerDestination` sends each batch with the router's own
  ``delivery.attempt``, as live events are sent: a refused batch is split until only the
  documents the consumer refuses are left, those are dead-lettered, a consumer that
  refuses our credentials is paused. The retries the router asks for are made here, in
  this process (after the delay it says), instead of through Celery. Nothing is parked
  (``circuit.dispatch`` is not used): a standalone replay has no worker to drain parked
  batches, and history must not fill the database while a consumer is down. Instead,
  when a batch fails and the consumer does not answer a probe either, the documents left
  are handed back (``Delivery.unsent``) and the engine waits for the consumer: an outage
  never counts against a batch's ``MAX_RETRIES``, so it never dead-letters history.
* :class:`FilesDestination` writes NDJSON, one file per day of the events
  (``xapi-2024-03-01.ndjson``, or ``.ndjson.gz``: each batch is then one gzip member,
  which every gzip reader reads as one stream). After each batch the files are flushed
  to disk and their sizes go into the checkpoint; a resumed run first cuts them back to
  those sizes, so what was written after the last checkpoint is not written twice.
* :class:`DryRun` keeps nothing: ``--dry-run`` translates and validates only.
"""
import gzip
import os
import re
from collections import OrderedDict
from pathlib import Path
from typing import NamedTuple

import orjson


class DestinationError(ValueError):
    pass


class Interrupted(Exception):
    """The replay was asked to stop while a batch waited for a retry: the batch is abandoned."""


class Unreachable(Exception):
    """The consumer stayed unreachable for longer than the replay may wait (``--max-wait``)."""


class Document(NamedTuple):
    id: str
    day: str  # the event's day, UTC: "2024-03-01"
    user_id: int | None
    body: object  # the document (a dict), or its JSON bytes for a file destination


class Delivery(NamedTuple):
    delivered: int
    dead_lettered: int = 0
    unsent: tuple = ()  # the documents (in order) not sent because the consumer is unreachable
    reason: str = ""  # why it is thought unreachable


class DryRun:
    serialized = True
    description = {"type": "dry-run"}

    def prepare(self, checkpoint, restart):
        pass

    def deliver(self, documents, wait):
        return Delivery(0)

    def outputs(self):
        return None

    def close(self):
        pass


class ConsumerDestination:
    """A consumer configured in the LMS (settings or admin), or declared for this run."""
    serialized = False
    halt = None  # why the replay cannot go on (a paused consumer), once it cannot
    def __init__(self, consumer, batch_size):
        self.consumer = consumer
        self.batch_size = max(1, int(batch_size))
        self.description = {"type": "consumer", "name": consumer.name, "url": consumer.url}

    def prepare(self, checkpoint, restart):
        pass

    def deliver(self, documents, wait):
        """Deliver ``documents`` (retrying in this process as the router says); returns the counts.

        ``wait(seconds)`` sleeps, and returns False when the replay is asked to stop meanwhile.
        A batch that fails for a reason worth a retry (5xx, 429, a timeout, a refused
        connection) is retried as the router says, counting its attempts, if the consumer
        answers a probe (it is up: the trouble is with this batch). If it does not, the
        consumer is down: this batch and those after it are handed back unsent, with their
        attempts forgotten, for the engine to wait until it answers again."""
        from django.utils import timezone

        from openedx_xapi.router import client
        from openedx_xapi.router.delivery import attempt
        name = self.consumer.name
        by_id = {document.id: document for document in documents}
        marks = _marks(name)
        bodies = [document.body for document in documents]
        users = [document.user_id for document in documents]
        queue = [(bodies[start:start + self.batch_size], users[start:start + self.batch_size], 0, None)
                 for start in range(0, len(bodies), self.batch_size)]
        unsent, reason = [], ""
        while queue:
            batch, batch_users, attempts, first_error = queue.pop(0)
            retries = attempt(name, batch, batch_users, attempts, first_error)
            if not retries:
                continue
            found = client.probe(self.consumer)
            if not found.up:
                reason = f"{retries[0].reason}; probe: {found.reason}"
                left = [body for retry in retries for body in retry.documents] \
                    + [body for queued in queue for body in queued[0]]
                unsent = [by_id[body["id"]] for body in left]
                break
            for retry in retries:
                if not wait(retry.delay):
                    raise Interrupted(f"stopped while {len(retry.documents)} document(s) waited for a retry")
                queue.append((retry.documents, retry.user_ids, attempts + 1,
                              first_error or timezone.now().isoformat()))
        dead = _dead_lettered_since(name, marks, by_id.keys())
        if dead:
            from openedx_xapi.router import status
            if status.is_paused(name):
                self.halt = (f"{name} refused our credentials and is paused: fix them, resume it in the admin "
                             "and retry its dead letters, then run the same command again to go on")
        return Delivery(len(documents) - dead - len(unsent), dead, tuple(unsent), reason)

    def probe(self):
        """Whether the consumer answers (``client.probe``: xAPI ``GET about``); never raises."""
        from openedx_xapi.router import client
        return client.probe(self.consumer)

    @staticmethod
    def probe_delay(probes):
        """Seconds before the next probe of an unreachable consumer: the circuit breaker's own
        backoff (``PROBE_BACKOFF_BASE`` doubled each time, up to ``PROBE_BACKOFF_MAX``, jittered)."""
        from openedx_xapi.router.circuit import probe_backoff
        return probe_backoff(probes)

    def outputs(self):
        return None

    def close(self):
        pass


def _marks(consumer_name):
    """The newest dead letter of the consumer, now."""
    from openedx_xapi.models import DeadLetter
    return DeadLetter.objects.filter(consumer=consumer_name).order_by("-id").values_list("id", flat=True).first() or 0


def _dead_lettered_since(consumer_name, mark, ids):
    """How many of the documents ``ids`` the router dead-lettered since ``mark`` (matched by
    statement id, so that live traffic to the same consumer does not count)."""
    from openedx_xapi.models import DeadLetter
    ids = set(ids)
    return sum(1 for documents in DeadLetter.objects.filter(consumer=consumer_name, id__gt=mark)
               .values_list("documents", flat=True)
               for document in documents or () if isinstance(document, dict) and document.get("id") in ids)


class FilesDestination:
    """NDJSON files, one per day of the events, in ``folder``."""
    serialized = True
    _MAX_OPEN = 16

    def __init__(self, folder, protocol, compress=False):
        self.folder = Path(folder)
        self.protocol = protocol
        self.compress = compress
        self.suffix = ".ndjson.gz" if compress else ".ndjson"
        self._pattern = re.compile(rf"{re.escape(protocol)}-\d{{4}}-\d{{2}}-\d{{2}}{re.escape(self.suffix)}")
        self._open = OrderedDict()  # file name -> binary file, the most recently used last
        self._sizes = {}
        self.description = {"type": "files", "folder": str(self.folder.resolve()), "gzip": compress}

    def name_for(self, day):
        return f"{self.protocol}-{day}{self.suffix}"

    def existing(self):
        if not self.folder.is_dir():
            return []
        return sorted(path.name for path in self.folder.iterdir() if self._pattern.fullmatch(path.name))

    def prepare(self, checkpoint, restart):
        """Start over (``restart``), or cut the files back to the checkpoint's sizes; refuse to add to
        files of an earlier replay that has no checkpoint."""
        self.folder.mkdir(parents=True, exist_ok=True)
        existing = self.existing()
        if restart:
            for name in existing:
                (self.folder / name).unlink()
            return
        if not checkpoint.resumed:
            if existing:
                raise DestinationError(
                    f"{self.folder} already holds {', '.join(existing[:3])}{'...' if len(existing) > 3 else ''} "
                    "from an earlier replay, and no checkpoint to resume it: use --restart to replace them, "
                    "or another --output folder")
            return
        for name in existing:
            size = int(checkpoint.outputs.get(name, 0))
            path = self.folder / name
            if size <= 0:
                path.unlink()  # written after the last checkpoint: it is all written again
            elif path.stat().st_size != size:
                if path.stat().st_size < size:
                    raise DestinationError(f"{path} is shorter than the checkpoint says: it was changed meanwhile")
                with open(path, "r+b") as stream:
                    stream.truncate(size)
            self._sizes[name] = size
        self._sizes = {name: size for name, size in self._sizes.items() if size > 0}

    def deliver(self, documents, wait=None):
        by_day = {}
        for document in documents:
            by_day.setdefault(document.day, []).append(document.body)
        for day, bodies in by_day.items():
            name = self.name_for(day)
            data = b"\n".join(body if isinstance(body, bytes) else orjson.dumps(body) for body in bodies) + b"\n"
            if self.compress:
                data = gzip.compress(data, compresslevel=6, mtime=0)
            stream = self._stream(name)
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
            self._sizes[name] = stream.tell()
        return Delivery(len(documents))

    def _stream(self, name):
        stream = self._open.pop(name, None)
        if stream is None:
            if len(self._open) >= self._MAX_OPEN:
                _oldest, oldest = self._open.popitem(last=False)
                oldest.close()
            stream = open(self.folder / name, "ab")  # noqa: SIM115 - closed by close() or when evicted
        self._open[name] = stream
        return stream

    def outputs(self):
        return dict(self._sizes)

    def close(self):
        while self._open:
            _name, stream = self._open.popitem()
            stream.close()
