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


def const(value):
    """A source that always gives ``value``."""
    return lambda event, ctx: value


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
        return _CompiledField(parse_path(self.target), compile_source(self.source), self.transform,
                              self.required, self.pii, self.source)


@dataclass(frozen=True, slots=True)
class _CompiledField:
    target: tuple
    get: Callable
    transform: Callable | None
    required: bool
    pii: str | None
    source: Any

    def apply(self, event, ctx, document):
        if self.pii is not None and self.pii not in ctx.pii:
            return
        value = self.get(event, ctx)
        if value is not None and value != "" and self.transform is not None:
            value = self.transform(value, ctx)
        if value is None or value == "":
            if self.required:
                raise TranslationError(f"missing {self.source if isinstance(self.source, str) else self.target}")
            return
        node = document
        for key in self.target[:-1]:
            child = node.get(key)
            if child is None:
                child = node[key] = {}
            node = child
        node[self.target[-1]] = value


def compile_fields(fields):
    return tuple(field.compile() for field in fields)
