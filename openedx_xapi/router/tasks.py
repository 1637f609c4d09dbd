"""The Celery tasks, run by the LMS's own Celery app (the plugin defines none).

``route_event`` receives the raw events the backend hands off, in micro-batches
(celery-batches: a batch runs when it holds ``BATCH_SIZE`` events or ``BATCH_SECONDS``
after it started, whichever comes first). For each event and each consumer that may see
it, it translates and validates; then it sends each consumer's documents in batches of
at most ``BATCH_SIZE``: one xAPI POST or one Caliper envelope per batch.

``deliver`` sends a batch again later: a retry after a transient failure, or a dead
letter an operator replays. What can never be sent is recorded as a
:class:`~openedx_xapi.models.Rejection` (what cannot be read, translated or validated)
or a :class:`~openedx_xapi.models.DeadLetter` (what the consumer refused or never took),
with its reason, and logged. See ``delivery.py`` for what each answer leads to.
"""
import logging

import orjson
from celery import shared_task
from celery_batches import Batches
from django.utils import timezone

from openedx_xapi import conf, consumers
from openedx_xapi import filter as event_filter
from openedx_xapi.events import MalformedEvent, parse_event
from openedx_xapi.identity import StoredActorIds
from openedx_xapi.models import Rejection
from openedx_xapi.pipeline import Rejected, Skipped, documents_for
from openedx_xapi.router.delivery import attempt, count, dead_letter
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
    (the payload as the backend serialised it, or a dict). Never raises."""
    outbox = {}  # consumer name -> ([documents], [user ids], {ids queued})
    for item in items:
        try:
            payload, consumer_names = item[0], item[1]
            route_one(payload, consumer_names, outbox)
        except Exception:  # pylint: disable=broad-except
            # One bad event never costs the others in the batch.
            log.exception("openedx_xapi: could not route an event")
    for name, (documents, user_ids, _ids) in outbox.items():
        try:
            send(name, documents, user_ids)
        except Exception:  # pylint: disable=broad-except
            # Never lose a batch silently: keep it for an operator, and go on with the others.
            log.exception("openedx_xapi: could not send a batch to %s", name)
            dead_letter(name, documents, user_ids, "the batch could not be sent (see the worker's log)")


def route_one(payload, consumer_names, outbox):
    try:
        event = parse_event(payload)
    except MalformedEvent as error:
        record_rejection("malformed", str(error), document=payload)
        return
    facts = event_filter.facts_of_event(event)
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
                             document=rejection.document or payload, user_id=event.user_id)
            continue
        queued_documents, queued_users, queued_ids = outbox.setdefault(name, ([], [], set()))
        for document in documents:
            if document["id"] in queued_ids:
                continue  # the same event twice in one batch (a redelivered message): one is enough
            queued_ids.add(document["id"])
            queued_documents.append(document)
            queued_users.append(event.user_id)


def send(consumer_name, documents, user_ids, attempts=0, first_error=None):
    """Deliver in batches of at most BATCH_SIZE; schedule what must be retried."""
    size = max(1, int(conf.get("BATCH_SIZE")))
    for start in range(0, len(documents), size):
        for retry in attempt(consumer_name, documents[start:start + size], user_ids[start:start + size],
                             attempts, first_error):
            deliver.apply_async(
                args=(consumer_name, retry.documents),
                kwargs={"user_ids": retry.user_ids, "attempts": attempts + 1,
                        "first_error": first_error or timezone.now().isoformat()},
                countdown=retry.delay, queue=conf.get("CELERY_QUEUE"))


@shared_task(name="openedx_xapi.deliver", ignore_result=True, acks_late=True)
def deliver(consumer_name, documents, user_ids=None, attempts=0, first_error=None):
    """Send a batch again: a retry (``attempts`` so far), or a replayed dead letter."""
    user_ids = user_ids if isinstance(user_ids, list) and len(user_ids) == len(documents) \
        else [None] * len(documents)
    send(consumer_name, documents, user_ids, attempts, first_error)


def replay_dead_letters(dead_letters):
    """Queue the documents of these dead letters for delivery again; returns how many were queued.

    Each is deleted once queued: if delivery fails again, a new dead letter says why."""
    queued = 0
    for letter in dead_letters:
        deliver.apply_async(args=(letter.consumer, letter.documents),
                            kwargs={"user_ids": [letter.user_id] * len(letter.documents)},
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
