"""The Celery tasks, run by the LMS's own Celery app (the plugin defines none).

Events reach the workers one of two ways (``HANDOFF``, ADR 0008):

* ``drain_stream`` reads the Redis stream the backend appends to, in batches of at most
  ``BATCH_SIZE`` (waiting at most ``BATCH_SECONDS`` for a batch to fill);
* ``route_event`` receives one Celery message per event (for LMSs whose broker is not
  Redis), in micro-batches (celery-batches).

Both call :func:`route_batch`: for each event and each consumer that may see it,
translate and validate; then hand each consumer's documents to the circuit
(``circuit.py``), which sends them (one xAPI POST or one Caliper envelope per batch) or
parks them in the database for later. ``process_parked`` sends what is parked when it
is due. What can never be sent is recorded as a
:class:`~openedx_xapi.models.Rejection` (what cannot be read, translated or validated)
or a :class:`~openedx_xapi.models.DeadLetter` (what the consumer refused or never took),
with its reason, and logged. See ``delivery.py`` for what each answer leads to.
"""
import logging
import time
from concurrent.futures import ThreadPoolExecutor

import orjson
from celery import shared_task
from celery.signals import worker_ready
from celery_batches import Batches
from django.db import connection as db_connection

from openedx_xapi import conf, consumers
from openedx_xapi import filter as event_filter
from openedx_xapi.backend.stream import LEASE_SECONDS
from openedx_xapi.events import MalformedEvent, parse_event
from openedx_xapi.identity import StoredActorIds
from openedx_xapi.models import Rejection
from openedx_xapi.pipeline import Rejected, Skipped, documents_for
from openedx_xapi.router import circuit, stream
from openedx_xapi.router.delivery import count, dead_letter
from openedx_xapi.translator import TranslationContext

log = logging.getLogger(__name__)

_actor_ids = StoredActorIds()


def context_for(consumer):
    return TranslationContext(lms_root_url=conf.lms_root_url(), actor_ids=_actor_ids,
                              xapi_version=consumer.xapi_version, pii=consumer.pii, guests=consumer.guests,
                              identity=consumer.identity, identity_secret=consumer.identity_secret)


@shared_task(base=Batches, name="openedx_xapi.route_event", ignore_result=True, acks_late=True,
             flush_every=int(conf.get("BATCH_SIZE")), flush_interval=float(conf.get("BATCH_SECONDS")))
def route_event(requests):
    """``requests``: the buffered calls ``route_event(payload, consumer_names)``."""
    route_batch([request.args for request in requests])


def route_batch(items):
    """Route raw events, in this process: ``items`` is a list of ``(payload, consumer_names)``
    or ``(payload, consumer_names, emitted_at)`` (the payload as the backend serialised it,
    or a dict; ``emitted_at`` in epoch seconds, for the lag). Never raises."""
    send_outbox(prepare(items))


def prepare(items):
    """Read, filter, translate and validate ``items`` (see :func:`route_batch`): the documents
    for each consumer, ready to send. What cannot be read, translated or validated is
    recorded as a rejection. Never raises."""
    outbox = {}  # consumer name -> ([documents], [user ids], {ids queued}, [oldest emitted_at])
    parsed = []
    for item in items:
        try:
            payload = item[0]
            try:
                event = parse_event(payload)
            except MalformedEvent as error:
                record_rejection("malformed", str(error), document=payload)
                continue
            parsed.append((event, payload, item[1], item[2] if len(item) > 2 else None))
        except Exception as error:  # pylint: disable=broad-except
            # A reader's bug, not the event's fault alone: kept for an operator all the same.
            log.exception("openedx_xapi: could not read an event")
            record_rejection("malformed", f"could not be read ({type(error).__name__})", document=_payload_of(item))
    _prefetch_actor_ids(parsed)
    for event, payload, consumer_names, emitted_at in parsed:
        try:
            route_one(event, payload, consumer_names, outbox, emitted_at)
        except Exception as error:  # pylint: disable=broad-except
            # One bad event never costs the others in the batch, and is kept for an operator.
            log.exception("openedx_xapi: could not route an event")
            record_rejection("untranslatable", f"could not be routed ({type(error).__name__})",
                             event_name=event.name, document=payload, user_id=event.user_id)
    return outbox


def _payload_of(item):
    try:
        return item[0]
    except Exception:  # pylint: disable=broad-except
        return repr(item)[:10_000]


def send_outbox(outbox):
    """Send (or park) each consumer's documents of a :func:`prepare` d batch. Never raises."""
    for name, (documents, user_ids, _ids, emitted) in outbox.items():
        try:
            circuit.dispatch(name, documents, user_ids, emitted[0])
        except Exception:  # pylint: disable=broad-except
            # Never lose a batch silently: keep it for an operator, and go on with the others.
            log.exception("openedx_xapi: could not send a batch to %s", name)
            dead_letter(name, documents, user_ids, "the batch could not be sent (see the worker's log)")


def _prefetch_actor_ids(parsed):
    """The anonymous ids of a batch's learners, in a few queries rather than two per learner."""
    kinds = {consumer.protocol for consumer in consumers.get_consumers() if consumer.identity == "anonymous"}
    user_ids = {event.user_id for event, *_rest in parsed if event.user_id is not None}
    for kind in kinds:
        _actor_ids.prefetch(user_ids, kind)


