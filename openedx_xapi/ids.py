"""Deterministic identifiers.

The same source event always yields the same statement id (and Caliper ``urn:uuid``),
on every run and every machine, so a retry or a replay collapses at the LRS; two
different events never share one. The id is a UUID version 5 over a canonical key:
the event's name, its timestamp to the microsecond, who did it, where, and a digest of
its payload.
"""
import hashlib
import uuid
from datetime import timezone

import orjson

# Namespaces of our own (uuid5 of the project's URL), one per kind of id.
STATEMENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/openedx-xapi/statement")
REGISTRATION_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/openedx-xapi/registration")

_SEPARATOR = "\x1f"  # ASCII unit separator: cannot occur in the parts by accident


_NAMESPACE_BYTES = {}  # uuid.UUID.bytes is computed on every access: keep it per namespace


def uuid5_text(namespace, name):
    """``str(uuid.uuid5(namespace, name))``, without the cost of building UUID objects."""
    prefix = _NAMESPACE_BYTES.get(namespace)
    if prefix is None:
        prefix = _NAMESPACE_BYTES[namespace] = namespace.bytes
    return _format_uuid(hashlib.sha1(prefix + name.encode()).digest(), "5")


def uuid4_from_digest(digest):
    """A version-4-shaped UUID string from the first 16 bytes of a keyed digest."""
    return _format_uuid(digest, "4")


# The RFC 4122 variant: the top two bits of the 9th byte are 10 (the hex digit becomes 8-b).
_VARIANT = {digit: f"{int(digit, 16) & 0x3 | 0x8:x}" for digit in "0123456789abcdef"}


def _format_uuid(digest, version):
    """The first 16 bytes of ``digest`` as a UUID string of ``version`` ("4" or "5"): the
    version is the 13th hex digit, the variant the top bits of the 17th."""
    text = digest[:16].hex()
    return f"{text[:8]}-{text[8:12]}-{version}{text[13:16]}-{_VARIANT[text[16]]}{text[17:20]}-{text[20:]}"


_LAST_TIME = (None, "")


def time_text(moment):
    """``moment.isoformat(timespec="microseconds")``, kept for the last moment asked: an
    event's id, and its xAPI timestamp or Caliper eventTime, are all cut from this text
    (``datetime`` is immutable, so the same object always gives the same text)."""
    global _LAST_TIME
    last = _LAST_TIME
    if last[0] is moment:
        return last[1]
    if moment.tzinfo is timezone.utc:  # what parse_event gives; formatting the offset costs more than the rest
        text = moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "+00:00"
    else:
        text = moment.isoformat(timespec="microseconds")
    _LAST_TIME = (moment, text)
    return text


def event_key(event):
    """The canonical identity of a source event, as text."""
    try:
        payload = orjson.dumps(event.data, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str)
    except orjson.JSONEncodeError:  # an integer beyond 64 bits, which orjson does not write
        payload = orjson.dumps(_big_ints_as_text(event.data), option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS,
                               default=str)
    who = str(event.user_id) if event.user_id is not None else (event.username or event.session or "")
    return _SEPARATOR.join((
        event.name,
        time_text(event.timestamp)[:26],  # without the offset: always UTC
        who,
        event.course_id or "",
        hashlib.sha256(payload).hexdigest(),
    ))


def _big_ints_as_text(value):
    """``value`` with every integer orjson cannot write (beyond 64 bits) as its decimal text."""
    if isinstance(value, dict):
        return {key: _big_ints_as_text(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_big_ints_as_text(item) for item in value]
    if isinstance(value, int) and not isinstance(value, bool) and not -2**63 <= value < 2**64:
        return str(value)
    return value


def statement_id(event, protocol, index=0):
    """The id of the ``index``-th document made from ``event`` for ``protocol``."""
    return uuid5_text(STATEMENT_NAMESPACE, f"{event_key(event)}{_SEPARATOR}{protocol}{_SEPARATOR}{index}")


_REGISTRATIONS = {}  # (actor id, course id) -> registration id: the same few learners and courses recur
_REGISTRATIONS_LIMIT = 50_000


def registration_id(actor_id, course_id):
    """A stable, anonymised id of one learner's enrollment in one course run."""
    key = (actor_id, course_id)
    found = _REGISTRATIONS.get(key)
    if found is None:
        if len(_REGISTRATIONS) >= _REGISTRATIONS_LIMIT:
            _REGISTRATIONS.clear()
        found = _REGISTRATIONS[key] = uuid5_text(REGISTRATION_NAMESPACE, f"{actor_id}{_SEPARATOR}{course_id}")
    return found
