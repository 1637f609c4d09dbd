"""Drag and drop (the drag_and_drop_v2 XBlock): learners drag items onto zones of an image.

======================================= ========== ========================== ==============================
Open edX event                          xAPI verb  Caliper                    object
======================================= ========== ========================== ==============================
edx.drag_and_drop_v2.loaded             viewed     ViewEvent Viewed           the problem
edx.drag_and_drop_v2.item.picked_up     selected   AssessmentItem Started     the item (in the problem)
edx.drag_and_drop_v2.item.dropped       answered   AssessmentItem Completed   the item; the zone as response
edx.drag_and_drop_v2.feedback.opened    viewed     ViewEvent Viewed           the problem's feedback pop-up
edx.drag_and_drop_v2.feedback.closed    closed     Event Hid                  the problem's feedback pop-up
======================================= ========== ========================== ==============================

The problem is a ``cmi.interaction`` of type ``matching`` (items to zones); each
draggable item is a ``choice`` interaction of its own, ``<problem>/item/<item id>``,
whose answer (``result.response``) is the zone it was dropped on and whose
``result.success`` is the event's ``is_correct``; the problem is then the item's
``parent``. The feedback pop-up is ``<problem>/feedback``, typed like ERB's problem
hints (acrossx supplemental-info); its text goes in a result extension.

Caliper: the problem is an ``Assessment``, an item an ``AssessmentItem`` that
``isPartOf`` it; a drop generates a ``MultipleChoiceResponse`` (the zone).

ERB does not map these events.
"""
import re

from openedx_xapi.translator import vocabulary as v
from openedx_xapi.translator.caliper import CaliperMapping
from openedx_xapi.translator.common import (
    boolean,
    display_name,
    entity,
    generated_id,
    integer,
    language_map,
    module_iri,
    text,
)
from openedx_xapi.translator.mapping import Field, const
from openedx_xapi.translator.registry import register
from openedx_xapi.translator.xapi import XapiMapping

FAMILY = "drag and drop"

DIFFERENCES_FROM_ERB = {}  # ERB maps none of these events

# xAPI extensions of our own
EXT_ZONE_ID = "https://w3id.org/xapi/openedx/extension/zone-id"
EXT_CORRECT_ZONE = "https://w3id.org/xapi/openedx/extension/correct-zone"
EXT_NUMBER_INPUT = "https://w3id.org/xapi/openedx/extension/number-input"
EXT_CLOSED_MANUALLY = "https://w3id.org/xapi/openedx/extension/closed-manually"

_ITEM_ID = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


# --- reading the event --------------------------------------------------------------------

problem_iri = module_iri  # the problem is the block that published the event


def item_key(value):
    """An item's id as a path segment: a non-negative integer or a short plain token."""
    number = integer(value)
    if number is not None:
        return str(number) if number >= 0 else None
    value = text(value)
    return value if value and _ITEM_ID.fullmatch(value) else None


def item_iri(event, ctx):
    problem, item = problem_iri(event, ctx), item_key(event.data.get("item_id"))
    return f"{problem}/item/{item}" if problem and item else None


def feedback_iri(event, ctx):
    problem = problem_iri(event, ctx)
    return f"{problem}/feedback" if problem else None


def zone(event, ctx):
    """The zone the item was dropped on: its title, else its id."""
    return text(event.data.get("location")) or text(event.data.get("location_id"))


def number_input(value, ctx):
    return integer(value) if integer(value) is not None else text(value)


# --- xAPI activities ------------------------------------------------------------------------

def problem_activity(event, ctx):
    """The whole problem, as the ``parent`` of its items and feedback."""
    problem = problem_iri(event, ctx)
    if not problem:
        return None
    definition = {"type": v.CMI_INTERACTION, "interactionType": "matching"}
    name = language_map(display_name(event, ctx), ctx)
    if name:
        definition["name"] = name
    return {"objectType": "Activity", "id": problem, "definition": definition}


XAPI_PROBLEM = (
    Field("object.objectType",                         const("Activity")),
    Field("object.id",                                 problem_iri,    required=True),
    Field("object.definition.type",                    const(v.CMI_INTERACTION)),
    Field("object.definition.interactionType",         const("matching")),
    Field("object.definition.name",                    display_name,   language_map),
)

XAPI_ITEM = (
    Field("object.objectType",                         const("Activity")),
    Field("object.id",                                 item_iri,       required=True),
    Field("object.definition.type",                    const(v.CMI_INTERACTION)),
    Field("object.definition.interactionType",         const("choice")),
    Field("object.definition.name",                    "data.item",    language_map),
)

XAPI_FEEDBACK = (
    Field("object.objectType",                         const("Activity")),
    Field("object.id",                                 feedback_iri,   required=True),
    Field("object.definition.type",                    const(v.SUPPLEMENTAL_INFO)),
    Field(f"result.extensions[{v.EXT_FEEDBACK}]",      "data.content", text),
)

XAPI_FIELDS = {
    "problem": XAPI_PROBLEM,
    "pick": XAPI_ITEM,
    "drop": XAPI_ITEM + (
        Field("result.response",                       zone),
        Field("result.success",                        "data.is_correct", boolean),
        Field(f"result.extensions[{EXT_ZONE_ID}]",     "data.location_id", text),
        Field(f"result.extensions[{EXT_CORRECT_ZONE}]", "data.is_correct_location", boolean),
        Field(f"result.extensions[{EXT_NUMBER_INPUT}]", "data.input", number_input),
    ),
    "feedback shown": XAPI_FEEDBACK,
    "feedback hidden": XAPI_FEEDBACK + (
        Field(f"result.extensions[{EXT_CLOSED_MANUALLY}]", "data.manually", boolean),
    ),
}

