"""Enrollment: a learner joins a course run, leaves it, or changes their mode.

================================== ============== ============ ===========================
Open edX event                     xAPI verb      Caliper      object
================================== ============== ============ ===========================
edx.course.enrollment.activated    registered     Activated    the course (CourseOffering)
edx.course.enrollment.deactivated  unregistered   Deactivated  the course
edx.course.enrollment.mode_changed registered     Modified     the course, with its new mode
================================== ============== ============ ===========================

Caliper 1.2 has no enrollment profile: these are generic ``Event`` s of the General
Profile, whose conformance table allows any action on any entity.
"""
from openedx_xapi.translator import vocabulary as v
from openedx_xapi.translator.caliper import CaliperMapping
from openedx_xapi.translator.common import course_iri, text
from openedx_xapi.translator.mapping import Field, const
from openedx_xapi.translator.registry import register
from openedx_xapi.translator.xapi import XapiMapping

FAMILY = "enrollment"

XAPI_FIELDS = (
    # target                                                   source        transform
    Field("object.objectType",                                 const("Activity")),
    Field("object.id",                                         "course_id",  course_iri, required=True),
    Field("object.definition.type",                            const(v.COURSE)),
    Field(f"object.definition.extensions[{v.EXT_ENROLLMENT_MODE}]", "data.mode", text),
)

CALIPER_FIELDS = (
    Field("object.id",                                         "course_id",  course_iri, required=True),
    Field("object.type",                                       const("CourseOffering")),
    Field("object.extensions.mode",                            "data.mode",  text),
)

EVENTS = (
    # Open edX event                          xAPI verb         Caliper action
    ("edx.course.enrollment.activated",       v.REGISTERED,     "Activated"),
    ("edx.course.enrollment.deactivated",     v.UNREGISTERED,   "Deactivated"),
    ("edx.course.enrollment.mode_changed",    v.REGISTERED,     "Modified"),
)

for name, verb, action in EVENTS:
    register(
        XapiMapping(event=name, verb=verb, fields=XAPI_FIELDS, family=FAMILY, course_is_object=True),
        CaliperMapping(event=name, type="Event", action=action, profile="GeneralProfile",
                       fields=CALIPER_FIELDS, family=FAMILY, course_is_object=True),
    )


def _sample(name, mode):
    course = "course-v1:edX+DemoX+Demo_Course"
    return {
        "name": name,
        "timestamp": "2024-03-04T10:20:30.123456+00:00",
        "context": {"course_id": course, "org_id": "edX", "user_id": 12, "username": "learner12",
                    "session": "0123456789abcdef", "ip": "10.0.0.1", "host": "lms.example.com",
                    "path": "/change_enrollment", "agent": "Mozilla/5.0"},
        "data": {"course_id": course, "user_id": 12, "mode": mode},
    }


SAMPLES = {name: _sample(name, "verified" if name.endswith("mode_changed") else "audit") for name, _, _ in EVENTS}
