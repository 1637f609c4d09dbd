"""How a replay shows where it is: a progress bar on a terminal (tqdm), log lines otherwise.

The bar counts the bytes of the sources as stored (compressed, for ``.gz``): the ETA
comes from them, and the events per second and what was delivered are shown beside it.
Off a terminal (cron, a CI job, ``kubectl logs``) a plain line is written every
``interval`` seconds instead. Both go to standard error; the summary at the end too.
"""
import time
from dataclasses import dataclass, field

COUNTS = ("read", "translated", "skipped", "rejected", "delivered", "dead_lettered")


@dataclass
class Counts:
    """What a replay did: events read, translated, skipped, rejected; documents delivered, dead-lettered."""
    values: dict = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))

    def add(self, name, value=1):
        self.values[name] = self.values.get(name, 0) + value

    def __getitem__(self, name):
        return self.values.get(name, 0)

    def as_dict(self):
        return dict(self.values)


def human_bytes(count):
    value = float(count or 0)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{value:,.1f} TiB"


def human_seconds(seconds, tenths=False):
    whole = int(max(0, seconds))
    text = f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
    return text + f".{int(max(0, seconds) * 10) % 10}" if tenths else text


class Progress:
    """``mode``: "bar", "log" or "none" (see :func:`choose_mode`)."""

    def __init__(self, stream, mode, total_bytes=None, initial_bytes=0, interval=10.0, clock=time.monotonic):
        self.stream = stream
        self.mode = mode
        self.total = total_bytes
        self.initial = initial_bytes
        self.interval = interval
        self.clock = clock
        self.started = clock()
        self._last = self.started
        self._bar = None
        self.bytes = initial_bytes
        if mode == "bar":
            import tqdm
            tqdm.tqdm.monitor_interval = 0  # no monitor thread (worker processes are forked)
            self._bar = tqdm.tqdm(total=total_bytes, initial=initial_bytes, unit="B", unit_scale=True,
                                  unit_divisor=1024, file=stream, dynamic_ncols=True, desc="replay",
                                  mininterval=0.5, smoothing=0.1)

    def update(self, raw_bytes, counts):
        """``raw_bytes``: read so far, in all (the initial bytes included)."""
        now = self.clock()
        if self._bar is not None:
            if raw_bytes > self.bytes:
                self._bar.update(raw_bytes - self.bytes)
            self.bytes = max(self.bytes, raw_bytes)
            if now - self._last >= 0.5:
                self._last = now
                self._bar.set_postfix_str(f"{self.rate(counts):,.0f} events/s, {counts['delivered']:,} delivered",
                                          refresh=False)
            return
        self.bytes = max(self.bytes, raw_bytes)
        if self.mode == "log" and now - self._last >= self.interval:
            self._last = now
            self.stream.write(self.line(counts) + "\n")
            self.stream.flush()

    def rate(self, counts):
        elapsed = self.clock() - self.started
        return counts["read"] / elapsed if elapsed > 0 else 0.0

    def line(self, counts):
        elapsed = self.clock() - self.started
        text = (f"replay: {counts['read']:,} events read ({self.rate(counts):,.0f}/s), "
                f"{human_bytes(self.bytes)}")
        if self.total:
            text += f" of {human_bytes(self.total)}"
            done = self.bytes - self.initial
            if done > 0 and elapsed > 0:
                left = (self.total - self.bytes) / (done / elapsed)
                text += f", ETA {human_seconds(left)}"
        return text + f", {counts['delivered']:,} delivered, {counts['dead_lettered']:,} dead-lettered"

    def close(self):
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def elapsed(self):
        return self.clock() - self.started


def choose_mode(requested, stream):
    """"auto": a bar on a terminal, log lines otherwise."""
    if requested != "auto":
        return requested
    isatty = getattr(stream, "isatty", None)
    return "bar" if isatty is not None and isatty() else "log"
