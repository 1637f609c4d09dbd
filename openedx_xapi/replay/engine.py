"""The replay loop: read, translate, deliver in batches, checkpoint; stop cleanly on Ctrl-C.

One pass over the sources, in order. Lines are read in chunks and translated (in
worker processes when the translation needs no database, in order either way); the
documents of consecutive events fill a batch; a full batch is delivered, and only then
is the checkpoint moved past the events it came from. So the checkpoint never points
past an event whose documents were not delivered (or dead-lettered by the router).

A consumer that is down (a batch fails, and it does not answer a probe either) pauses
the replay: it stops reading, says so on standard error ("consumer X unreachable,
waiting; retrying in N s", with how long it has waited), probes the consumer with the
circuit breaker's backoff, and sends the rest of the batch once it answers. Nothing is
parked or dead-lettered for an outage, and the checkpoint stays where it was meanwhile.
``max_wait`` (``--max-wait``) bounds one outage: past it the replay stops, unresumed
batch and all, and a rerun resumes from the checkpoint.

Ctrl-C (SIGINT), or SIGTERM: stop reading, deliver the batch in flight, write the
checkpoint, return (the command prints the summary and exits 130). While waiting for
an unreachable consumer there is nothing to deliver: the wait ends at once, and the
checkpoint stays at the last batch delivered. A second Ctrl-C
abandons the batch in flight at once; the checkpoint then stays at the last batch
delivered, and a resumed run sends that batch again (ids are deterministic: an LRS
stores it once).
"""
import collections
import signal
import threading
import time
from dataclasses import dataclass, field

from openedx_xapi.replay.destinations import Interrupted, Unreachable
from openedx_xapi.replay.progress import Counts, Progress, human_seconds
from openedx_xapi.replay.sources import Reader
from openedx_xapi.replay.translation import REJECTED, SKIPPED, TRANSLATED, translate_chunk

CHUNK_LINES = 500
SAVE_EVERY = 5.0  # seconds: the checkpoint also moves past lines that gave nothing to deliver
SHOW_REJECTIONS = 20


@dataclass
class Chunk:
    source: object
    lines: list
    positions: list  # (offset after, line number) of each line
    raw_bytes: int  # bytes of all the sources, as stored, read once this chunk was read
    last: bool  # the source ends with this chunk
    end: tuple = (0, 0)  # (offset, line) of the end of the source, in the last chunk
    done: bool = True  # the last chunk: False when the file is still being written


@dataclass
class Result:
    counts: Counts
    interrupted: bool = False
    abandoned: bool = False  # the batch in flight was not delivered
    halted: str = ""  # why the destination stopped the replay (a paused consumer)
    unreachable: bool = False  # stopped after waiting max_wait for the consumer
    elapsed: float = 0.0
    sources: int = 0
    bytes_read: int = 0
    skipped_by: dict = field(default_factory=dict)
    rejected_by: dict = field(default_factory=dict)


