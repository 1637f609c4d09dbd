"""Forget a retired learner: their anonymous ids and whatever is kept about them.

edx-platform sends its user-retirement signals when a learner asks to be forgotten;
the plugin then deletes the learner's rows in its own tables: anonymous actor ids,
rejected documents, dead letters, and the documents about them in batches parked for a
consumer that is down (a parked batch holds several learners' documents: only theirs
go, the others are still delivered). edx-platform's own ``ExternalId`` rows are retired
by edx-platform itself.
"""
import logging

from django.db import transaction

from openedx_xapi.models import ActorId, DeadLetter, ParkedBatch, Rejection

log = logging.getLogger(__name__)


def retire_learner(user_id):
    """Delete what the plugin keeps about ``user_id``; returns how many rows (or, in parked
    batches, documents) went."""
    deleted = ActorId.objects.filter(user_id=user_id).delete()[0]
    deleted += Rejection.objects.filter(user_id=user_id).delete()[0]
    deleted += DeadLetter.objects.filter(user_id=user_id).delete()[0]
    deleted += _forget_parked(user_id)
    log.info("openedx_xapi: retired a learner, %d row(s) deleted", deleted)
    return deleted


def _forget_parked(user_id):
    """Take the learner's documents out of every parked batch; a batch left empty goes.

    ``user_ids`` is a JSON list (whose document is whose), which not every database can
    search, so the ids are read here; retirements are rare, parked batches few."""
    about = [pk for pk, user_ids in ParkedBatch.objects.values_list("pk", "user_ids")
             if isinstance(user_ids, list) and user_id in user_ids]
    removed = 0
    for pk in about:
        with transaction.atomic():
            # Locked, so a worker cannot take the batch halfway (where the database locks rows).
            batch = ParkedBatch.objects.select_for_update().filter(pk=pk).first()
            if batch is None:  # sent meanwhile
                continue
            if len(batch.user_ids) != len(batch.documents):
                kept = []  # which document is whose is unknown: any may be theirs
            else:
                kept = [(document, owner) for document, owner in zip(batch.documents, batch.user_ids, strict=True)
                        if owner != user_id]
            removed += len(batch.documents) - len(kept)
            if kept:
                batch.documents, batch.user_ids = [d for d, _ in kept], [o for _, o in kept]
                batch.save(update_fields=["documents", "user_ids"])
            else:
                batch.delete()
    return removed


def on_user_retired(sender, user=None, **kwargs):
    """Receiver of edx-platform's retirement signals."""
    if user is not None:
        retire_learner(user.id)


def connect(signals):
    for signal in signals:
        signal.connect(on_user_retired, dispatch_uid=f"openedx_xapi.retire.{id(signal)}")
