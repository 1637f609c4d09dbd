"""Mappings declared as data.

A mapping is a table of :class:`Field` lines, each saying where a value goes in the
output document (``target``), where it comes from in the Open edX event (``source``)
and how it is converted (``transform``)::

    Field("object.definition.extensions[https://w3id.org/xapi/acrossx/extensions/type]", "data.mode")

Targets are dotted paths; a key that itself holds dots (an IRI) goes in brackets.
Sources are ``data.<path>`` or ``context.<path>`` (looked up in the event's payload or
context), a name of an :class:`~openedx_xapi.events.Event` attribute such as
``course_id``, or a function ``f(event, ctx)``. A transform is a function
``f(value, ctx)``. A value that is missing (None or "") leaves the target out, or
rejects the event when the field is ``required``. A field with ``pii`` set is only
written for consumers that list that PII field.

Paths are parsed once, when the mapping is declared; translating an event only walks
the precompiled lines.
"""
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_SEGMENT = re.compile(r"([^.\[\]]+)|\[([^\]]+)\]")
_EVENT_ATTRIBUTES = frozenset((
    "name", "user_id", "username", "course_id", "org_id", "session", "ip", "agent", "host", "referer",
    "accept_language", "path", "timestamp",
))


class TranslationError(ValueError):
    """The event cannot be translated; the message says why."""


def parse_path(path):
    """``'a.b[c.d].e'`` -> ``('a', 'b', 'c.d', 'e')``."""
    parts = tuple(plain or bracketed for plain, bracketed in _SEGMENT.findall(path))
    if not parts:
        raise ValueError(f"empty path {path!r}")
    return parts


class Constant:
    """A source that always gives ``value``: compiled into the table as the value itself."""
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __call__(self, event, ctx):
        return self.value


def const(value):
    """A source that always gives ``value``."""
    return Constant(value)


def compile_source(source):
    if callable(source):
        return source
    if not isinstance(source, str):
        raise TypeError(f"a source is a path or a function, not {source!r}")
    head, _, rest = source.partition(".")
    if head in ("data", "context") and rest:
        keys = parse_path(rest)

        def lookup(event, ctx, _where=head, _keys=keys):
            value = getattr(event, _where)
            for key in _keys:
                if not isinstance(value, dict):
                    return None
                value = value.get(key)
            return value
        return lookup
    if source in _EVENT_ATTRIBUTES:
        return lambda event, ctx, _name=source: getattr(event, _name)
    raise ValueError(f"unknown source {source!r}: use data.<path>, context.<path>, or an event attribute")


@dataclass(frozen=True)
class Field:
    target: str
    source: Any
    transform: Callable | None = None
    required: bool = False
    pii: str | None = None

    def compile(self):
        """This line as the tuple :class:`FieldTable` walks: ``(pii, get, transform, parents,
        leaf, required, missing)``; ``get`` is None for a constant (then ``transform`` is the
        value), and ``missing`` is what :class:`TranslationError` says when a required value is."""
        path = parse_path(self.target)
        missing = self.source if isinstance(self.source, str) else self.target
        if isinstance(self.source, Constant) and self.transform is None:
            return (self.pii, None, self.source.value, path[:-1], path[-1], self.required, missing)
        return (self.pii, compile_source(self.source), self.transform, path[:-1], path[-1], self.required,
                missing)


class FieldTable:
    """The lines of a mapping, compiled once: ``table(event, ctx, document)`` writes them.

    Translating an event is one loop over prebuilt tuples, with the lines of PII fields
    that the consumer does not take already left out (one table per set of PII fields).
    """

    def __init__(self, fields):
        self.lines = tuple(field.compile() for field in fields)
        self._for_pii = {}

    def lines_for(self, pii):
        lines = self._for_pii.get(pii)
        if lines is None:
            lines = self._for_pii[pii] = tuple(line for line in self.lines if line[0] is None or line[0] in pii)
        return lines

    def __call__(self, event, ctx, document):
        for _pii, get, transform, parents, leaf, required, missing in self.lines_for(ctx.pii):
            if get is None:
                value = transform
            else:
                value = get(event, ctx)
                if transform is not None and value is not None and value != "":
                    value = transform(value, ctx)
            if value is None or value == "":
                if required:
                    raise TranslationError(f"missing {missing}")
                continue
            node = document
            for key in parents:
                child = node.get(key)
                if child is None:
                    child = node[key] = {}
                node = child
            node[leaf] = value


def compile_fields(fields):
    return FieldTable(fields)
