"""Cohorts: the course's cohorts are created and learners are placed in them.

================================= ================ ===================== =============================
Open edX event                    xAPI verb        Caliper type / action object
================================= ================ ===================== =============================
edx.cohort.created                created          Event Created         the cohort (Group)
edx.cohort.creation_requested     requested        Event Submitted       the cohort
edx.cohort.user_added             joined / added   Event Added           the cohort; Caliper: a
                                                                         Membership
edx.cohort.user_removed           left / removed   Event Removed         the cohort; Caliper: a
                                                                         Membership
edx.cohort.user_add_requested     requested        Event Submitted       the cohort, the previous one
                                                                         in ``other``; Caliper: a
                                                                         Membership
================================= ================ ===================== =============================

``created``/``user_added``/``user_removed`` are emitted whoever or whatever causes them
(a course team member, or the platform placing a learner in an automatic cohort on
their first visit); the ``*_requested`` events are emitted besides them when a course
team member acts on the instructor dashboard, hence "requested" (Caliper has no such
action: the request is Submitted).

Who acted, as for teams (see :mod:`.teams`): the actor is the user of the request;
``data.user_id``, the member, never appears; when the member is the actor the verb is
joined/left, otherwise added/removed; an event without ``context.user_id`` is
rejected. The cohort is ``<LMS>/api/cohorts/v1/courses/<course_id>/cohorts/<cohort_id>``
(the Cohorts REST API), named by its display name. event-routing-backends does not map
cohort events.
"""
from openedx_xapi.translator import vocabulary as v
from openedx_xapi.translator.caliper import CaliperMapping
from openedx_xapi.translator.common import (
    activity,
    course_entity,
    integer,
    membership,
    path_segment,
    text,
)
from openedx_xapi.translator.mapping import Field, const
from openedx_xapi.translator.mappings import acted_by_context_user, membership_mappings
from openedx_xapi.translator.registry import register
from openedx_xapi.translator.xapi import XapiMapping

FAMILY = "cohorts"


# --- ids and entities -----------------------------------------------------------------------

def cohort_iri_for(event, cohort_id, ctx):
    cohort_id, course = integer(cohort_id), path_segment(event.course_id)
    if cohort_id is None or cohort_id < 0 or not course:
        return None
    return f"{ctx.lms_root_url}/api/cohorts/v1/courses/{course}/cohorts/{cohort_id}"


def cohort_iri(event, ctx):
    return cohort_iri_for(event, event.data.get("cohort_id"), ctx)


def _cohort_group(event, ctx):
    iri = cohort_iri(event, ctx)
    if not iri:
        return None
    group = {"id": iri, "type": "Group"}
    name = text(event.data.get("cohort_name"))
    if name:
        group["name"] = name
    return group


def _previous_cohort(event, ctx):
    """The cohort a learner was moved out of (``previous_cohort_id``), as contextActivities.other."""
    cohort = activity(_previous_cohort_iri(event, ctx), v.GROUP)
    if not cohort:
        return None
    name = text(event.data.get("previous_cohort_name"))
    if name:
        cohort["definition"]["name"] = {"en": name}
    return [cohort]


def _previous_cohort_iri(event, ctx):
    return cohort_iri_for(event, event.data.get("previous_cohort_id"), ctx)


# --- mapping tables -------------------------------------------------------------------------

XAPI_COHORT = (
    # target                                  source              transform
    Field("object.objectType",                const("Activity")),
    Field("object.id",                        cohort_iri,         required=True),
    Field("object.definition.type",           const(v.GROUP)),
    Field("object.definition.name.en",        "data.cohort_name", text),
)

CALIPER_COHORT = (
    Field("object.id",                        cohort_iri,         required=True),
    Field("object.type",                      const("Group")),
    Field("object.name",                      "data.cohort_name", text),
    Field("object.subOrganizationOf",         course_entity),
)

CALIPER_MEMBERSHIP = (
    Field("object",                           membership(_cohort_group), required=True),
)

XAPI_ADD_REQUESTED = XAPI_COHORT + (
    Field("context.contextActivities.other",  _previous_cohort),
)
CALIPER_ADD_REQUESTED = CALIPER_MEMBERSHIP + (
    Field("extensions.previousCohort",        _previous_cohort_iri),
)

EVENTS = (
    # Open edX event                  xAPI verb       xAPI fields         Caliper action  Caliper fields
    ("edx.cohort.created",            v.CREATED,      XAPI_COHORT,        "Created",      CALIPER_COHORT),
    ("edx.cohort.creation_requested", v.REQUESTED_AS, XAPI_COHORT,        "Submitted",    CALIPER_COHORT),
    ("edx.cohort.user_add_requested", v.REQUESTED_AS, XAPI_ADD_REQUESTED, "Submitted",    CALIPER_ADD_REQUESTED),
)

MEMBERSHIP_EVENTS = (
    # Open edX event            own verb  someone else's  Caliper action
    ("edx.cohort.user_added",   v.JOINED, v.ADDED,        "Added"),
    ("edx.cohort.user_removed", v.LEFT,   v.REMOVED,      "Removed"),
)

for name, verb, xapi_fields, action, caliper_fields in EVENTS:
    register(*acted_by_context_user(
        XapiMapping(event=name, verb=verb, fields=xapi_fields, family=FAMILY),
        CaliperMapping(event=name, type="Event", action=action, profile="GeneralProfile",
                       fields=caliper_fields, family=FAMILY),
    ))

for name, own_verb, others_verb, action in MEMBERSHIP_EVENTS:
    register(*membership_mappings(name, FAMILY, own_verb, others_verb, XAPI_COHORT, action, CALIPER_MEMBERSHIP))


# --- samples --------------------------------------------------------------------------------

COURSE = "course-v1:edX+DemoX+Demo_Course"


def _sample(name, data, user_id=3, path="/courses/course-v1:edX+DemoX+Demo_Course/cohorts/"):
    return {
        "name": name,
        "timestamp": "2024-02-19T11:26:45.190377+00:00",
        "context": {"course_id": COURSE, "org_id": "edX", "user_id": user_id, "username": "staff3",
                    "session": "5b1e2d3c4f5a6b7c8d9e0f1a2b3c4d5e", "ip": "10.0.0.3", "host": "lms.example.com",
                    "path": path, "agent": "Mozilla/5.0"},
        "data": data,
    }


SAMPLES = {
    "edx.cohort.created": _sample("edx.cohort.created", {"cohort_id": 8, "cohort_name": "Evening section"}),
    "edx.cohort.creation_requested": _sample("edx.cohort.creation_requested",
                                             {"cohort_id": 8, "cohort_name": "Evening section"}),
    "edx.cohort.user_added": _sample("edx.cohort.user_added",
                                     {"user_id": 44, "cohort_id": 8, "cohort_name": "Evening section"},
                                     user_id=44, path="/courses/course-v1:edX+DemoX+Demo_Course/courseware"),
    "edx.cohort.user_removed": _sample("edx.cohort.user_removed",
                                       {"user_id": 44, "cohort_id": 2, "cohort_name": "Default Group"},
                                       path="/courses/course-v1:edX+DemoX+Demo_Course/cohorts/8/add"),
    "edx.cohort.user_add_requested": _sample("edx.cohort.user_add_requested", {
        "user_id": 44, "cohort_id": 8, "cohort_name": "Evening section", "previous_cohort_id": 2,
        "previous_cohort_name": "Default Group"}, path="/courses/course-v1:edX+DemoX+Demo_Course/cohorts/8/add"),
}
