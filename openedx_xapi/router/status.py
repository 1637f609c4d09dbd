"""Per-consumer delivery status: counts, last success and error, the paused flag, the circuit.

Written by the worker after each delivery (one small update, with database-side
increments so that concurrent workers never lose a count); read by the admin.
"""
import logging

from django.db.models import F
from django.utils import timezone

from openedx_xapi.models import CIRCUIT_CLOSED, CIRCUIT_DRAINING, CIRCUIT_OPEN, ConsumerStatus

log = logging.getLogger(__name__)


def _update(consumer_name, **changes):
    try:
        ConsumerStatus.objects.get_or_create(consumer=consumer_name)
        ConsumerStatus.objects.filter(consumer=consumer_name).update(**changes)
    except Exception:  # pylint: disable=broad-except
        log.exception("openedx_xapi: could not update the status of %s", consumer_name)


def delivered(consumer_name, count, lag=None):
    changes = {"delivered": F("delivered") + count, "last_success_at": timezone.now(), "failure_streak": 0}
    if lag is not None:
        changes["lag_seconds"] = max(0.0, lag)
    _update(consumer_name, **changes)


def dead_lettered(consumer_name, count, error):
    _update(consumer_name, dead_lettered=F("dead_lettered") + count, last_error_at=timezone.now(),
            last_error=error[:2000])


def pause(consumer_name, error):
    log.error("openedx_xapi: %s refused our credentials (%s); paused until an operator resumes it",
              consumer_name, error[:500], extra=_fields(consumer_name, "paused"))
    _update(consumer_name, paused=True, last_error_at=timezone.now(), last_error=error[:2000])


def is_paused(consumer_name):
    return ConsumerStatus.objects.filter(consumer=consumer_name, paused=True).exists()


def resume(consumer_names):
    return ConsumerStatus.objects.filter(consumer__in=consumer_names).update(paused=False)


# --- The circuit breaker (see circuit.py) ---------------------------------------------


def circuit_of(consumer_name):
    """"closed", "open" or "draining"."""
    try:
        found = ConsumerStatus.objects.filter(consumer=consumer_name).values_list("circuit", flat=True).first()
    except Exception:  # pylint: disable=broad-except
        log.exception("openedx_xapi: could not read the circuit of %s", consumer_name)
        return CIRCUIT_CLOSED
    return found or CIRCUIT_CLOSED


def failed(consumer_name, error):
    """One more failure in a row; returns how many in a row now."""
    _update(consumer_name, retried=F("retried") + 1, failure_streak=F("failure_streak") + 1,
            last_error_at=timezone.now(), last_error=error[:2000])
    return ConsumerStatus.objects.filter(consumer=consumer_name).values_list("failure_streak", flat=True).first() or 0


def parked(consumer_name, count):
    _update(consumer_name, parked=F("parked") + count)


def open_circuit(consumer_name, next_probe_at, error):
    """Returns True if this call opened it (it was not open already)."""
    now = timezone.now()
    opened = ConsumerStatus.objects.filter(consumer=consumer_name).exclude(circuit=CIRCUIT_OPEN).update(
        circuit=CIRCUIT_OPEN, circuit_changed_at=now, next_probe_at=next_probe_at, probes=0,
        last_error_at=now, last_error=error[:2000])
    if opened:
        log.error("openedx_xapi: circuit of %s opened after repeated failures (%s); parking its documents",
                  consumer_name, error[:500], extra=_fields(consumer_name, "circuit_opened"))
    return bool(opened)


def probe_failed(consumer_name, next_probe_at, error, lag=None):
    """The consumer is still down; ``lag``: the age of its oldest parked event, which grows meanwhile."""
    changes = {"probes": F("probes") + 1, "next_probe_at": next_probe_at, "last_error_at": timezone.now(),
               "last_error": f"probe: {error}"[:2000]}
    if lag is not None:
        changes["lag_seconds"] = max(0.0, lag)
    _update(consumer_name, **changes)


def start_draining(consumer_name):
    log.warning("openedx_xapi: %s answers again; sending its parked documents", consumer_name,
                extra=_fields(consumer_name, "circuit_draining"))
    _update(consumer_name, circuit=CIRCUIT_DRAINING, circuit_changed_at=timezone.now(), failure_streak=0,
            next_probe_at=None)


def close_circuit(consumer_name):
    closed = ConsumerStatus.objects.filter(consumer=consumer_name, circuit=CIRCUIT_DRAINING).update(
        circuit=CIRCUIT_CLOSED, circuit_changed_at=timezone.now())
    if closed:
        log.warning("openedx_xapi: circuit of %s closed: its parked documents are delivered", consumer_name,
                    extra=_fields(consumer_name, "circuit_closed"))


def _fields(consumer_name, outcome):
    return {"openedx_xapi": {"consumer": consumer_name, "outcome": outcome}}
