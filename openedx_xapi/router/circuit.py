"""Send a batch now, or park it: retries and the circuit breaker, one per consumer.

=============  ==================================================================
circuit        what happens to a new batch for the consumer
=============  ==================================================================
closed         sent at once. A transient failure (5xx, 429, timeout, connection
               error) parks the batch in the database until its retry is due
               (``Retry-After`` or backoff); ``CIRCUIT_FAILURES`` of them in a row
               open the circuit.
open           parked at once, no HTTP: a consumer that is down costs the others
               nothing. The consumer is probed (``client.probe``: xAPI ``GET
               about``) with exponential backoff; when it answers, the circuit
               goes to draining.
draining       parked behind the others; the parked batches are sent oldest
               first, and when none is left the circuit closes. A failure
               while draining opens it again.
=============  ==================================================================

Parked batches live in the database (:class:`~openedx_xapi.models.ParkedBatch`), so a
restart loses nothing; :func:`process_parked` (the ``openedx_xapi.process_parked``
task, also run by the stream drain, and by the event bus consumer processes, which need
no Celery worker) sends what is due and probes what is open. Several processes may run it
at once: a batch is claimed in its row (``claimed_until``) before it is sent, and a probe
in the consumer's status row, so each is done by one of them. The batch's row goes only
once the batch is sent, parked again or dead-lettered: a process that dies meanwhile
leaves it claimed, and it is sent again when the claim expires (at least once; statement
ids make a repeat harmless).
"""
import logging
import random
import time
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.db.models import Min, Q
from django.utils import timezone

from openedx_xapi import conf, consumers
from openedx_xapi.models import CIRCUIT_CLOSED, CIRCUIT_DRAINING, CIRCUIT_OPEN, ConsumerStatus, ParkedBatch
from openedx_xapi.router import client, status
from openedx_xapi.router.delivery import attempt, dead_letter

log = logging.getLogger(__name__)

# How many parked batches one run of process_parked sends per consumer before it lets others go.
PARKED_PER_RUN = 50
# Seconds a process may take to send a parked batch it claimed (a batch that is refused is
# bisected: several requests) before another process may take it over.
CLAIM_SECONDS = 300


def dispatch(consumer_name, documents, user_ids, emitted_at=None):
    """A new batch for a consumer: send it, in slices of its batch size, or park it."""
    consumer = consumers.get_consumer(consumer_name)
    size = consumers.batch_size_of(consumer) if consumer else max(1, int(conf.get("BATCH_SIZE")))
    closed = status.circuit_of(consumer_name) == CIRCUIT_CLOSED
    for start in range(0, len(documents), size):
        chunk, users = documents[start:start + size], user_ids[start:start + size]
        if closed:
            closed = send(consumer_name, chunk, users, 0, None, emitted_at)
        else:
            park(consumer_name, chunk, users, emitted_at)


def send(consumer_name, documents, user_ids, attempts, first_error, emitted_at):
    """One attempt; what must be retried is parked. Returns False if the circuit opened."""
    retries = attempt(consumer_name, documents, user_ids, attempts, first_error, emitted_at)
    still_closed = True
    for retry in retries:
        first = first_error or timezone.now().isoformat()
        park(consumer_name, retry.documents, retry.user_ids, emitted_at, delay=retry.delay,
             attempts=attempts + 1, first_error=first, error=retry.reason)
        if status.failed(consumer_name, retry.reason) >= int(conf.get("CIRCUIT_FAILURES")):
            if status.open_circuit(consumer_name, _after(probe_backoff(0)), retry.reason):
                count("circuit.opened")
            still_closed = False
    return still_closed


def park(consumer_name, documents, user_ids, emitted_at=None, delay=None, attempts=0, first_error=None, error=""):
    """Keep a batch in the database: until ``delay`` seconds from now, or (None) until the circuit closes."""
    now = timezone.now()
    ParkedBatch.objects.create(
        consumer=consumer_name, documents=documents, user_ids=list(user_ids),
        emitted_at=datetime.fromtimestamp(emitted_at, dt_timezone.utc) if emitted_at else None,
        due_at=now + timedelta(seconds=delay) if delay is not None else None, attempts=attempts,
        first_error_at=_parse(first_error) or (now if error else None), last_error=error[:2000])
    status.parked(consumer_name, len(documents))
    count("parked", len(documents))
    wake_at(delay if delay is not None else 0.5)


def process_parked():
    """Probe the open consumers that are due, send the parked batches that are due; returns
    the seconds until something else is due (None: nothing parked)."""
    now = timezone.now()
    for consumer_name in ParkedBatch.objects.values_list("consumer", flat=True).distinct():
        try:
            _process_consumer(consumer_name, now)
        except Exception:  # pylint: disable=broad-except
            log.exception("openedx_xapi: could not process the parked batches of %s", consumer_name)
    _close_drained()
    return seconds_until_due()


