"""The Caliper 1.2 side of a mapping: the event frame every event shares.

A :class:`CaliperMapping` names one Open edX event, its Caliper event type, action and
metric profile, and a table of fields; the frame (``@context``, id, actor, eventTime,
edApp, the course as ``group`` unless it is the object, and common extensions) is
added here.
"""
from dataclasses import dataclass

from openedx_xapi import ids
from openedx_xapi.identity import learner
from openedx_xapi.translator import vocabulary as v
from openedx_xapi.translator.common import course_iri, session_iri, text
from openedx_xapi.translator.mapping import Field, compile_fields, const

PROTOCOL = "caliper"

COMMON_FIELDS = (
    Field("extensions.transformerVersion", const(v.TRANSFORMER_VERSION)),
    Field("session.id", "session", session_iri, pii="session"),
    Field("session.type", lambda event, ctx: "Session" if event.session else None, pii="session"),
    Field("extensions.ip", "ip", text, pii="ip"),
    Field("extensions.userAgent", "agent", text, pii="user_agent"),
    Field("extensions.referer", "referer", text, pii="referer"),
    Field("extensions.username", "username", text, pii="username"),
)


def caliper_time(moment):
    """UTC with exactly millisecond precision: ``YYYY-MM-DDTHH:mm:ss.SSSZ``.

    ``isoformat`` is several times faster than ``strftime``; its first 23 characters are
    the same text, except that it pads a year before 1000 to four digits where the C
    library's ``%Y`` does not (such a time is kept as it was, and the validator refuses it).
    """
    if moment.year < 1000:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return ids.time_text(moment)[:23] + "Z"


@dataclass(frozen=True)
class CaliperMapping:
    event: str
    type: str
    action: str
    profile: str
    fields: tuple
    family: str = ""
    course_is_object: bool = False  # the object is the course: no group

    protocol = PROTOCOL

    def __post_init__(self):
        object.__setattr__(self, "_compiled", compile_fields(self.fields + COMMON_FIELDS))

    def translate(self, event, ctx):
        _agent, person, _key = learner(event, ctx, PROTOCOL)
        document = {
            "@context": v.CALIPER_CONTEXT,
            "id": f"urn:uuid:{ids.statement_id(event, PROTOCOL)}",
            "type": self.type,
            "profile": self.profile,
            "action": self.action,
            "actor": person,
            "object": {},
            "eventTime": caliper_time(event.timestamp),
            "edApp": {"id": ctx.lms_root_url, "type": "SoftwareApplication"},
        }
        if event.course_id and not self.course_is_object:
            group = course_iri(event.course_id, ctx)
            if group:
                document["group"] = {"id": group, "type": "CourseOffering"}
        self._compiled(event, ctx, document)
        return [document]
