"""Transforms shared by the mappings: IRIs of Open edX things, and safe conversions.

Every transform is ``f(value, ctx)`` and returns None for a value it cannot use, so
the field is left out (or the event rejected, when the field is required) instead of
an exception escaping from a hostile event.
"""
import math

from openedx_xapi.translator import vocabulary as v
from openedx_xapi.validator.common import is_absolute_iri


def iri(text_value):
    """``text_value`` if it is a valid absolute IRI, else None (so a hostile id is left out)."""
    return text_value if is_absolute_iri(text_value) else None


def course_iri(course_id, ctx):
    """The activity id of a course run, as event-routing-backends builds it."""
    course_id = text(course_id, ctx)
    return iri(f"{ctx.lms_root_url}/course/{course_id}") if course_id else None


def block_iri(usage_key, ctx):
    """The activity id of a block (problem, video, unit, ...) from its usage key."""
    usage_key = text(usage_key, ctx)
    return iri(f"{ctx.lms_root_url}/xblock/{usage_key}") if usage_key else None


def session_iri(session, ctx):
    return f"{ctx.lms_root_url}/sessions/{session}"


def course_activity(course_id, ctx):
    """The course as an xAPI activity, as it appears in ``contextActivities``."""
    iri = course_iri(course_id, ctx)
    return {"objectType": "Activity", "id": iri, "definition": {"type": v.COURSE}} if iri else None


def text(value, ctx=None):
    """A scalar as a non-empty string (None for anything that is not a scalar)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    value = str(value)
    return value or None


def number(value, ctx=None):
    """A finite float, from a number or a numeric string (Caliper wants decimals as decimals)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None


def integer(value, ctx=None):
    """An int, from an int, an integral float or a string of digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value) < 19:
        return int(value)
    return None


def boolean(value, ctx=None):
    """A bool, from a bool or the strings "true"/"false" (any case); None otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


_LONGEST_DURATION = 10 * 365 * 24 * 3600  # seconds: longer is junk, and some LRSs refuse it


def duration(seconds, ctx=None):
    """ISO 8601 duration from seconds: 75.5 -> "PT1M15.5S"."""
    seconds = number(seconds)
    if seconds is None or seconds < 0 or seconds > _LONGEST_DURATION:
        return None
    minutes, secs = divmod(round(seconds, 3), 60)
    hours, minutes = divmod(int(minutes), 60)
    secs_text = f"{secs:.3f}".rstrip("0").rstrip(".")
    return "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + f"{secs_text}S"