class Replay:
    def __init__(self, sources, translator, destination, checkpoint, *, batch_size=100, rate_limit=None,
                 workers=1, progress="none", stderr=None, stdin=None, s3=None, record_rejection=None,
                 restart=False, progress_interval=10.0, chunk_lines=CHUNK_LINES, max_wait=None):
        self.sources = sources
        self.translator = translator
        self.destination = destination
        self.checkpoint = checkpoint
        self.batch_size = max(1, int(batch_size))
        self.rate_limit = rate_limit
        self.workers = max(1, int(workers))
        self.progress_mode = progress
        self.progress_interval = progress_interval
        self.stderr = stderr
        self.stdin = stdin
        self.s3 = s3
        self.record_rejection = record_rejection
        self.restart = restart
        self.chunk_lines = chunk_lines
        self.max_wait = max_wait  # seconds one outage of the consumer may last; None: no limit
        self.stopping = threading.Event()  # stop reading, deliver what is in flight
        self.abandoning = threading.Event()  # stop now
        self.counts = Counts()
        self._positions = {}  # source key -> (offset, line, done): every line handled so far
        self._pending = []  # documents not delivered yet
        self._pending_ids = set()
        self._sent = 0
        self._rate_started = None
        self._saved_at = 0.0
        self._shown = 0
        self._outage_since = None  # when the consumer was found unreachable (monotonic), during an outage
        self._waiting = False
        self._result = Result(self.counts, sources=len(sources))

    # --- the run --------------------------------------------------------------------------

    def run(self):
        self.destination.prepare(self.checkpoint, self.restart)
        done_bytes = sum(source.size or 0 for source in self.sources if self.checkpoint.position(source.key)[2])
        resumed_bytes = sum(self.checkpoint.position(source.key)[0] for source in self.sources
                            if not source.compressed and not self.checkpoint.position(source.key)[2])
        sizes = [source.size for source in self.sources]
        total = sum(sizes) if all(size is not None for size in sizes) else None
        self.progress = Progress(self.stderr, self.progress_mode, total, done_bytes + resumed_bytes,
                                 interval=self.progress_interval)
        self._saved_at = time.monotonic()
        pool = self._pool()
        translated = self._translated(pool)
        try:
            with self._signals():
                try:
                    for chunk, outcomes in translated:
                        self._take(chunk, outcomes)
                        if self.stopping.is_set():  # (between two lines, or two chunks)
                            self._result.interrupted = not self._result.halted
                            break
                    self._deliver()  # the last batch, or the one in flight when stopping
                except (Interrupted, KeyboardInterrupt):
                    self._result.interrupted = self._result.abandoned = True
                except Unreachable as error:
                    self._result.halted, self._result.unreachable, self._result.abandoned = str(error), True, True
                finally:
                    translated.close()  # the source being read, closed now
                    if pool is not None:
                        pool.terminate()
                        pool.join()
                    self.destination.close()
                    self.progress.close()
            if not self._result.abandoned:  # (abandoned: the checkpoint stays at the last batch delivered)
                self._save()
        finally:
            self._result.elapsed = self.progress.elapsed()
            self._result.bytes_read = self.progress.bytes
        return self._result

    def _take(self, chunk, outcomes):
        """Account for a chunk's outcomes, batching its documents; deliver each full batch."""
        key = chunk.source.key
        counts = self.counts
        for index, outcome in enumerate(outcomes):
            offset, number = chunk.positions[index]
            self._positions[key] = (offset, number, False)
            if outcome is None:  # a blank line
                continue
            counts.add("read")
            kind = outcome[0]
            if kind == TRANSLATED:
                counts.add("translated")
                for document in outcome[1]:
                    if document.id not in self._pending_ids:  # the same event twice in a batch: once is enough
                        self._pending_ids.add(document.id)
                        self._pending.append(document)
                if len(self._pending) >= self.batch_size:
                    self._deliver()
                    if self.stopping.is_set():
                        return  # Ctrl-C: the batch in flight is delivered; the rest of the chunk waits
            elif kind == SKIPPED:
                counts.add("skipped")
                self._result.skipped_by[outcome[1]] = self._result.skipped_by.get(outcome[1], 0) + 1
            elif kind == REJECTED:
                counts.add("rejected")
                self._rejected(chunk, index, *outcome[1:])
        if chunk.last:
            self._positions[key] = (*chunk.end, chunk.done)
        self.progress.update(chunk.raw_bytes, counts)
        if not self._pending and time.monotonic() - self._saved_at >= SAVE_EVERY:
            self._save()

    def _deliver(self):
        """Deliver the pending documents, then move the checkpoint past the events they came from."""
        if not self._pending:
            return
        documents = self._pending
        self._throttle(len(documents))
        while True:
            delivery = self.destination.deliver(documents, self._wait)
            self.counts.add("delivered", delivery.delivered)
            self.counts.add("dead_lettered", delivery.dead_lettered)
            if not delivery.unsent:
                break
            self.progress.update(self.progress.bytes, self.counts)
            self._wait_for_consumer(delivery.reason)  # raises when it must stop waiting
            documents = delivery.unsent
        self._outage_since = None
        self._pending, self._pending_ids = [], set()
        self._save()
        self.progress.update(self.progress.bytes, self.counts)
        halt = getattr(self.destination, "halt", None)
        if halt and not self._result.halted:
            self._result.halted = halt  # no use reading on: everything would be dead-lettered
            self.stopping.set()

    def _wait_for_consumer(self, reason):
        """Probe the unreachable consumer with backoff until it answers; meanwhile nothing is read.

        Raises :class:`Interrupted` on Ctrl-C, :class:`Unreachable` once the outage has lasted
        ``max_wait`` seconds."""
        name = self.destination.consumer.name
        started = time.monotonic()
        if self._outage_since is None:
            self._outage_since = started
        probes = 0
        self._waiting = True
        try:
            while True:
                waited = time.monotonic() - self._outage_since
                if self.max_wait is not None and waited >= self.max_wait:
                    raise Unreachable(f"consumer {name} unreachable for {human_seconds(waited)} ({reason}); "
                                      f"gave up waiting (--max-wait {self.max_wait:g})")
                delay = self.destination.probe_delay(probes)
                if self.max_wait is not None:
                    delay = min(delay, self.max_wait - waited)
                if self.stderr is not None:
                    self._say(f"replay: consumer {name} unreachable ({reason}), waiting; retrying in {delay:.1f} s "
                              f"(waited {human_seconds(waited)})")
                if self.stopping.wait(delay) or self.abandoning.is_set():
                    raise Interrupted("stopped while waiting for the consumer")
                found = self.destination.probe()
                if found.up:
                    if self.stderr is not None:
                        self._say(f"replay: consumer {name} answers again ({found.reason}) after "
                                  f"{human_seconds(time.monotonic() - self._outage_since)}; going on")
                    return
                reason, probes = f"probe: {found.reason}", probes + 1
        finally:
            self._waiting = False
            if self._rate_started is not None:  # --rate-limit: no burst to make up for the time waited
                self._rate_started += time.monotonic() - started

    def _save(self):
        self.checkpoint.save(dict(self._positions), self.destination.outputs(), self.counts.as_dict())
        self._saved_at = time.monotonic()

    def _throttle(self, documents):
        """``--rate-limit``: at most that many documents per second, on average since the start."""
        if not self.rate_limit:
            return
        now = time.monotonic()
        if self._rate_started is None:
            self._rate_started = now
        due = self._rate_started + self._sent / self.rate_limit
        if due > now and not self._wait(due - now):
            raise Interrupted("abandoned while waiting for the rate limit")
        self._sent += documents

    def _wait(self, seconds):
        """Sleep; False when the replay is abandoned meanwhile."""
        return not self.abandoning.wait(max(0.0, seconds))

    def _rejected(self, chunk, index, stage, reason, event_name, user_id):
        self._result.rejected_by[stage] = self._result.rejected_by.get(stage, 0) + 1
        line = chunk.lines[index]
        if self.record_rejection is not None:
            self.record_rejection(stage, reason, event_name=event_name, user_id=user_id,
                                  document=line.decode("utf-8", "replace").strip())
        if self.stderr is not None and self._shown < SHOW_REJECTIONS:
            self._shown += 1
            where = f"{chunk.source.label}:{chunk.positions[index][1]}"
            self._say(f"{where}: rejected: {event_name or 'event'}: {stage}: {reason[:300]}"
                      + ("  (further rejections are counted, not shown)" if self._shown == SHOW_REJECTIONS else ""))

    def _say(self, text):
        if self.progress_mode == "bar":
            import tqdm
            tqdm.tqdm.write(text, file=self.stderr)
        else:
            self.stderr.write(text + "\n")
            self.stderr.flush()

    # --- reading, and translating in order --------------------------------------------------

    def _chunks(self):
        before = 0  # bytes of the sources finished before this one
        for source in self.sources:
            offset, line, done = self.checkpoint.position(source.key)
            if done:
                before += source.size or 0
                continue
            with Reader(source, offset, line, stdin=self.stdin, s3=self.s3) as reader:
                lines, positions, end = [], [], (offset, line)
                for number, reached, raw in reader:
                    lines.append(raw)
                    positions.append((reached, number))
                    if len(lines) >= self.chunk_lines:
                        yield Chunk(source, lines, positions, before + (reader.raw_position() or reached), False)
                        lines, positions = [], []
                        if self.stopping.is_set():
                            return
                    end = (reached, number)
                size = source.size if source.size is not None else (reader.raw_position() or end[0])
                yield Chunk(source, lines, positions, before + size, True, end, done=not reader.incomplete)
            before += size

    def _translated(self, pool):
        if pool is None:
            for chunk in self._chunks():
                yield chunk, self.translator.chunk(chunk.lines)
            return
        window = collections.deque()
        for chunk in self._chunks():
            window.append((chunk, pool.apply_async(translate_chunk, (chunk.lines,))))
            if len(window) >= self.workers * 3:
                chunk, result = window.popleft()
                yield chunk, result.get()
        while window:
            chunk, result = window.popleft()
            yield chunk, result.get()

    def _pool(self):
        if self.workers <= 1:
            return None
        import multiprocessing

        from openedx_xapi.replay.translation import start_worker
        return multiprocessing.get_context("fork").Pool(self.workers, initializer=start_worker,
                                                         initargs=(self.translator,))

    # --- signals --------------------------------------------------------------------------

    def stop(self):
        """Stop reading; deliver the batch in flight (what Ctrl-C does)."""
        self.stopping.set()

    def _signals(self):
        engine = self

        class Handlers:
            def __enter__(self):
                self.saved = {}
                if threading.current_thread() is not threading.main_thread():
                    return self
                for number in (signal.SIGINT, signal.SIGTERM):
                    self.saved[number] = signal.signal(number, self.handle)
                return self

            def handle(self, number, frame):
                if engine.stopping.is_set():
                    engine.abandoning.set()
                    raise KeyboardInterrupt
                engine.stop()
                if engine.stderr is None:
                    return
                if engine._waiting:
                    engine._say("replay: stopping: the consumer is unreachable; the batch in flight is sent "
                                "again when the same command is run again")
                else:
                    engine._say("replay: stopping: delivering the batch in flight, then writing the checkpoint "
                                "(Ctrl-C again to abandon the batch)")

            def __exit__(self, *exc):
                for number, handler in self.saved.items():
                    signal.signal(number, handler)
                return False

        return Handlers()
