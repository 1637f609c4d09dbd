"""Deterministic identifiers.

The same source event always yields the same statement id (and Caliper ``urn:uuid``),
on every run and every machine, so a retry or a replay collapses at the LRS; two
different events never share one. The id is a UUID version 5 over a canonical key:
the event's name, its timestamp to the microsecond, who did it, where, and a digest of
its payload.
"""
import hashlib
import uuid

import orjson

# Namespaces of our own (uuid5 of the project's URL), one per kind of id.
STATEMENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/openedx-xapi/statement")
REGISTRATION_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/openedx-xapi/registration")

_SEPARATOR = "\x1f"  # ASCII unit separator: cannot occur in the parts by accident


def uuid5_text(namespace, name):
    """``str(uuid.uuid5(namespace, name))``, without the cost of building UUID objects."""
    return _format_uuid(hashlib.sha1(namespace.bytes + name.encode()).digest(), 0x50)


def uuid4_from_digest(digest):
    """A version-4-shaped UUID string from the first 16 bytes of a keyed digest."""
    return _format_uuid(digest, 0x40)


def _format_uuid(digest, version_bits):
    raw = bytearray(digest[:16])
    raw[6] = (raw[6] & 0x0F) | version_bits
    raw[8] = (raw[8] & 0x3F) | 0x80  # the RFC 4122 variant
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def event_key(event):
    """The canonical identity of a source event, as text."""
    payload = orjson.dumps(event.data, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str)
    who = str(event.user_id) if event.user_id is not None else (event.username or event.session or "")
    return _SEPARATOR.join((
        event.name,
        event.timestamp.replace(tzinfo=None).isoformat(timespec="microseconds"),
        who,
        event.course_id or "",
        hashlib.sha256(payload).hexdigest(),
    ))


def statement_id(event, protocol, index=0):
    """The id of the ``index``-th document made from ``event`` for ``protocol``."""
    return uuid5_text(STATEMENT_NAMESPACE, f"{event_key(event)}{_SEPARATOR}{protocol}{_SEPARATOR}{index}")


def registration_id(actor_id, course_id):
    """A stable, anonymised id of one learner's enrollment in one course run."""
    return uuid5_text(REGISTRATION_NAMESPACE, f"{actor_id}{_SEPARATOR}{course_id}")
