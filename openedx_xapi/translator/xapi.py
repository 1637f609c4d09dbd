"""The xAPI side of a mapping: the statement frame every event shares.

A :class:`XapiMapping` names one Open edX event, its verb, and a table of fields; the
frame (id, actor, verb, timestamp, version, registration, the course in
``contextActivities`` and common extensions) is added here for every event alike.

Where the course goes: when the mapping knows the event's unit or sequence (its
``parent`` source), that activity is the ``parent`` and the course the ``grouping``;
otherwise the course is the ``parent``. Open edX analytics (Aspects) reads the course
from either place. When the object is the course itself, ``contextActivities`` is left
out.
"""
from dataclasses import dataclass

from openedx_xapi import ids
from openedx_xapi.identity import learner
from openedx_xapi.translator import vocabulary as v
from openedx_xapi.translator.common import course_activity, text
from openedx_xapi.translator.mapping import Field, compile_fields, compile_source, const

PROTOCOL = "xapi"

# Fields of every xAPI statement, after the event's own.
COMMON_FIELDS = (
    Field(f"context.extensions[{v.EXT_TRANSFORMER_VERSION}]", const(v.TRANSFORMER_VERSION)),
    Field(f"context.extensions[{v.EXT_SESSION_ID}]", "session", text, pii="session"),
    Field(f"context.extensions[{v.EXT_IP}]", "ip", text, pii="ip"),
    Field(f"context.extensions[{v.EXT_USER_AGENT}]", "agent", text, pii="user_agent"),
    Field(f"context.extensions[{v.EXT_REFERER}]", "referer", text, pii="referer"),
    Field(f"context.extensions[{v.EXT_USERNAME}]", "username", text, pii="username"),
)


@dataclass(frozen=True)
class XapiMapping:
    event: str
    verb: tuple  # (IRI, English display), see vocabulary
    fields: tuple
    family: str = ""
    course_is_object: bool = False  # the object is the course: no contextActivities
    parent: object = None  # a source giving the unit/sequence activity (a dict), if known

    protocol = PROTOCOL

    def __post_init__(self):
        object.__setattr__(self, "_compiled", compile_fields(self.fields + COMMON_FIELDS))
        object.__setattr__(self, "_parent", compile_source(self.parent) if self.parent is not None else None)

    def translate(self, event, ctx):
        agent, _person, learner_key = learner(event, ctx, PROTOCOL)
        moment = ids.time_text(event.timestamp)  # to the microsecond: cut to milliseconds below
        statement = {
            "id": ids.statement_id(event, PROTOCOL),
            "actor": agent,
            "verb": {"id": self.verb[0], "display": {"en": self.verb[1]}},
            "object": {},
            "timestamp": moment[:23] + moment[26:],
            "version": "1.0.3" if ctx.xapi_version == "1.0.3" else "2.0.0",
        }
        if event.course_id:
            context = statement["context"] = {"registration": ids.registration_id(learner_key, event.course_id)}
            course = None if self.course_is_object else course_activity(event.course_id, ctx)
            if course:
                parent = self._parent(event, ctx) if self._parent else None
                context["contextActivities"] = {"parent": [parent], "grouping": [course]} if parent \
                    else {"parent": [course]}
        self._compiled(event, ctx, statement)
        return [statement]