# --- Caliper entities -----------------------------------------------------------------------

def problem_entity(event, ctx):
    return entity(problem_iri(event, ctx), "Assessment")


def dropped_response(event, ctx):
    response = {"id": generated_id(event, 1), "type": "MultipleChoiceResponse"}
    value = zone(event, ctx)
    if value:
        response["value"] = value
    extensions = {
        "zoneId": text(event.data.get("location_id")),
        "isCorrect": boolean(event.data.get("is_correct")),
        "isCorrectLocation": boolean(event.data.get("is_correct_location")),
        "numberInput": number_input(event.data.get("input"), ctx) if event.data.get("input") is not None else None,
    }
    extensions = {key: value for key, value in extensions.items() if value is not None}
    if extensions:
        response["extensions"] = extensions
    return response


CALIPER_PROBLEM = (
    Field("object.id",                                 problem_iri,    required=True),
    Field("object.type",                               const("Assessment")),
    Field("object.name",                               display_name),
)

CALIPER_ITEM = (
    Field("object.id",                                 item_iri,       required=True),
    Field("object.type",                               const("AssessmentItem")),
    Field("object.name",                               "data.item",    text),
    Field("object.isPartOf",                           problem_entity),
)

CALIPER_FEEDBACK = (
    Field("object.id",                                 feedback_iri,   required=True),
    Field("object.type",                               const("DigitalResource")),
    Field("object.description",                        "data.content", text),
    Field("object.isPartOf",                           problem_entity),
)

CALIPER_FIELDS = {
    "problem": CALIPER_PROBLEM,
    "pick": CALIPER_ITEM,
    "drop": CALIPER_ITEM + (
        Field("generated",                             dropped_response),
    ),
    "feedback shown": CALIPER_FEEDBACK,
    "feedback hidden": CALIPER_FEEDBACK + (
        Field("extensions.closedManually",             "data.manually", boolean),
    ),
}

PROBLEM = problem_activity  # the item's or feedback's parent: the whole problem
PROFILES = {"ViewEvent": "AssessmentProfile", "AssessmentItemEvent": "AssessmentProfile", "Event": "GeneralProfile"}
ITEM = "AssessmentItemEvent"

EVENTS = (
    # Open edX event                         shape              xAPI verb   Caliper type  action       parent
    ("edx.drag_and_drop_v2.loaded",          "problem",         v.VIEWED,   "ViewEvent",  "Viewed",    None),
    ("edx.drag_and_drop_v2.item.picked_up",  "pick",            v.SELECTED, ITEM,         "Started",   PROBLEM),
    ("edx.drag_and_drop_v2.item.dropped",    "drop",            v.ANSWERED, ITEM,         "Completed", PROBLEM),
    ("edx.drag_and_drop_v2.feedback.opened", "feedback shown",  v.VIEWED,   "ViewEvent",  "Viewed",    PROBLEM),
    ("edx.drag_and_drop_v2.feedback.closed", "feedback hidden", v.CLOSED,   "Event",      "Hid",       PROBLEM),
)

for name, shape, verb, caliper_type, action, parent in EVENTS:
    register(
        XapiMapping(event=name, verb=verb, fields=XAPI_FIELDS[shape], family=FAMILY, parent=parent),
        CaliperMapping(event=name, type=caliper_type, action=action, profile=PROFILES[caliper_type],
                       fields=CALIPER_FIELDS[shape], family=FAMILY),
    )


# --- samples ----------------------------------------------------------------------------------

COURSE = "course-v1:edX+DemoX+Demo_Course"
BLOCK = "block-v1:edX+DemoX+Demo_Course+type@drag-and-drop-v2+block@d2b3f1a0c9e84d7f8a6b5c4d3e2f1a0b"
FEEDBACK = "Correct! This one belongs to the top zone."


def _sample(name, data, handler):
    return {
        "name": name,
        "timestamp": "2024-03-04T10:20:30.123456+00:00",
        "context": {"course_id": COURSE, "org_id": "edX", "user_id": 12, "username": "learner12",
                    "session": "0123456789abcdef", "ip": "10.0.0.1", "host": "lms.example.com",
                    "path": f"/courses/{COURSE}/xblock/{BLOCK}/handler/{handler}", "agent": "Mozilla/5.0",
                    "event_source": "server",
                    "module": {"usage_key": BLOCK, "display_name": "Drag the animals to their habitat"}},
        "data": data,
    }


SAMPLES = {
    "edx.drag_and_drop_v2.loaded": _sample("edx.drag_and_drop_v2.loaded", {}, "publish_event"),
    "edx.drag_and_drop_v2.item.picked_up": _sample("edx.drag_and_drop_v2.item.picked_up", {"item_id": 0},
                                                   "publish_event"),
    "edx.drag_and_drop_v2.item.dropped": _sample("edx.drag_and_drop_v2.item.dropped", {
        "item": "Polar bear", "item_id": 0, "location": "Arctic", "location_id": "arctic", "is_correct": True,
    }, "drop_item"),
    "edx.drag_and_drop_v2.feedback.opened": _sample("edx.drag_and_drop_v2.feedback.opened", {
        "content": FEEDBACK, "truncated": False,
    }, "publish_event"),
    "edx.drag_and_drop_v2.feedback.closed": _sample("edx.drag_and_drop_v2.feedback.closed", {
        "content": FEEDBACK, "manually": True, "truncated": False,
    }, "publish_event"),
}