def route_one(event, payload, consumer_names, outbox, emitted_at=None):
    facts = event_filter.facts_of_event(event)
    owner = _owner_of(event)
    for name in consumer_names:
        consumer = consumers.get_consumer(name)
        if consumer is None or not event_filter.allows(consumer, facts):
            continue
        try:
            documents = documents_for(event, consumer.protocol, context_for(consumer))
        except Skipped:
            continue
        except Rejected as rejection:
            record_rejection(rejection.stage, rejection.reason, consumer=name, event_name=event.name,
                             document=rejection.document or payload, user_id=owner())
            continue
        queued_documents, queued_users, queued_ids, emitted = outbox.setdefault(name, ([], [], set(), [None]))
        if emitted_at is not None and (emitted[0] is None or emitted_at < emitted[0]):
            emitted[0] = emitted_at
        for document in documents:
            if document["id"] in queued_ids:
                continue  # the same event twice in one batch (a redelivered message): one is enough
            queued_ids.add(document["id"])
            queued_documents.append(document)
            queued_users.append(owner())


def _owner_of(event):
    """The user id a kept document is filed under, so that retirement finds it: the event's
    own, or, for an event naming its learner by username only, the one the LMS knows.
    Looked up once per event, and only when a document is kept."""
    found = []

    def owner():
        if not found:
            user_id = event.user_id
            if user_id is None and event.username:
                try:
                    user_id = _actor_ids.user_id_for(event.username)
                except Exception:  # pylint: disable=broad-except
                    log.exception("openedx_xapi: could not look up a learner by username")
            found.append(user_id)
        return found[0]
    return owner


@shared_task(name="openedx_xapi.deliver", ignore_result=True, acks_late=True)
def deliver(consumer_name, documents, user_ids=None, attempts=0, first_error=None):
    """Send a batch: a replayed dead letter (or a retry queued by an earlier release)."""
    user_ids = user_ids if isinstance(user_ids, list) and len(user_ids) == len(documents) \
        else [None] * len(documents)
    circuit.dispatch(consumer_name, documents, user_ids)


# --- The stream hand-off (ADR 0008) -------------------------------------------------------

# A drain reads for at most this long, then hands over to a fresh task (so that a worker's
# slot is never held for ever, and workers restart cleanly).
DRAIN_MAX_SECONDS = 30
# At most this many drains read the stream at once (more when a backlog builds up).
MAX_DRAINERS = 8


@shared_task(name="openedx_xapi.drain_stream", ignore_result=True, acks_late=True)
def drain_stream():
    """Read the stream in batches and route them, until it stays empty for a moment.

    Woken by the backend (see backend/stream.py for the lease that keeps wake-ups rare).
    While it finds full batches (a backlog), it wakes one more drain, up to MAX_DRAINERS,
    so that all the workers share the load."""
    redis_client = stream.client()
    size, seconds = consumers.stream_batch()
    block_ms = max(1, int(seconds * 1000))
    started = time.monotonic()
    sender = Sender(redis_client)
    try:
        stream.ensure_group(redis_client)
        while time.monotonic() - started < DRAIN_MAX_SECONDS:
            stream.hold_lease(redis_client, LEASE_SECONDS)
            drainers = stream.register_drainer(redis_client, LEASE_SECONDS)
            entries = stream.read(redis_client, size, block_ms)
            if not entries:
                # Give the lease back, then look once more: an event added before the lease
                # was dropped did not wake anyone, and must not wait for the next event.
                stream.drop_lease(redis_client)
                entries = stream.read(redis_client, size)
                if not entries:
                    break
            entries = _fill(redis_client, entries, size, block_ms)
            if len(entries) == size and drainers < MAX_DRAINERS:
                drain_stream.apply_async(queue=conf.get("CELERY_QUEUE"))
            outbox = prepare(stream.items_of(entries))
            sender.send(outbox, [entry_id for entry_id, _fields in entries])  # while the next is read
            _process_parked_now_and_then()
        else:
            drain_stream.apply_async(queue=conf.get("CELERY_QUEUE"))  # time is up: hand over
        sender.wait()
        _sweep_later(redis_client)
    except Exception:  # pylint: disable=broad-except
        # Redis went away, say. What this drain took stays pending and is claimed later;
        # what waits must not depend on the next event to wake a worker: try again soon.
        log.exception("openedx_xapi: the stream drain stopped; another starts in a few seconds")
        try:
            drain_stream.apply_async(queue=conf.get("CELERY_QUEUE"), countdown=2)
        except Exception:  # pylint: disable=broad-except
            log.exception("openedx_xapi: could not restart the stream drain")
    finally:
        try:
            sender.close()
        except Exception:  # pylint: disable=broad-except
            log.exception("openedx_xapi: could not acknowledge the last batch (it will be claimed again)")
        try:
            stream.unregister_drainer(redis_client)
        except Exception:  # pylint: disable=broad-except
            pass


