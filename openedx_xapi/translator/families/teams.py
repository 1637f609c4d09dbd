"""Teams: learners create, join, leave, view and search the teams of a course.

============================ ==================== ======================== ==========================
Open edX event               xAPI verb            Caliper type / action    object
============================ ==================== ======================== ==========================
edx.team.created             created              Event Created            the team (Group)
edx.team.deleted             deleted              Event Deleted            the team
edx.team.changed             edited               Event Modified           the team, the changed field
edx.team.activity_updated    interacted           Event Used               the team
edx.team.learner_added       joined / added       Event Added              the team; Caliper: a Membership
edx.team.learner_removed     left / removed       Event Removed            the team; Caliper: a Membership
edx.team.page_viewed         viewed               Event Viewed             the team, else its topic, else the
                                                                           course's teams page
edx.team.searched            searched             SearchEvent Searched     the topic searched in; the search
                                                                           text and count of results
============================ ==================== ======================== ==========================

Who acted: the statement's actor is the user of the request (``context.user_id``).
``data.user_id`` of ``learner_added``/``learner_removed`` is the member, who may be
another learner (a course team member adding or removing them): that id never
appears in a document. When the member is the actor, the verb says so (joined, left);
otherwise it says that the actor added or removed someone (added, removed), and
Caliper's Membership then names no member. An event whose context has no user id is
rejected: event parsing would otherwise take the member for the actor.

Ids: a team is ``<LMS>/api/team/v0/teams/<team_id>`` and a topic
``<LMS>/api/team/v0/topics/<topic_id>,<course_id>`` (the Teams REST API's own URLs).
event-routing-backends does not map team events.
"""
from openedx_xapi.translator import vocabulary as v
from openedx_xapi.translator.caliper import CaliperMapping
from openedx_xapi.translator.common import (
    TEAM_CONTEXT_FIELDS,
    activity,
    count,
    course_entity,
    entity,
    membership,
    path_segment,
    search_response,
    text,
)
from openedx_xapi.translator.mapping import Field, const
from openedx_xapi.translator.mappings import acted_by_context_user, membership_mappings
from openedx_xapi.translator.registry import register
from openedx_xapi.translator.xapi import XapiMapping

FAMILY = "teams"


# --- teams: ids and entities ----------------------------------------------------------------

def team_iri(team_id, ctx):
    team_id = path_segment(team_id)
    return f"{ctx.lms_root_url}/api/team/v0/teams/{team_id}" if team_id else None


def topic_iri(event, ctx):
    topic_id, course = path_segment(event.data.get("topic_id")), path_segment(event.course_id)
    return f"{ctx.lms_root_url}/api/team/v0/topics/{topic_id},{course}" if topic_id and course else None


def teams_page_iri(event, ctx):
    course = path_segment(event.course_id)
    return f"{ctx.lms_root_url}/courses/{course}/teams/" if course else None


def team_activity(team_id, ctx):
    """A team as an xAPI activity (also used by the forums family for team discussions)."""
    return activity(team_iri(team_id, ctx), v.GROUP)


def _team_group(event, ctx):
    return entity(team_iri(event.data.get("team_id"), ctx), "Group")


def _searched_activity(event, ctx):
    """Where teams were searched: the topic, else the course's teams page."""
    return activity(topic_iri(event, ctx), v.COLLECTION) or activity(teams_page_iri(event, ctx), v.PAGE)


def _viewed_activity(event, ctx):
    """What a teams page shows: its team, else its topic, else the course's teams page."""
    return team_activity(event.data.get("team_id"), ctx) or _searched_activity(event, ctx)


_CALIPER_TYPE = {v.GROUP: "Group", v.COLLECTION: "DigitalResourceCollection", v.PAGE: "WebPage"}


def _as_entity(source):
    """A source: the activity ``source`` gives, as a Caliper entity."""
    def entity_of(event, ctx):
        found = source(event, ctx)
        return entity(found["id"], _CALIPER_TYPE[found["definition"]["type"]]) if found else None
    return entity_of


# --- mapping tables -------------------------------------------------------------------------

XAPI_TEAM = (
    # target                                  source          transform
    Field("object.objectType",                const("Activity")),
    Field("object.id",                        "data.team_id", team_iri, required=True),
    Field("object.definition.type",           const(v.GROUP)),
)

CALIPER_TEAM = (
    Field("object.id",                        "data.team_id", team_iri, required=True),
    Field("object.type",                      const("Group")),
    Field("object.subOrganizationOf",         course_entity),
)

CALIPER_TEAM_MEMBERSHIP = (
    Field("object",                           membership(_team_group), required=True),
)

XAPI_TEAM_CHANGED = XAPI_TEAM + (
    Field(f"context.extensions[{v.EXT_TYPE}]",  "data.field",   text),
)
CALIPER_TEAM_CHANGED = CALIPER_TEAM + (
    Field("extensions.field",                 "data.field",   text),
    Field("extensions.oldValue",              "data.old",     text),
    Field("extensions.newValue",              "data.new",     text),
)

XAPI_TEAM_ADDED = XAPI_TEAM + (
    Field(f"context.extensions[{v.EXT_TYPE}]",  "data.add_method",    text),
)
XAPI_TEAM_REMOVED = XAPI_TEAM + (
    Field(f"context.extensions[{v.EXT_TYPE}]",  "data.remove_method", text),
)
CALIPER_TEAM_ADDED = CALIPER_TEAM_MEMBERSHIP + (
    Field("extensions.addMethod",             "data.add_method",    text),
)
CALIPER_TEAM_REMOVED = CALIPER_TEAM_MEMBERSHIP + (
    Field("extensions.removeMethod",          "data.remove_method", text),
)

