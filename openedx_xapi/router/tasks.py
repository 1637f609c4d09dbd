"""The Celery tasks, run by the LMS's own Celery app (the plugin defines none).

``route_event`` takes one raw event from the backend, and for each consumer that may
see it: translates, validates and queues a ``deliver`` task. ``deliver`` POSTs the
documents to the consumer and retries with exponential backoff and jitter when the
consumer is unreachable or answers 408/429/5xx. What can never be sent is recorded as
a :class:`~openedx_xapi.models.Rejection` (what cannot be translated or is invalid) or a
:class:`~openedx_xapi.models.DeadLetter` (what the consumer refused, or never took), with
its reason, and logged.
"""
import logging
import random

import orjson
from celery import shared_task
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from openedx_xapi import conf, consumers
from openedx_xapi import filter as event_filter
from openedx_xapi.events import MalformedEvent, parse_event
from openedx_xapi.identity import StoredActorIds
from openedx_xapi.models import DeadLetter, Rejection
from openedx_xapi.pipeline import Rejected, Skipped, documents_for
from openedx_xapi.router import client, status
from openedx_xapi.translator import TranslationContext

log = logging.getLogger(__name__)

_actor_ids = StoredActorIds()


def context_for(consumer):
    return TranslationContext(lms_root_url=conf.lms_root_url(), actor_ids=_actor_ids,
                              xapi_version=consumer.xapi_version, pii=consumer.pii, guests=consumer.guests,
                              identity=consumer.identity, identity_secret=consumer.identity_secret)


@shared_task(name="openedx_xapi.route_event", ignore_result=True, acks_late=True)
def route_event(payload, consumer_names):
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
        deliver.apply_async(args=(name, documents), kwargs={"user_id": event.user_id},
                            queue=conf.get("CELERY_QUEUE"))


@shared_task(bind=True, name="openedx_xapi.deliver", ignore_result=True, acks_late=True, max_retries=None)
def deliver(self, consumer_name, documents, user_id=None, first_error=None):
    consumer = consumers.get_consumer(consumer_name)
    if consumer is None:
        dead_letter(consumer_name, documents, "the consumer is disabled or no longer configured",
                    user_id=user_id, first_error=first_error, attempts=self.request.retries)
        return
    if status.is_paused(consumer_name):
        dead_letter(consumer_name, documents, "the consumer is paused (it refused our credentials): fix them, "
                    "resume it in the admin, then replay its dead letters", user_id=user_id)
        return
    outcome = client.send(consumer, documents)
    if outcome.delivered:
        log.info("openedx_xapi: delivered %d document(s) to %s%s", len(documents), consumer_name,
                 f" ({outcome.reason})" if outcome.reason else "")
        _count("delivered", len(documents))
        status.delivered(consumer_name, len(documents))
        return
    attempts = self.request.retries
    if outcome.status in (401, 403):
        # Not hammered: the consumer is paused until an operator fixes the credentials.
        status.pause(consumer_name, outcome.reason)
    elif outcome.retry and attempts < int(conf.get("MAX_RETRIES")):
        delay = outcome.retry_after if outcome.retry_after is not None else backoff(attempts)
        log.warning("openedx_xapi: delivery to %s failed (%s); retry %d in %.1fs",
                    consumer_name, outcome.reason, attempts + 1, delay)
        _count("retried", len(documents))
        status.retried(consumer_name, outcome.reason)
        first_error = first_error or timezone.now().isoformat()
        raise self.retry(countdown=delay, kwargs={"user_id": user_id, "first_error": first_error})
    dead_letter(consumer_name, documents, f"{outcome.reason} (after {attempts + 1} attempt(s))",
                user_id=user_id, status_code=outcome.status, first_error=first_error, attempts=attempts + 1)


def dead_letter(consumer_name, documents, reason, user_id=None, status_code=None, first_error=None, attempts=1):
    """Keep documents that could not be delivered, for an operator to retry. Never raises."""
    log.warning("openedx_xapi: %d document(s) for %s dead-lettered: %s", len(documents), consumer_name,
                reason[:1000])
    _count("dead_lettered", len(documents))
    status.dead_lettered(consumer_name, len(documents), reason)
    now = timezone.now()
    try:
        DeadLetter.objects.create(
            consumer=consumer_name, documents=documents, reason=reason, user_id=user_id, status_code=status_code,
            event_name=_name_of_documents(documents), attempts=max(attempts, 1),
            first_error_at=parse_datetime(first_error) if first_error else now, last_error_at=now)
    except Exception:  # pylint: disable=broad-except
        log.exception("openedx_xapi: could not store a dead letter")


def replay_dead_letters(dead_letters):
    """Queue the documents of these dead letters for delivery again; returns how many were queued.

    Each is deleted once queued: if delivery fails again, a new dead letter says why."""
    queued = 0
    for letter in dead_letters:
        deliver.apply_async(args=(letter.consumer, letter.documents), kwargs={"user_id": letter.user_id},
                            queue=conf.get("CELERY_QUEUE"))
        letter.delete()
        queued += 1
    return queued


def _name_of_documents(documents):
    """The verb (xAPI) or type/action (Caliper) of the first document, to filter dead letters by."""
    first = documents[0] if documents else {}
    if isinstance(first, dict):
        verb = first.get("verb")
        if isinstance(verb, dict) and isinstance(verb.get("id"), str):
            return verb["id"][:255]
        if isinstance(first.get("action"), str):
            return f"{first.get('type', 'Event')}/{first['action']}"[:255]
    return ""


def backoff(attempts):
    """Exponential backoff with full jitter: a random delay up to base * 2**attempts, capped."""
    base, cap = float(conf.get("RETRY_BACKOFF_BASE")), float(conf.get("RETRY_BACKOFF_MAX"))
    return random.uniform(0, min(cap, base * 2 ** attempts))


def record_rejection(stage, reason, consumer="", event_name="", document=None, documents=None, user_id=None):
    """Keep what could not be sent, and why; count it; log it. Never raises."""
    log.warning("openedx_xapi: %s %s for %s: %s", stage, event_name or "event", consumer or "every consumer",
                reason[:1000])
    _count(f"rejected.{stage}")
    try:
        items = documents if documents is not None else [document]
        for item in items:
            text = item if isinstance(item, str) else orjson.dumps(item, default=str).decode()
            Rejection.objects.create(stage=stage, reason=reason, consumer=consumer, user_id=user_id,
                                     event_name=event_name or _name_in(item), document=text)
    except Exception:  # pylint: disable=broad-except
        log.exception("openedx_xapi: could not store a rejection")


def _name_in(item):
    if isinstance(item, dict):
        for key in ("name", "event_type"):
            if isinstance(item.get(key), str):
                return item[key][:255]
    return ""


def _count(metric, value=1):
    """Report a counter to the LMS's monitoring (New Relic/Datadog via edx-django-utils)."""
    try:
        from edx_django_utils.monitoring import accumulate
        accumulate(f"openedx_xapi.{metric}", value)
    except Exception:  # pylint: disable=broad-except
        pass
