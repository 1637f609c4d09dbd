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

This module also holds the small helpers the forums and cohorts families share: a
mapping chosen per event (:class:`Either`), the guard on who acted
(:func:`acted_by_context_user`), and :func:`path_segment`.
"""
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from openedx_xapi import ids
from openedx_xapi.translator.caliper import CaliperMapping
from openedx_xapi.translator.common import course_iri, integer, text
from openedx_xapi.translator.mapping import Field, TranslationError, const
from openedx_xapi.translator.registry import register
from openedx_xapi.translator.xapi import XapiMapping

FAMILY = "teams"

# --- vocabulary (verbs as (IRI, display); kept here until vocabulary.py has them) ---------
CREATED = ("https://w3id.org/xapi/dod-isd/verbs/created", "created")
DELETED = ("https://w3id.org/xapi/dod-isd/verbs/deleted", "deleted")      # as ERB (forums)
EDITED = ("https://w3id.org/xapi/acrossx/verbs/edited", "edited")         # as ERB (forums)
VIEWED = ("http://id.tincanapi.com/verb/viewed", "viewed")                # as ERB
INTERACTED = ("http://adlnet.gov/expapi/verbs/interacted", "interacted")  # as ERB
SEARCHED = ("https://w3id.org/xapi/acrossx/verbs/searched", "searched")
JOINED = ("http://activitystrea.ms/schema/1.0/join", "joined")
LEFT = ("http://activitystrea.ms/schema/1.0/leave", "left")
ADDED = ("http://activitystrea.ms/schema/1.0/add", "added")
REMOVED = ("http://activitystrea.ms/schema/1.0/remove", "removed")

GROUP = "http://activitystrea.ms/schema/1.0/group"
COLLECTION = "http://activitystrea.ms/schema/1.0/collection"
PAGE = "http://activitystrea.ms/schema/1.0/page"

EXT_TYPE = "https://w3id.org/xapi/acrossx/extensions/type"              # ERB's "kind of" extension
EXT_TOTAL_ITEMS = "https://w3id.org/xapi/acrossx/extensions/total-items"  # ERB's count extension

_MEMBERSHIP_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/openedx-xapi/membership")


# --- shared helpers -------------------------------------------------------------------------

_SEGMENT = re.compile(r"[A-Za-z0-9._~:@!$&'()*+,;=-]+", re.ASCII)


def path_segment(value, ctx=None):
    """A scalar usable as one segment of an IRI path (no "/", "?", "#", spaces...), else None."""
    value = text(value)
    return value if value and len(value) <= 255 and _SEGMENT.fullmatch(value) else None


def _user_id(value):
    """A user id as event parsing reads one: an int >= 0, or a string of digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str) and value.isdigit() and len(value) < 20:
        return int(value)
    return None


def member_id(event):
    """The member an event is about (``data.user_id``), or None."""
    return _user_id(event.data.get("user_id"))


def is_own_membership(event):
    """True when the member is the actor: a learner joining or leaving themselves."""
    member = member_id(event)
    return member is not None and member == event.user_id


@dataclass(frozen=True)
class Either:
    """One event, two mappings: ``then`` when ``when(event)`` is true, else ``otherwise``."""
    when: Callable
    then: Any
    otherwise: Any

    @property
    def protocol(self):
        return self.then.protocol

    @property
    def event(self):
        return self.then.event

    @property
    def family(self):
        return self.then.family

    def translate(self, event, ctx):
        return (self.then if self.when(event) else self.otherwise).translate(event, ctx)


@dataclass(frozen=True)
class _ActedByContextUser:
    mapping: Any

    @property
    def protocol(self):
        return self.mapping.protocol

    @property
    def event(self):
        return self.mapping.event

    @property
    def family(self):
        return self.mapping.family

    def translate(self, event, ctx):
        if member_id(event) is not None and _user_id(event.context.get("user_id")) != event.user_id:
            raise TranslationError("no context.user_id: data.user_id names the member, not who acted")
        return self.mapping.translate(event, ctx)


def acted_by_context_user(*mappings):
    """Guard mappings of events whose ``data.user_id`` is a member, not the actor: reject
    the event when the actor would be taken from it (no usable ``context.user_id``)."""
    return tuple(_ActedByContextUser(mapping) for mapping in mappings)