XAPI_PAGE_VIEWED = (
    Field("object",                           _viewed_activity, required=True),
    Field(f"context.extensions[{v.EXT_TYPE}]",  "data.page_name", text),
)
CALIPER_PAGE_VIEWED = (
    Field("object",                           _as_entity(_viewed_activity), required=True),
    Field("extensions.pageName",              "data.page_name", text),
)

XAPI_SEARCHED = (
    Field("object",                                    _searched_activity, required=True),
    Field("result.response",                           "data.search_text", text),
    Field(f"result.extensions[{v.EXT_TOTAL_ITEMS}]",   "data.number_of_results", count),
)
CALIPER_SEARCHED = (
    Field("object",                                    _as_entity(_searched_activity), required=True),
    Field("generated", search_response(lambda event: event.data.get("search_text"),
                                       lambda event: event.data.get("number_of_results"))),
)

EVENTS = (
    # Open edX event              xAPI verb     xAPI fields        Caliper type   action      Caliper fields
    ("edx.team.created",          v.CREATED,    XAPI_TEAM,         "Event",       "Created",  CALIPER_TEAM),
    ("edx.team.deleted",          v.DELETED,    XAPI_TEAM,         "Event",       "Deleted",  CALIPER_TEAM),
    ("edx.team.changed",          v.EDITED,     XAPI_TEAM_CHANGED, "Event",       "Modified", CALIPER_TEAM_CHANGED),
    ("edx.team.activity_updated", v.INTERACTED, XAPI_TEAM,         "Event",       "Used",     CALIPER_TEAM),
    ("edx.team.page_viewed",      v.VIEWED,     XAPI_PAGE_VIEWED,  "Event",       "Viewed",   CALIPER_PAGE_VIEWED),
    ("edx.team.searched",         v.SEARCHED,   XAPI_SEARCHED,     "SearchEvent", "Searched", CALIPER_SEARCHED),
)

MEMBERSHIP_EVENTS = (
    # Open edX event             own verb  someone else's  xAPI fields        Caliper action  Caliper fields
    ("edx.team.learner_added",   v.JOINED, v.ADDED,        XAPI_TEAM_ADDED,   "Added",        CALIPER_TEAM_ADDED),
    ("edx.team.learner_removed", v.LEFT,   v.REMOVED,      XAPI_TEAM_REMOVED, "Removed",      CALIPER_TEAM_REMOVED),
)

_PROFILES = {"Event": "GeneralProfile", "SearchEvent": "SearchProfile"}

for name, verb, xapi_fields, caliper_type, action, caliper_fields in EVENTS:
    register(*acted_by_context_user(
        XapiMapping(event=name, verb=verb, fields=xapi_fields + TEAM_CONTEXT_FIELDS, family=FAMILY),
        CaliperMapping(event=name, type=caliper_type, action=action, profile=_PROFILES[caliper_type],
                       fields=caliper_fields, family=FAMILY),
    ))

for name, own_verb, others_verb, xapi_fields, action, caliper_fields in MEMBERSHIP_EVENTS:
    register(*membership_mappings(name, FAMILY, own_verb, others_verb, xapi_fields + TEAM_CONTEXT_FIELDS, action,
                                  caliper_fields))


# --- samples --------------------------------------------------------------------------------

COURSE = "course-v1:edX+DemoX+Demo_Course"


def _sample(name, data, user_id=21, path="/api/team/v0/teams/"):
    return {
        "name": name,
        "timestamp": "2024-03-05T14:02:11.482913+00:00",
        "context": {"course_id": COURSE, "org_id": "edX", "user_id": user_id, "username": "learner21",
                    "session": "7d3f0b1c9e8a4f62b5d1c0a9e8f7d6c5", "ip": "10.0.0.21", "host": "lms.example.com",
                    "path": path, "agent": "Mozilla/5.0"},
        "data": data,
    }


SAMPLES = {
    "edx.team.created": _sample("edx.team.created", {"team_id": "quantum-owls-7f3a2c"}),
    "edx.team.deleted": _sample("edx.team.deleted", {"team_id": "quantum-owls-7f3a2c"},
                                path="/api/team/v0/teams/quantum-owls-7f3a2c"),
    "edx.team.changed": _sample("edx.team.changed", {
        "team_id": "quantum-owls-7f3a2c", "field": "description", "old": "We study qubits.",
        "new": "We study qubits and entanglement.", "truncated": []}, path="/api/team/v0/teams/quantum-owls-7f3a2c"),
    "edx.team.activity_updated": _sample("edx.team.activity_updated", {"team_id": "quantum-owls-7f3a2c"},
                                         path="/api/discussion/v1/comments/"),
    "edx.team.learner_added": _sample("edx.team.learner_added", {
        "team_id": "quantum-owls-7f3a2c", "user_id": 21, "add_method": "joined_from_team_view"},
        path="/api/team/v0/team_membership/"),
    "edx.team.learner_removed": _sample("edx.team.learner_removed", {
        "team_id": "quantum-owls-7f3a2c", "user_id": 34, "remove_method": "removed_by_admin"},
        user_id=5, path="/api/team/v0/team_membership/quantum-owls-7f3a2c,learner34"),
    "edx.team.page_viewed": _sample("edx.team.page_viewed", {
        "page_name": "single-team", "topic_id": "quantum-computing", "team_id": "quantum-owls-7f3a2c"},
        path="/event"),
    "edx.team.searched": _sample("edx.team.searched", {
        "search_text": "entanglement", "topic_id": "quantum-computing", "number_of_results": 3},
        path="/api/team/v0/teams/"),
}
