"""Lines of a tracking log in, outcomes out: the CPU-bound part of a replay.

:class:`Translator` reads, selects, filters (the consumer's restrictions), translates
and validates a chunk of lines with the same ``documents_for`` as the router, and
returns one outcome per line. It needs no database when the translation context does
not (anonymous ids as an HMAC of the user id, as outside an LMS), and then chunks may be
translated in worker processes (``--workers``), in order.
"""
import dataclasses

import orjson

from openedx_xapi import filter as event_filter
from openedx_xapi.events import MalformedEvent, parse_event
from openedx_xapi.identity import HmacActorIds
from openedx_xapi.pipeline import Rejected, Skipped, documents_for
from openedx_xapi.replay.destinations import Document

TRANSLATED, SKIPPED, REJECTED = "translated", "skipped", "rejected"
BLANK = None


class _CachedActorIds:
    """HMAC actor ids, kept: a log holds the same learners over and over."""

    def __init__(self, resolver, size=200_000):
        self._resolver = resolver
        self._cache = {}
        self._size = size

    def actor_id(self, event, kind):
        if event.is_guest or event.user_id is None:
            return self._resolver.actor_id(event, kind)
        key = (event.user_id, kind)
        found = self._cache.get(key)
        if found is None:
            if len(self._cache) >= self._size:
                self._cache.clear()
            found = self._cache[key] = self._resolver.actor_id(event, kind)
        return found

    def __getattr__(self, name):  # user_id_for, username, email
        return getattr(self._resolver, name)


def needs_database(ctx):
    """Whether translating with ``ctx`` may read the LMS's database (and so stays in one process)."""
    return not isinstance(ctx.actor_ids, (HmacActorIds, _CachedActorIds)) or ctx.identity not in ("anonymous", "hmac")


class Translator:
    def __init__(self, protocol, ctx, selection, consumer=None, serialized=True):
        if isinstance(ctx.actor_ids, HmacActorIds):
            ctx = dataclasses.replace(ctx, actor_ids=_CachedActorIds(ctx.actor_ids))
        self.protocol = protocol
        self.ctx = ctx
        self.selection = selection
        self.consumer = consumer
        self.serialized = serialized

    def chunk(self, lines):
        """One outcome per line: ``None`` for a blank line, ``(TRANSLATED, [Document])``,
        ``(SKIPPED, why)``, or ``(REJECTED, stage, reason, event name, user id)``."""
        return [self.line(line) for line in lines]

    def line(self, line):
        if not line.strip():
            return BLANK
        try:
            event = parse_event(line)
        except MalformedEvent as error:
            return REJECTED, "malformed", str(error), "", None
        if not self.selection.allows(event):
            return SKIPPED, "not selected"
        if self.consumer is not None and not event_filter.allows(self.consumer, event_filter.facts_of_event(event)):
            return SKIPPED, "not for this consumer"
        try:
            documents = documents_for(event, self.protocol, self.ctx)
        except Skipped as skip:
            return SKIPPED, "guest" if "guest" in str(skip) else "unmapped"
        except Rejected as rejection:
            return REJECTED, rejection.stage, rejection.reason, event.name, event.user_id
        day = event.timestamp.date().isoformat()
        return TRANSLATED, [Document(document["id"], day, event.user_id,
                                     orjson.dumps(document) if self.serialized else document)
                            for document in documents]


# --- in worker processes -----------------------------------------------------------------

_translator = None


def start_worker(translator):
    """Pool initializer: keep the translator, and leave Ctrl-C to the parent (which stops cleanly)."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    global _translator
    _translator = translator


def translate_chunk(lines):
    return _translator.chunk(lines)