def membership(organization):
    """A Caliper Membership source for the organization given by the source ``organization``:
    the member is named only when it is the actor; the id is stable per organization and
    member for one's own membership, one per event otherwise."""
    def source(event, ctx):
        group = organization(event, ctx)
        if not group:
            return None
        entity = {"id": None, "type": "Membership", "organization": group, "roles": ["Member"]}
        if is_own_membership(event):
            actor_id = ctx.actor_ids.actor_id(event, "caliper")
            entity["id"] = f"urn:uuid:{uuid.uuid5(_MEMBERSHIP_NAMESPACE, group['id'] + ' ' + actor_id)}"
            entity["member"] = {"id": f"{ctx.lms_root_url}/user/{actor_id}", "type": "Person"}
        else:
            entity["id"] = f"urn:uuid:{ids.statement_id(event, 'caliper', 1)}"
        entity["status"] = "Inactive" if event.name.endswith("removed") else "Active"
        return entity
    return source


def course_organization(event, ctx):
    """The course as the organization a group belongs to (Caliper ``subOrganizationOf``)."""
    iri = course_iri(event.course_id, ctx)
    return {"id": iri, "type": "CourseOffering"} if iri else None


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
    iri = team_iri(team_id, ctx)
    return {"objectType": "Activity", "id": iri, "definition": {"type": GROUP}} if iri else None


def _team_group(event, ctx):
    iri = team_iri(event.data.get("team_id"), ctx)
    return {"id": iri, "type": "Group"} if iri else None


def _viewed_activity(event, ctx):
    """What a teams page shows: its team, else its topic, else the course's teams page."""
    team = team_activity(event.data.get("team_id"), ctx)
    if team:
        return team
    for iri, kind in ((topic_iri(event, ctx), COLLECTION), (teams_page_iri(event, ctx), PAGE)):
        if iri:
            return {"objectType": "Activity", "id": iri, "definition": {"type": kind}}
    return None


_CALIPER_TYPE = {GROUP: "Group", COLLECTION: "DigitalResourceCollection", PAGE: "WebPage"}


def _viewed_entity(event, ctx):
    activity = _viewed_activity(event, ctx)
    return {"id": activity["id"], "type": _CALIPER_TYPE[activity["definition"]["type"]]} if activity else None


def _searched_activity(event, ctx):
    """Where teams were searched: the topic, else the course's teams page."""
    for iri, kind in ((topic_iri(event, ctx), COLLECTION), (teams_page_iri(event, ctx), PAGE)):
        if iri:
            return {"objectType": "Activity", "id": iri, "definition": {"type": kind}}
    return None


def _searched_entity(event, ctx):
    activity = _searched_activity(event, ctx)
    return {"id": activity["id"], "type": _CALIPER_TYPE[activity["definition"]["type"]]} if activity else None


def search_response(terms, results_count):
    """A Caliper SearchResponse source: the query's terms and the number of results."""
    def source(event, ctx):
        query, results = text(terms(event)), integer(results_count(event))
        if query is None and results is None:
            return None
        response = {"id": f"urn:uuid:{ids.statement_id(event, 'caliper', 1)}", "type": "SearchResponse"}
        if query is not None:
            response["query"] = {"id": f"urn:uuid:{ids.statement_id(event, 'caliper', 2)}", "type": "Query",
                                 "searchTerms": query}
        if results is not None and results >= 0:
            response["searchResultsItemCount"] = results
        return response
    return source


def count(value, ctx=None):
    """A number of things: an integer >= 0, else None."""
    value = integer(value)
    return value if value is not None and value >= 0 else None


# --- mapping tables -------------------------------------------------------------------------

XAPI_TEAM = (
    # target                                  source          transform
    Field("object.objectType",                const("Activity")),
    Field("object.id",                        "data.team_id", team_iri, required=True),
    Field("object.definition.type",           const(GROUP)),
)

CALIPER_TEAM = (
    Field("object.id",                        "data.team_id", team_iri, required=True),
    Field("object.type",                      const("Group")),
    Field("object.subOrganizationOf",         course_organization),
)

CALIPER_TEAM_MEMBERSHIP = (
    Field("object",                           membership(_team_group), required=True),
)

