"""The Caliper 1.2 side of a mapping: the event frame every event shares.

A :class:`CaliperMapping` names one Open edX event, its Caliper event type, action and
metric profile, and a table of fields; the frame (``@context``, id, actor, eventTime,
edApp, the course as ``group`` unless it is the object, and common extensions) is
added here.

The actor is the learner, as the consumer's identity names them, except in a mapping
declared with ``actor=LMS``: an event in which the LMS itself acted on the learner's
behalf. The Grading Profile requires it ("For auto-graded scenarios the
SoftwareApplication MUST be specified as the actor", certification guide, Other
Requirements): a problem graded or rescored by the LMS, a subsection or course grade it
computed. Such a mapping keeps the learner as the graded Attempt's ``assignee`` (its
table must say where), named exactly as the actor would have been.
"""
from dataclasses import dataclass

from openedx_xapi import ids
from openedx_xapi.identity import learner
from openedx_xapi.translator import vocabulary as v
from openedx_xapi.translator.common import course_iri, session_iri, text
from openedx_xapi.translator.mapping import Field, compile_fields, const

PROTOCOL = "caliper"

# Who the actor of a mapping's events is.
LEARNER = "learner"  # the learner, as the consumer's identity names them
LMS = "lms"          # the LMS, as a SoftwareApplication (auto-graded); the learner is object.assignee

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


def lms_application(ctx):
    """The LMS as a Caliper SoftwareApplication: the ``edApp`` of every event, the actor of
    auto-graded ones, the ``scoredBy`` of the scores it gives. One form everywhere."""
    return {"id": ctx.lms_root_url, "type": "SoftwareApplication"}


@dataclass(frozen=True)
class CaliperMapping:
    event: str
    type: str
    action: str
    profile: str
    fields: tuple
    family: str = ""
    course_is_object: bool = False  # the object is the course: no group
    actor: str = LEARNER  # or LMS: the LMS graded, the learner is the Attempt's assignee

    protocol = PROTOCOL

    def __post_init__(self):
        if self.actor not in (LEARNER, LMS):
            raise ValueError(f"{self.event}: actor is {LEARNER!r} or {LMS!r}, not {self.actor!r}")
        if self.actor == LMS and not any(field.target == "object.assignee" for field in self.fields):
            raise ValueError(f"{self.event}: the LMS as actor needs the learner as object.assignee, "
                             f"or the event would no longer say whose it is")
        object.__setattr__(self, "_compiled", compile_fields(self.fields + COMMON_FIELDS))

    def translate(self, event, ctx):
        actor = lms_application(ctx) if self.actor == LMS else learner(event, ctx, PROTOCOL)[1]
        document = {
            "@context": v.CALIPER_CONTEXT,
            "id": f"urn:uuid:{ids.statement_id(event, PROTOCOL)}",
            "type": self.type,
            "profile": self.profile,
            "action": self.action,
            "actor": actor,
            "object": {},
            "eventTime": caliper_time(event.timestamp),
            "edApp": lms_application(ctx),
        }
        if event.course_id and not self.course_is_object:
            group = course_iri(event.course_id, ctx)
            if group:
                document["group"] = {"id": group, "type": "CourseOffering"}
        self._compiled(event, ctx, document)
        return [document]
