"""The learner event every stage after the backend works on.

Open edX events come in two shapes:

* the **in-process** shape that event-tracking hands to its backends::

    {"name": ..., "timestamp": datetime or ISO string, "context": {...}, "data": {...}}

* the **tracking-log** shape written to ``tracking.log``, one JSON document per line,
  optionally behind a logger prefix (``2023-05-23 13:53:13,461 INFO 20 [tracking] ... - {``)::

    {"name": ..., "event_type": ..., "time": ..., "event": {...} or a JSON string,
     "context": {...}, "username": ..., "session": ..., "ip": ..., "agent": ..., ...}

``parse_event`` turns either into one typed, immutable :class:`Event`, or raises
:class:`MalformedEvent` with a reason a person can act on.
"""
from dataclasses import dataclass, field
from datetime import datetime, timezone

import orjson

# Fields read from the context (in-process shape) or from the top level (log shape).
_REQUEST_FIELDS = ("username", "session", "ip", "agent", "host", "referer", "accept_language", "path")
_MAX_NAME_LENGTH = 255


class MalformedEvent(ValueError):
    """The input is not an Open edX event we can read; the message says why."""


@dataclass(frozen=True, slots=True)
class Event:
    name: str
    timestamp: datetime  # always timezone-aware, in UTC
    data: dict
    context: dict
    user_id: int | None = None
    username: str | None = None
    course_id: str | None = None
    org_id: str | None = None
    session: str | None = None
    ip: str | None = None
    agent: str | None = None
    host: str | None = None
    referer: str | None = None
    accept_language: str | None = None
    path: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def is_guest(self):
        """True when the event belongs to no known learner."""
        return self.user_id is None and not self.username


def parse_event(raw):
    """An :class:`Event` from a dict, JSON bytes/str, or a tracking-log line."""
    if isinstance(raw, (bytes, bytearray, memoryview)):
        raw = bytes(raw).decode("utf-8", "replace")
    if isinstance(raw, str):
        raw = _load_json_line(raw)
    if not isinstance(raw, dict):
        raise MalformedEvent(f"an event must be a JSON object, not {type(raw).__name__}")
    if "data" in raw or "timestamp" in raw:
        return _from_tracker(raw)
    if "event" in raw or "event_type" in raw or "time" in raw:
        return _from_tracking_log(raw)
    raise MalformedEvent("neither the event-tracking shape (name, timestamp, data) nor the tracking-log shape "
                         "(name or event_type, time, event)")


def _load_json_line(line):
    line = line.strip()
    if line.startswith("[") and _is_json_array(line):  # rather than a logger's prefix in brackets
        raise MalformedEvent("an event must be a JSON object, not an array (one event per line)")
    start = line.find("{")
    if start < 0:
        raise MalformedEvent("no JSON object on the line")
    try:
        return orjson.loads(line[start:])
    except orjson.JSONDecodeError as error:
        raise MalformedEvent(f"invalid JSON: {error}") from None


def _is_json_array(line):
    try:
        return isinstance(orjson.loads(line), list)
    except orjson.JSONDecodeError:
        return False


def _from_tracker(raw):
    context = _as_dict(raw.get("context"), "context")
    data = payload_of(raw.get("data"))
    request = {key: context.get(key) for key in _REQUEST_FIELDS}
    return _build(raw.get("name"), raw.get("timestamp") or raw.get("time"), data, context, request)


def _from_tracking_log(raw):
    context = _as_dict(raw.get("context"), "context")
    data = payload_of(raw.get("event"))
    request = {key: raw.get(key) or context.get(key) for key in _REQUEST_FIELDS}
    return _build(raw.get("name") or raw.get("event_type"), raw.get("time") or raw.get("timestamp"),
                  data, context, request)


def _build(name, timestamp, data, context, request):
    if not isinstance(name, str) or not name.strip():
        raise MalformedEvent("missing event name")
    if len(name) > _MAX_NAME_LENGTH:
        raise MalformedEvent(f"event name longer than {_MAX_NAME_LENGTH} characters")
    return Event(
        name=name,
        timestamp=_parse_timestamp(timestamp),
        data=data,
        context=context,
        user_id=first_user_id(context.get("user_id"), data.get("user_id")),
        course_id=text_or_none(context.get("course_id")) or text_or_none(data.get("course_id")),
        org_id=text_or_none(context.get("org_id")),
        username=text_or_none(request["username"]) or text_or_none(data.get("username")),
        session=text_or_none(request["session"]),
        ip=text_or_none(request["ip"]),
        agent=text_or_none(request["agent"]),
        host=text_or_none(request["host"]),
        referer=text_or_none(request["referer"]),
        accept_language=text_or_none(request["accept_language"]),
        path=text_or_none(request["path"]),
    )


def payload_of(value):
    """The event's payload as a dict.

    Server events carry a dict. Browser events may carry a JSON string (sometimes an
    empty one), a query string (``input_x=1&input_y=2``), or a list (``problem_graded``
    sends ``[form, html]``): what is not a JSON object is kept as ``{"value": ...}``.
    """
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        if not value.strip():
            return {}
        try:
            parsed = orjson.loads(value)
        except orjson.JSONDecodeError:
            return {"value": value}
        return parsed if isinstance(parsed, dict) else {"value": parsed}
    return {"value": value}


def _as_dict(value, what):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedEvent(f"'{what}' must be a JSON object, not {type(value).__name__}")
    return value


def _parse_timestamp(value):
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise MalformedEvent(f"unreadable timestamp {value[:40]!r}") from None
    elif value is None or value == "":
        raise MalformedEvent("missing timestamp")
    else:
        raise MalformedEvent(f"unreadable timestamp (a {type(value).__name__}, not an ISO 8601 string)")
    if moment.tzinfo is None:
        # event-tracking and the tracking log both write UTC.
        return moment.replace(tzinfo=timezone.utc)
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01T00:00:00+14:00 is before the first moment Python knows
        raise MalformedEvent(f"timestamp out of range {str(value)[:40]!r}") from None


def first_user_id(*candidates):
    """The first usable user id: an int, or a string of digits. Booleans are not ids."""
    for value in candidates:
        if isinstance(value, bool):
            continue
        if isinstance(value, int) and 0 <= value < 2**63:
            return value
        if isinstance(value, str) and value.isdigit() and len(value) < 20:
            return int(value)
    return None


def text_or_none(value):
    """A non-empty string, or None."""
    if isinstance(value, str) and value:
        return value
    return None