XAPI_TEAM_CHANGED = XAPI_TEAM + (
    Field(f"context.extensions[{EXT_TYPE}]",  "data.field",   text),
)
CALIPER_TEAM_CHANGED = CALIPER_TEAM + (
    Field("extensions.field",                 "data.field",   text),
    Field("extensions.oldValue",              "data.old",     text),
    Field("extensions.newValue",              "data.new",     text),
)

XAPI_TEAM_ADDED = XAPI_TEAM + (
    Field(f"context.extensions[{EXT_TYPE}]",  "data.add_method",    text),
)
XAPI_TEAM_REMOVED = XAPI_TEAM + (
    Field(f"context.extensions[{EXT_TYPE}]",  "data.remove_method", text),
)
CALIPER_TEAM_ADDED = CALIPER_TEAM_MEMBERSHIP + (
    Field("extensions.addMethod",             "data.add_method",    text),
)
CALIPER_TEAM_REMOVED = CALIPER_TEAM_MEMBERSHIP + (
    Field("extensions.removeMethod",          "data.remove_method", text),
)

XAPI_PAGE_VIEWED = (
    Field("object",                           _viewed_activity, required=True),
    Field(f"context.extensions[{EXT_TYPE}]",  "data.page_name", text),
)
CALIPER_PAGE_VIEWED = (
    Field("object",                           _viewed_entity, required=True),
    Field("extensions.pageName",              "data.page_name", text),
)

XAPI_SEARCHED = (
    Field("object",                                    _searched_activity, required=True),
    Field("result.response",                           "data.search_text", text),
    Field(f"result.extensions[{EXT_TOTAL_ITEMS}]",     "data.number_of_results", count),
)
CALIPER_SEARCHED = (
    Field("object",                                    _searched_entity, required=True),
    Field("generated", search_response(lambda event: event.data.get("search_text"),
                                       lambda event: event.data.get("number_of_results"))),
)

EVENTS = (
    # Open edX event              xAPI verb    xAPI fields        Caliper type   action      Caliper fields
    ("edx.team.created",          CREATED,     XAPI_TEAM,         "Event",       "Created",  CALIPER_TEAM),
    ("edx.team.deleted",          DELETED,     XAPI_TEAM,         "Event",       "Deleted",  CALIPER_TEAM),
    ("edx.team.changed",          EDITED,      XAPI_TEAM_CHANGED, "Event",       "Modified", CALIPER_TEAM_CHANGED),
    ("edx.team.activity_updated", INTERACTED,  XAPI_TEAM,         "Event",       "Used",     CALIPER_TEAM),
    ("edx.team.page_viewed",      VIEWED,      XAPI_PAGE_VIEWED,  "Event",       "Viewed",   CALIPER_PAGE_VIEWED),
    ("edx.team.searched",         SEARCHED,    XAPI_SEARCHED,     "SearchEvent", "Searched", CALIPER_SEARCHED),
)

MEMBERSHIP_EVENTS = (
    # Open edX event              own verb  someone else's  xAPI fields        Caliper action  Caliper fields
    ("edx.team.learner_added",    JOINED,   ADDED,          XAPI_TEAM_ADDED,   "Added",        CALIPER_TEAM_ADDED),
    ("edx.team.learner_removed",  LEFT,     REMOVED,        XAPI_TEAM_REMOVED, "Removed",      CALIPER_TEAM_REMOVED),
)

_PROFILES = {"Event": "GeneralProfile", "SearchEvent": "SearchProfile"}

for name, verb, xapi_fields, caliper_type, action, caliper_fields in EVENTS:
    register(*acted_by_context_user(
        XapiMapping(event=name, verb=verb, fields=xapi_fields, family=FAMILY),
        CaliperMapping(event=name, type=caliper_type, action=action, profile=_PROFILES[caliper_type],
                       fields=caliper_fields, family=FAMILY),
    ))

for name, own_verb, others_verb, xapi_fields, action, caliper_fields in MEMBERSHIP_EVENTS:
    register(*acted_by_context_user(
        Either(is_own_membership,
               XapiMapping(event=name, verb=own_verb, fields=xapi_fields, family=FAMILY),
               XapiMapping(event=name, verb=others_verb, fields=xapi_fields, family=FAMILY)),
        CaliperMapping(event=name, type="Event", action=action, profile="GeneralProfile",
                       fields=caliper_fields, family=FAMILY),
    ))


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
