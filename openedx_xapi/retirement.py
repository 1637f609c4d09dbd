"""Forget a retired learner: their anonymous ids and whatever is kept about them.

edx-platform sends its user-retirement signals when a learner asks to be forgotten;
the plugin then deletes the learner's rows in its own tables (anonymous actor ids, and
rejected documents and dead letters about them). edx-platform's own ``ExternalId``
rows are retired by edx-platform itself.
"""
import logging

from openedx_xapi.models import ActorId, DeadLetter, Rejection

log = logging.getLogger(__name__)


def retire_learner(user_id):
    """Delete what the plugin keeps about ``user_id``; returns how many rows went."""
    deleted = ActorId.objects.filter(user_id=user_id).delete()[0]
    deleted += Rejection.objects.filter(user_id=user_id).delete()[0]
    deleted += DeadLetter.objects.filter(user_id=user_id).delete()[0]
    log.info("openedx_xapi: retired a learner, %d row(s) deleted", deleted)
    return deleted


def on_user_retired(sender, user=None, **kwargs):
    """Receiver of edx-platform's retirement signals."""
    if user is not None:
        retire_learner(user.id)


def connect(signals):
    for signal in signals:
        signal.connect(on_user_retired, dispatch_uid=f"openedx_xapi.retire.{id(signal)}")