def _process_consumer(consumer_name, now):
    consumer = consumers.get_consumer(consumer_name)
    if consumer is None:
        for batch in _unclaimed(ParkedBatch.objects.filter(consumer=consumer_name), now):
            if _take(batch, now):
                dead_letter(consumer_name, batch.documents, batch.user_ids or [None] * len(batch.documents),
                            "the consumer is disabled or no longer configured", attempts=batch.attempts)
                _done(batch)
        return
    row = ConsumerStatus.objects.filter(consumer=consumer_name).first()
    circuit = row.circuit if row else CIRCUIT_CLOSED
    if circuit == CIRCUIT_OPEN:
        if row.next_probe_at and row.next_probe_at > now:
            return
        if not _claim_probe(row, consumer_name):
            return  # another process probes it right now
        found = client.probe(consumer)
        if not found.up:
            delay = probe_backoff(row.probes + 1)
            log.info("openedx_xapi: %s still down (%s); next probe in %.1fs", consumer_name, found.reason, delay)
            status.probe_failed(consumer_name, _after(delay), found.reason, lag=_parked_lag(consumer_name, now))
            return
        status.start_draining(consumer_name)
        circuit = CIRCUIT_DRAINING
    due = _unclaimed(ParkedBatch.objects.filter(consumer=consumer_name), now)
    if circuit == CIRCUIT_CLOSED:
        due = due.filter(Q(due_at__isnull=True) | Q(due_at__lte=now))
    # Draining: everything, oldest first (a retry's own delay gives way to the order).
    for batch in due.order_by("id")[:PARKED_PER_RUN]:
        if not _take(batch, now):
            continue  # another worker has it
        emitted = batch.emitted_at.timestamp() if batch.emitted_at else None
        user_ids = batch.user_ids if len(batch.user_ids or []) == len(batch.documents) \
            else [None] * len(batch.documents)
        first = batch.first_error_at.isoformat() if batch.first_error_at else None
        still_closed = send(consumer_name, batch.documents, user_ids, batch.attempts, first, emitted)
        _done(batch)  # sent, parked again (a new row) or dead-lettered
        if not still_closed:
            return  # the circuit opened again


def _claim_probe(row, consumer_name):
    """Move the consumer's next probe past the time this one can take, if no other process
    did since ``row`` was read: the one that does probes (the others find it not due)."""
    busy_until = _after(float(conf.get("CONNECT_TIMEOUT")) + float(conf.get("READ_TIMEOUT")) + 5)
    unchanged = ConsumerStatus.objects.filter(consumer=consumer_name, circuit=CIRCUIT_OPEN)
    if row.next_probe_at is None:
        unchanged = unchanged.filter(next_probe_at__isnull=True)
    else:
        unchanged = unchanged.filter(next_probe_at=row.next_probe_at)
    return unchanged.update(next_probe_at=busy_until) > 0


def _parked_lag(consumer_name, now):
    """Seconds since the oldest parked event of the consumer was emitted (its lag while it is down)."""
    oldest = ParkedBatch.objects.filter(consumer=consumer_name).aggregate(at=Min("emitted_at"))["at"]
    return (now - oldest).total_seconds() if oldest else None


def _unclaimed(batches, now):
    """The batches no living process is sending."""
    return batches.filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))


def _take(batch, now):
    """Claim a parked batch for ``CLAIM_SECONDS`` (only one process succeeds)."""
    return _unclaimed(ParkedBatch.objects.filter(pk=batch.pk), now).update(
        claimed_until=now + timedelta(seconds=CLAIM_SECONDS)) > 0


def _done(batch):
    """The claimed batch has been dealt with: its row goes."""
    ParkedBatch.objects.filter(pk=batch.pk).delete()


def _close_drained():
    draining = ConsumerStatus.objects.filter(circuit=CIRCUIT_DRAINING).values_list("consumer", flat=True)
    for consumer_name in draining:
        if not ParkedBatch.objects.filter(consumer=consumer_name).exists():
            status.close_circuit(consumer_name)


def seconds_until_due():
    """Until the next parked batch or probe is due (0 if now; None if nothing is parked).

    An open consumer's batches wait for its next probe, whatever their own retry time."""
    if not ParkedBatch.objects.exists():
        return None
    now = timezone.now()
    open_circuits = ConsumerStatus.objects.filter(circuit=CIRCUIT_OPEN)
    others = _unclaimed(ParkedBatch.objects.exclude(consumer__in=open_circuits.values("consumer")), now)
    if others.filter(due_at__isnull=True).exists():
        return 0.0
    claimed = ParkedBatch.objects.filter(claimed_until__gt=now)  # due again if their process died
    waiting = [others.aggregate(at=Min("due_at"))["at"], open_circuits.aggregate(at=Min("next_probe_at"))["at"],
               claimed.aggregate(at=Min("claimed_until"))["at"]]
    waiting = [at for at in waiting if at is not None]
    if not waiting:
        return 0.0
    return max(0.0, (min(waiting) - now).total_seconds())


def probe_backoff(probes):
    """Seconds before the next probe: exponential with jitter, capped."""
    base, cap = float(conf.get("PROBE_BACKOFF_BASE")), float(conf.get("PROBE_BACKOFF_MAX"))
    return min(cap, base * 2 ** probes) * random.uniform(0.5, 1.0)


def wake_at(delay):
    """Make sure process_parked runs in about ``delay`` seconds (at most one wake-up pending).

    Not with the event bus's batching consumer: its processes look for what is due
    themselves, and no Celery worker may run to take the task."""
    try:
        from openedx_xapi import eventbus
        if eventbus.sends_parked_batches():
            return
        from django.core.cache import cache
        key = "openedx_xapi:parked-wakeup"
        due = time.time() + max(0.0, delay)
        pending = cache.get(key)
        if pending is not None and pending <= due + 0.05:
            return
        cache.set(key, due, timeout=int(max(delay, 0) + 5))
        from openedx_xapi.router.tasks import process_parked_task
        process_parked_task.apply_async(countdown=max(0.0, delay), queue=conf.get("CELERY_QUEUE"))
    except Exception:  # pylint: disable=broad-except
        log.exception("openedx_xapi: could not schedule the parked batches")


def _after(seconds):
    return timezone.now() + timedelta(seconds=seconds)


def _parse(value):
    if not value:
        return None
    from django.utils.dateparse import parse_datetime
    return parse_datetime(value)


def count(metric, value=1):
    from openedx_xapi.router.delivery import count as report
    report(metric, value)
