"""Certificates: a learner receives the certificate of a course, shares it, and it is viewed.

================================ ========= ================ ===========================================
Open edX event                   xAPI verb Caliper          object
================================ ========= ================ ===========================================
edx.certificate.created          received  Event Created    the course's certificate, with its mode
edx.certificate.shared           shared    Event Shared     the course's certificate (+ social network)
edx.certificate.evidence_visited viewed    ViewEvent Viewed the course's certificate (+ social network)
================================ ========= ================ ===========================================

These are the certificate events of the tracking-log documentation (Dogwood and later);
event-routing-backends maps none of them. ``edx.certificate.revoked`` (emitted by newer
releases, not documented) is not mapped.

No PII: the certificate's own page (``certificate_url``, with its ``certificate_id``)
shows the learner's full name, so neither is sent. The certificate is named by its
course (``<LMS>/course/<course id>/certificate``); the learner is the actor. The
``source_url`` of ``evidence_visited`` (the page the visitor came from, often the
learner's profile on a social network) is not sent either.

``edx.certificate.evidence_visited`` is about the *visitor*, whose user id is in the
event's context; the ``user_id`` in its data is the certificate's owner. An event of a
visitor who is not signed in is refused, rather than attributed to the owner.
"""
from openedx_xapi.translator import vocabulary as v
from openedx_xapi.translator.caliper import CaliperMapping
from openedx_xapi.translator.common import course_iri, text
from openedx_xapi.translator.mapping import Field, const
from openedx_xapi.translator.mappings import guarded
from openedx_xapi.translator.registry import register
from openedx_xapi.translator.xapi import XapiMapping

FAMILY = "certificates"

# Not in event-routing-backends (it maps no certificate event): named after the event's fields.
EXT_GENERATION_MODE = "https://w3id.org/xapi/openedx/extensions/generation-mode"
EXT_SOCIAL_NETWORK = "https://w3id.org/xapi/openedx/extensions/social-network"


def certificate_iri(course_id, ctx):
    course = course_iri(course_id, ctx)
    return f"{course}/certificate" if course else None


# --- the mapping tables --------------------------------------------------------------

XAPI_CERTIFICATE = (
    # target                                                      source                  transform
    Field("object.objectType",                                    const("Activity")),
    Field("object.id",                                            "course_id",            certificate_iri,
          required=True),
    Field("object.definition.type",                               const(v.CERTIFICATE)),
    Field(f"object.definition.extensions[{v.EXT_TYPE}]",          "data.enrollment_mode", text),  # as enrollment
)

CALIPER_CERTIFICATE = (
    Field("object.id",                                            "course_id",            certificate_iri,
          required=True),
    Field("object.type",                                          const("DigitalResource")),
    Field("object.extensions.mode",                               "data.enrollment_mode", text),
)

XAPI_EXTRAS = {
    "edx.certificate.created": (
        Field(f"context.extensions[{EXT_GENERATION_MODE}]",       "data.generation_mode", text),
    ),
    "edx.certificate.shared": (
        Field(f"context.extensions[{EXT_SOCIAL_NETWORK}]",        "data.social_network",  text),
    ),
    "edx.certificate.evidence_visited": (
        Field(f"context.extensions[{EXT_SOCIAL_NETWORK}]",        "data.social_network",  text),
    ),
}

CALIPER_EXTRAS = {
    "edx.certificate.created": (Field("extensions.generationMode", "data.generation_mode", text),),
    "edx.certificate.shared": (Field("extensions.socialNetwork", "data.social_network", text),),
    "edx.certificate.evidence_visited": (Field("extensions.socialNetwork", "data.social_network", text),),
}

EVENTS = (
    # Open edX event                     xAPI verb   Caliper type  action     profile
    ("edx.certificate.created",          v.RECEIVED, "Event",      "Created", "GeneralProfile"),
    ("edx.certificate.shared",           v.SHARED,   "Event",      "Shared",  "GeneralProfile"),
    ("edx.certificate.evidence_visited", v.VIEWED,   "ViewEvent",  "Viewed",  "ReadingProfile"),
)

VISITOR_EVENTS = {"edx.certificate.evidence_visited"}


def signed_in_visitor(event):
    """True when the context names who visited (its user id), not only the owner in the data."""
    user_id = event.context.get("user_id")
    if isinstance(user_id, bool):
        return False
    return (isinstance(user_id, int) and user_id >= 0) or (isinstance(user_id, str) and user_id.isdigit())


def unknown_visitor(event):
    """Why an event of a visitor who is not signed in is refused (None when they are)."""
    if signed_in_visitor(event):
        return None
    return "the visitor is not signed in (the user_id in the data is the certificate's owner, not who visited it)"


for name, verb, caliper_type, action, profile in EVENTS:
    mappings = (
        XapiMapping(event=name, verb=verb, fields=XAPI_CERTIFICATE + XAPI_EXTRAS[name], family=FAMILY),
        CaliperMapping(event=name, type=caliper_type, action=action, profile=profile,
                       fields=CALIPER_CERTIFICATE + CALIPER_EXTRAS[name], family=FAMILY),
    )
    register(*guarded(unknown_visitor, *mappings) if name in VISITOR_EVENTS else mappings)


# --- samples -------------------------------------------------------------------------

COURSE_ID = "course-v1:edX+DemoX+Demo_Course"
CERTIFICATE_ID = "5b1a2f7c0e2d4f8f9a6c3b1d2e4f6a8b"


def _sample(name, data, path):
    return {
        "name": name,
        "timestamp": "2024-03-04T10:20:30.123456+00:00",
        "context": {"course_id": COURSE_ID, "org_id": "edX", "user_id": 12, "username": "learner12",
                    "session": "0123456789abcdef", "ip": "10.0.0.1", "host": "lms.example.com",
                    "path": path, "agent": "Mozilla/5.0"},
        "data": {"user_id": 12, "course_id": COURSE_ID, "certificate_id": CERTIFICATE_ID,
                 "certificate_url": f"https://lms.example.com/certificates/{CERTIFICATE_ID}",
                 "enrollment_mode": "verified", **data},
    }


SAMPLES = {
    "edx.certificate.created": _sample("edx.certificate.created", {"generation_mode": "self"},
                                       "/courses/course-v1:edX+DemoX+Demo_Course/generate_user_cert"),
    "edx.certificate.shared": _sample("edx.certificate.shared", {"social_network": "linkedin"},
                                      f"/certificates/{CERTIFICATE_ID}"),
    "edx.certificate.evidence_visited": _sample(
        "edx.certificate.evidence_visited",
        {"social_network": "linkedin", "source_url": "https://www.linkedin.com/in/someone"},
        f"/certificates/{CERTIFICATE_ID}"),
}
