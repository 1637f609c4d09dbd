"""Enrollment: a learner joins a course run, leaves it, or changes their mode.

======================================= ============ ============ ===================================
Open edX event                          xAPI verb    Caliper      object
======================================= ============ ============ ===================================
edx.course.enrollment.activated         registered   Activated    the course (CourseOffering)
edx.course.enrollment.deactivated       unregistered Deactivated  the course
edx.course.enrollment.mode_changed      registered   Modified     the course, with its new mode
edx.course.enrollment.upgrade_clicked   selected     NavigatedTo  the course, with the mode until then
edx.course.enrollment.upgrade.succeeded purchased    Subscribed   the course, with its new mode
======================================= ============ ============ ===================================

Caliper 1.2 has no enrollment profile: these are generic ``Event`` s of the General
Profile, whose conformance table allows any action on any entity.

The upgrade events (``edx.course.enrollment.upgrade_clicked``: the learner chose to
upgrade; ``edx.course.enrollment.upgrade.succeeded``: the payment for the verified track
went through) carry the mode in their *context* (tracking-log documentation); the
shopping cart puts it in the data as well. event-routing-backends maps neither. Neither
is a new registration (``mode_changed`` says that), hence verbs of their own.
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
    Field(f"object.definition.extensions[{v.EXT_TYPE}]",       "data.mode",  text),
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


def mode_of_upgrade(event, ctx):
    """The mode of an upgrade event: in the data, or else in the context."""
    return text(event.data.get("mode")) or text(event.context.get("mode"))


UPGRADE_XAPI_FIELDS = XAPI_FIELDS[:-1] + (
    Field(f"object.definition.extensions[{v.EXT_TYPE}]",       mode_of_upgrade),
)
UPGRADE_CALIPER_FIELDS = CALIPER_FIELDS[:-1] + (
    Field("object.extensions.mode",                            mode_of_upgrade),
)

UPGRADE_EVENTS = (
    # Open edX event                          xAPI verb         Caliper action
    ("edx.course.enrollment.upgrade_clicked",   v.SELECTED,     "NavigatedTo"),
    ("edx.course.enrollment.upgrade.succeeded", v.PURCHASED,    "Subscribed"),
)

for events, xapi_fields, caliper_fields in ((EVENTS, XAPI_FIELDS, CALIPER_FIELDS),
                                            (UPGRADE_EVENTS, UPGRADE_XAPI_FIELDS, UPGRADE_CALIPER_FIELDS)):
    for name, verb, action in events:
        register(
            XapiMapping(event=name, verb=verb, fields=xapi_fields, family=FAMILY, course_is_object=True),
            CaliperMapping(event=name, type="Event", action=action, profile="GeneralProfile",
                           fields=caliper_fields, family=FAMILY, course_is_object=True),
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


def _upgrade_sample(name, mode, path, data):
    sample = _sample(name, mode)
    sample["context"].update(mode=mode, path=path)
    sample["data"] = data
    return sample


SAMPLES.update({
    # a browser event: no data; the mode the learner upgrades from is in the context
    "edx.course.enrollment.upgrade_clicked": _upgrade_sample(
        "edx.course.enrollment.upgrade_clicked", "audit", "/courses/course-v1:edX+DemoX+Demo_Course/course/", {}),
    "edx.course.enrollment.upgrade.succeeded": _upgrade_sample(
        "edx.course.enrollment.upgrade.succeeded", "verified", "/checkout/receipt/",
        {"course_id": "course-v1:edX+DemoX+Demo_Course", "user_id": 12, "mode": "verified"}),
})