class Sender:
    """Sends a drain's batches in a thread of its own, one at a time and in order, so that
    the drain reads and translates the next batch while the consumer stores this one.

    A batch's stream entries are acknowledged only once it is sent (or parked, or
    dead-lettered): a worker that dies meanwhile leaves them pending, to be claimed."""

    def __init__(self, redis_client):
        self.redis_client = redis_client
        self.executor = None
        self.in_flight = None  # (future, entry ids)

    def send(self, outbox, entry_ids):
        self.wait()
        if self.executor is None:
            self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="openedx_xapi-sender")
        self.in_flight = (self.executor.submit(send_outbox, outbox), entry_ids)

    def wait(self):
        """Until the batch in flight is sent; then acknowledge its entries."""
        if self.in_flight is None:
            return
        future, entry_ids = self.in_flight
        self.in_flight = None
        future.result()  # send_outbox never raises
        stream.done(self.redis_client, entry_ids)

    def close(self):
        try:
            self.wait()
        finally:
            if self.executor is not None:
                # The thread's database connection is its own: close it with the thread.
                self.executor.submit(db_connection.close).result()
                self.executor.shutdown()
                self.executor = None


def _sweep_later(redis_client):
    """Entries still pending (taken by a worker that died, or whose acknowledgement failed)
    are claimed only by a drain that runs once they have been idle CLAIM_IDLE_SECONDS: make
    sure one does, even if no event comes to wake it (one such wake-up at a time)."""
    if not stream.pending_count(redis_client):
        return
    idle = float(conf.get("CLAIM_IDLE_SECONDS"))
    if stream.take_sweep_lease(redis_client, int(idle) + 5):
        drain_stream.apply_async(queue=conf.get("CELERY_QUEUE"), countdown=idle + 1)


def _fill(redis_client, entries, size, block_ms):
    """A batch leaves when it holds ``size`` entries or ``block_ms`` after its first one came."""
    deadline = time.monotonic() + block_ms / 1000
    while entries and len(entries) < size:
        left_ms = int((deadline - time.monotonic()) * 1000)
        if left_ms <= 0:
            break
        more = stream.read(redis_client, size - len(entries), left_ms)
        if not more:
            break
        entries = entries + more
    return entries


_parked_checked = [0.0]


def _process_parked_now_and_then():
    """While the stream keeps a worker busy, it also sends what is parked (once a second)."""
    if time.monotonic() - _parked_checked[0] < 1.0:
        return
    _parked_checked[0] = time.monotonic()
    due = circuit.seconds_until_due()
    if due is not None and due <= 0:
        circuit.process_parked()


@shared_task(name="openedx_xapi.process_parked", ignore_result=True, acks_late=True)
def process_parked_task():
    """Probe open circuits and send parked batches that are due; then sleep until the next."""
    from django.core.cache import cache
    cache.delete("openedx_xapi:parked-wakeup")
    remaining = circuit.process_parked()
    if remaining is not None:
        circuit.wake_at(max(remaining, 0.2))


@worker_ready.connect
def _drain_at_start(**_kwargs):
    """A worker that starts takes over what is waiting: entries, and parked batches."""
    try:
        if conf.handoff() == "stream":
            drain_stream.apply_async(queue=conf.get("CELERY_QUEUE"))
        process_parked_task.apply_async(queue=conf.get("CELERY_QUEUE"))
    except Exception:  # pylint: disable=broad-except
        log.exception("openedx_xapi: could not start draining")


def replay_dead_letters(dead_letters):
    """Queue the documents of these dead letters for delivery again; returns how many were queued.

    Each is deleted once queued: if delivery fails again, a new dead letter says why. With the
    event bus's batching consumer no Celery worker may run: each is parked instead, due now,
    and a consumer process sends it (see ``eventbus.sends_parked_batches``)."""
    from openedx_xapi import eventbus
    park = eventbus.sends_parked_batches()
    queued = 0
    for letter in dead_letters:
        user_ids = [letter.user_id] * len(letter.documents)
        if park:
            circuit.park(letter.consumer, letter.documents, user_ids, delay=0)
        else:
            deliver.apply_async(args=(letter.consumer, letter.documents), kwargs={"user_ids": user_ids},
                                queue=conf.get("CELERY_QUEUE"))
        letter.delete()
        queued += 1
    return queued


def record_rejection(stage, reason, consumer="", event_name="", document=None, user_id=None):
    """Keep what could not be read, translated or validated, and why; count it; log it. Never raises."""
    log.warning("openedx_xapi: %s %s for %s: %s", stage, event_name or "event", consumer or "every consumer",
                reason[:1000])
    count(f"rejected.{stage}")
    try:
        text = document if isinstance(document, str) else orjson.dumps(document, default=str).decode()
        Rejection.objects.create(stage=stage, reason=reason, consumer=consumer, user_id=user_id,
                                 event_name=event_name or _name_in(document), document=text)
    except Exception:  # pylint: disable=broad-except
        log.exception("openedx_xapi: could not store a rejection")


def _name_in(item):
    if isinstance(item, dict):
        for key in ("name", "event_type"):
            if isinstance(item.get(key), str):
                return item[key][:255]
    return ""
