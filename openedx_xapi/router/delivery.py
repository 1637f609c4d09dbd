"""One attempt at delivering a batch of documents to a consumer, and what follows from it.

``attempt`` POSTs the batch and decides, by the consumer's answer:

=====================================  ==========================================================
answer                                 what happens
=====================================  ==========================================================
2xx, or 409 for one document          delivered (409: the LRS already holds a statement with
                                       this deterministic id)
400, 409, 413, 422 for several         the batch is split in halves and each half tried, until
documents                              the documents the consumer refuses stand alone: only
                                       those are dead-lettered, with the consumer's reason (an
                                       LRS refuses a whole batch for one conflict or one bad
                                       statement; the others must not pay for it)
401, 403                               the consumer is paused (not hammered) and the batch
                                       dead-lettered; so is what comes while it is paused
408, 425, 429, 5xx, timeouts,          retried later (``Retry-After`` or backoff), up to
connection errors                      ``MAX_RETRIES`` times, then dead-lettered; repeated
                                       failures open the consumer's circuit (circuit.py)
anything else                          dead-lettered
=====================================  ==========================================================

It returns the batches to retry, each with its delay; the Celery tasks schedule them.
"""
import logging
import random
import time
from dataclasses import dataclass

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from openedx_xapi import conf, consumers
from openedx_xapi.models import DeadLetter
from openedx_xapi.router import client, status

log = logging.getLogger(__name__)

# Answers that may be about one document of a batch: the halves are sent apart, so that only
# the refused documents are dead-lettered. Not a Caliper 422 ("dataVersion not supported"):
# every half would be refused the same way.
_SPLIT_ON = {"xapi": frozenset((400, 409, 413, 422)), "caliper": frozenset((400, 409, 413))}


@dataclass(frozen=True)
class Retry:
    documents: list
    user_ids: list
    delay: float
    reason: str


def attempt(consumer_name, documents, user_ids, attempts=0, first_error=None, emitted_at=None):
    """Try to deliver ``documents`` (``user_ids`` says whose each is); returns the :class:`Retry` s due.

    ``emitted_at`` (epoch seconds), when the LMS emitted the newest of the events, gives the lag."""
    consumer = consumers.get_consumer(consumer_name)
    if consumer is None:
        dead_letter(consumer_name, documents, user_ids, "the consumer is disabled or no longer configured",
                    attempts=attempts, first_error=first_error)
        return []
    if status.is_paused(consumer_name):
        dead_letter(consumer_name, documents, user_ids, "the consumer is paused (it refused our credentials): "
                    "fix them, resume it in the admin, then replay its dead letters")
        return []
    outcome = client.send(consumer, documents)
    if outcome.status in _SPLIT_ON.get(consumer.protocol, ()) and len(documents) > 1:
        middle = len(documents) // 2
        return (attempt(consumer_name, documents[:middle], user_ids[:middle], attempts, first_error, emitted_at)
                + attempt(consumer_name, documents[middle:], user_ids[middle:], attempts, first_error, emitted_at))
    if outcome.delivered:
        log.info("openedx_xapi: delivered %d document(s) to %s%s", len(documents), consumer_name,
                 f" ({outcome.reason})" if outcome.reason else "",
                 extra=fields(consumer_name, "delivered", len(documents), status=outcome.status))
        count("delivered", len(documents))
        status.delivered(consumer_name, len(documents), time.time() - emitted_at if emitted_at else None)
        return []
    if outcome.status in (401, 403):
        status.pause(consumer_name, outcome.reason)
    elif outcome.retry and attempts < int(conf.get("MAX_RETRIES")):
        delay = outcome.retry_after if outcome.retry_after is not None else backoff(attempts)
        log.warning("openedx_xapi: delivery of %d document(s) to %s failed (%s); retry %d in %.1fs",
                    len(documents), consumer_name, outcome.reason, attempts + 1, delay,
                    extra=fields(consumer_name, "retry", len(documents), status=outcome.status,
                                 attempt=attempts + 1, delay=round(delay, 3)))
        count("retried", len(documents))
        return [Retry(documents, user_ids, delay, outcome.reason)]
    dead_letter(consumer_name, documents, user_ids, f"{outcome.reason} (after {attempts + 1} attempt(s))",
                status_code=outcome.status, attempts=attempts + 1, first_error=first_error)
    return []


def backoff(attempts):
    """Exponential backoff with full jitter: a random delay up to base * 2**attempts, capped."""
    base, cap = float(conf.get("RETRY_BACKOFF_BASE")), float(conf.get("RETRY_BACKOFF_MAX"))
    return random.uniform(0, min(cap, base * 2 ** attempts))


def dead_letter(consumer_name, documents, user_ids, reason, status_code=None, attempts=1, first_error=None):
    """Keep documents that could not be delivered, one dead letter per learner, for an operator
    to retry. Never raises."""
    log.warning("openedx_xapi: %d document(s) for %s dead-lettered: %s", len(documents), consumer_name,
                reason[:1000],
                extra=fields(consumer_name, "dead_lettered", len(documents), status=status_code))
    count("dead_lettered", len(documents))
    status.dead_lettered(consumer_name, len(documents), reason)
    now = timezone.now()
    by_learner = {}
    for document, user_id in zip(documents, user_ids, strict=True):
        by_learner.setdefault(user_id, []).append(document)
    try:
        for user_id, kept in by_learner.items():
            DeadLetter.objects.create(
                consumer=consumer_name, documents=kept, reason=reason, user_id=user_id, status_code=status_code,
                event_name=_label(kept), attempts=max(attempts, 1),
                first_error_at=parse_datetime(first_error) if first_error else now, last_error_at=now)
    except Exception:  # pylint: disable=broad-except
        log.exception("openedx_xapi: could not store a dead letter")


def _label(documents):
    """The verb (xAPI) or type/action (Caliper) of the first document, to filter dead letters by."""
    first = documents[0] if documents else {}
    if isinstance(first, dict):
        verb = first.get("verb")
        if isinstance(verb, dict) and isinstance(verb.get("id"), str):
            return verb["id"][:255]
        if isinstance(first.get("action"), str):
            return f"{first.get('type', 'Event')}/{first['action']}"[:255]
    return ""


def count(metric, value=1):
    """Report a counter to the LMS's monitoring (New Relic/Datadog via edx-django-utils)."""
    try:
        from edx_django_utils.monitoring import accumulate
        accumulate(f"openedx_xapi.{metric}", value)
    except Exception:  # pylint: disable=broad-except
        pass


def fields(consumer_name, outcome, documents, **more):
    """Structured fields of a delivery log record (``record.openedx_xapi``), for JSON log
    formatters and log pipelines: consumer, outcome, number of documents, and the rest."""
    return {"openedx_xapi": {"consumer": consumer_name, "outcome": outcome, "documents": documents, **more}}
