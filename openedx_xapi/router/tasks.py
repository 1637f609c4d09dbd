"""The Celery tasks, run by the LMS's own Celery app (the plugin defines none).

``route_event`` takes one raw event from the backend, and for each consumer that may
see it: translates, validates and queues a ``deliver`` task. ``deliver`` POSTs the
documents to the consumer and retries with exponential backoff and jitter when the
consumer is unreachable or answers 408/429/5xx. What can never be sent is recorded as
a :class:`~openedx_xapi.models.Rejection`, with its reason, and logged.
"""
import logging
import random

import orjson
from celery import shared_task

from openedx_xapi import conf, consumers
from openedx_xapi import filter as event_filter
from openedx_xapi.events import MalformedEvent, parse_event
from openedx_xapi.identity import StoredActorIds
from openedx_xapi.models import Rejection
from openedx_xapi.pipeline import Rejected, Skipped, documents_for
from openedx_xapi.router import client
from openedx_xapi.translator import TranslationContext

log = logging.getLogger(__name__)

_actor_ids = StoredActorIds()
_BACKOFF_BASE = 2.0  # seconds
_BACKOFF_CAP = 600.0


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
def deliver(self, consumer_name, documents, user_id=None):
    consumer = consumers.get_consumer(consumer_name)
    if consumer is None:
        record_rejection("undeliverable", "the consumer is disabled or no longer configured",
                         consumer=consumer_name, documents=documents, user_id=user_id)
        return
    outcome = client.send(consumer, documents)
    if outcome.delivered:
        log.info("openedx_xapi: delivered %d document(s) to %s%s", len(documents), consumer_name,
                 f" ({outcome.reason})" if outcome.reason else "")
        _count("delivered", len(documents))
        return
    attempts = self.request.retries
    if outcome.retry and attempts < int(conf.get("MAX_RETRIES")):
        delay = outcome.retry_after if outcome.retry_after is not None else backoff(attempts)
        log.warning("openedx_xapi: delivery to %s failed (%s); retry %d in %.1fs",
                    consumer_name, outcome.reason, attempts + 1, delay)
        _count("retried", len(documents))
        raise self.retry(countdown=delay)
    record_rejection("undeliverable", f"{outcome.reason} (after {attempts + 1} attempt(s))",
                     consumer=consumer_name, documents=documents, user_id=user_id)


def backoff(attempts):
    """Exponential backoff with full jitter: a random delay up to base * 2**attempts."""
    return random.uniform(0, min(_BACKOFF_CAP, _BACKOFF_BASE * 2 ** attempts))


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
