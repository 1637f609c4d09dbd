"""Per-consumer delivery status: counts, last success and error, and the paused flag.

Written by the worker after each delivery (one small update, with database-side
increments so that concurrent workers never lose a count); read by the admin.
"""
import logging

from django.db.models import F
from django.utils import timezone

from openedx_xapi.models import ConsumerStatus

log = logging.getLogger(__name__)


def _update(consumer_name, **changes):
    try:
        ConsumerStatus.objects.get_or_create(consumer=consumer_name)
        ConsumerStatus.objects.filter(consumer=consumer_name).update(**changes)
    except Exception:  # pylint: disable=broad-except
        log.exception("openedx_xapi: could not update the status of %s", consumer_name)


def delivered(consumer_name, count):
    _update(consumer_name, delivered=F("delivered") + count, last_success_at=timezone.now())


def retried(consumer_name, error):
    _update(consumer_name, retried=F("retried") + 1, last_error_at=timezone.now(), last_error=error[:2000])


def dead_lettered(consumer_name, count, error):
    _update(consumer_name, dead_lettered=F("dead_lettered") + count, last_error_at=timezone.now(),
            last_error=error[:2000])


def pause(consumer_name, error):
    log.error("openedx_xapi: %s refused our credentials (%s); paused until an operator resumes it",
              consumer_name, error[:500])
    _update(consumer_name, paused=True, last_error_at=timezone.now(), last_error=error[:2000])


def is_paused(consumer_name):
    return ConsumerStatus.objects.filter(consumer=consumer_name, paused=True).exists()


def resume(consumer_names):
    return ConsumerStatus.objects.filter(consumer__in=consumer_names).update(paused=False)
