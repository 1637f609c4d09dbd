"""Library content (randomized content blocks): which library components a learner is
given, and which they no longer see.

========================================== ========== =============== ===========================
Open edX event                             xAPI verb  Caliper         object
========================================== ========== =============== ===========================
edx.librarycontentblock.content.assigned   received   Event Added     the randomized content block
edx.librarycontentblock.content.removed    lost       Event Removed   the randomized content block
========================================== ========== =============== ===========================

The learner does not act here: the LMS assigns components when they first open the
block (or when the course team raises its count) and takes them back when the library
or the block's settings change. The Activity Streams verbs ``receive`` and ``lose``
say that from the learner's side (ADL and acrossx have no such verbs).

xAPI: the block is a ``module`` activity; the components received (``added``) or lost
(``removed``) are its ``contextActivities.other``, each with its library original
(``original_usage_key``) in a definition extension; why they were removed
(``overlimit``/``invalid``) is a context extension.

Caliper has no profile for this: generic Events whose object is the block as a
``DigitalResourceCollection`` whose ``items`` are the components added or removed.

ERB does not map these events.
"""
import re

from openedx_xapi.translator import vocabulary as v
from openedx_xapi.translator.caliper import CaliperMapping
from openedx_xapi.translator.common import block_iri, count, display_name, language_map, module_iri, text
from openedx_xapi.translator.mapping import Field, const
from openedx_xapi.translator.registry import register
from openedx_xapi.translator.xapi import XapiMapping

FAMILY = "library content"

DIFFERENCES_FROM_ERB = {}  # ERB maps none of these events

# xAPI extensions of our own
EXT_ORIGINAL_USAGE_KEY = "https://w3id.org/xapi/openedx/extension/original-usage-key"
EXT_REASON = "https://w3id.org/xapi/openedx/extension/reason"

_NOT_IN_IRI = re.compile(r"[\s<>\"{}|\\^`\x00-\x1f\x7f-\x9f]")


# --- reading the event --------------------------------------------------------------------

def block(event, ctx):
    """The randomized content block: the event's ``location``, else the publishing module."""
    return block_iri(event.data.get("location"), ctx) or module_iri(event, ctx)


def components(event, key, ctx):
    """The components listed under ``key`` ("added", "removed"): (IRI in the course, library original)."""
    listed = event.data.get(key)
    found, seen = [], set()
    for component in listed if isinstance(listed, list) else ():
        if not isinstance(component, dict):
            continue
        iri = block_iri(component.get("usage_key"), ctx)
        if iri and not _NOT_IN_IRI.search(iri) and iri not in seen:  # a junk key drops that component only
            seen.add(iri)
            found.append((iri, text(component.get("original_usage_key"))))
    return found


# --- xAPI -----------------------------------------------------------------------------------

def component_activities(key):
    """A source: the components under ``key`` as xAPI activities."""
    def source(event, ctx):
        activities = []
        for iri, original in components(event, key, ctx):
            activity = {"objectType": "Activity", "id": iri}
            if original:
                activity["definition"] = {"extensions": {EXT_ORIGINAL_USAGE_KEY: original}}
            activities.append(activity)
        return activities or None
    return source


XAPI_BLOCK = (
    Field("object.objectType",                              const("Activity")),
    Field("object.id",                                      block,             required=True),
    Field("object.definition.type",                         const(v.MODULE)),
    Field("object.definition.name",                         display_name,      language_map),
)

XAPI_FIELDS = {
    "added": XAPI_BLOCK + (
        Field("context.contextActivities.other",            component_activities("added")),
    ),
    "removed": XAPI_BLOCK + (
        Field("context.contextActivities.other",            component_activities("removed")),
        Field(f"context.extensions[{EXT_REASON}]",          "data.reason",     text),
    ),
}


# --- Caliper --------------------------------------------------------------------------------

def component_entities(key):
    """A source: the components under ``key`` as Caliper DigitalResources."""
    def source(event, ctx):
        entities = []
        for iri, original in components(event, key, ctx):
            entity = {"id": iri, "type": "DigitalResource"}
            if original:
                entity["extensions"] = {"originalUsageKey": original}
            entities.append(entity)
        return entities or None
    return source


CALIPER_BLOCK = (
    Field("object.id",                                      block,             required=True),
    Field("object.type",                                    const("DigitalResourceCollection")),
    Field("object.name",                                    display_name),
    Field("extensions.maxCount",                            "data.max_count",  count),
    Field("extensions.previousCount",                       "data.previous_count", count),
)

CALIPER_FIELDS = {
    "added": CALIPER_BLOCK + (
        Field("object.items",                               component_entities("added")),
    ),
    "removed": CALIPER_BLOCK + (
        Field("object.items",                               component_entities("removed")),
        Field("extensions.reason",                          "data.reason",     text),
    ),
}

EVENTS = (
    # Open edX event                             components  xAPI verb   Caliper action
    ("edx.librarycontentblock.content.assigned", "added",    v.RECEIVED, "Added"),
    ("edx.librarycontentblock.content.removed",  "removed",  v.LOST,     "Removed"),
)

for name, key, verb, action in EVENTS:
    register(
        XapiMapping(event=name, verb=verb, fields=XAPI_FIELDS[key], family=FAMILY),
        CaliperMapping(event=name, type="Event", action=action, profile="GeneralProfile",
                       fields=CALIPER_FIELDS[key], family=FAMILY),
    )


# --- samples ----------------------------------------------------------------------------------

COURSE = "course-v1:edX+DemoX+Demo_Course"
LIBRARY_BLOCK = "block-v1:edX+DemoX+Demo_Course+type@library_content+block@3a4b5c6d7e8f40918273645546372819"


def _component(block_id, library_block_id):
    return {
        "usage_key": f"block-v1:edX+DemoX+Demo_Course+type@problem+block@{block_id}",
        "original_usage_key": f"lb:edX:QuestionBank:problem:{library_block_id}",
        "original_usage_version": "65f0c1d2e3a4b5c6d7e8f901",
        "descendants": [],
    }


FIRST, SECOND, THIRD = _component("a1", "q1"), _component("b2", "q2"), _component("c3", "q3")


def _sample(name, data):
    return {
        "name": name,
        "timestamp": "2024-03-04T10:20:30.123456+00:00",
        "context": {"course_id": COURSE, "org_id": "edX", "user_id": 12, "username": "learner12",
                    "session": "0123456789abcdef", "ip": "10.0.0.1", "host": "lms.example.com",
                    "path": f"/courses/{COURSE}/courseware/unit1/", "agent": "Mozilla/5.0",
                    "event_source": "server",
                    "module": {"usage_key": LIBRARY_BLOCK, "display_name": "Randomized quiz questions"}},
        "data": {"location": LIBRARY_BLOCK, "max_count": 2, **data},
    }


SAMPLES = {
    "edx.librarycontentblock.content.assigned": _sample("edx.librarycontentblock.content.assigned", {
        "previous_count": 0, "result": [FIRST, SECOND], "added": [FIRST, SECOND],
    }),
    "edx.librarycontentblock.content.removed": _sample("edx.librarycontentblock.content.removed", {
        "previous_count": 3, "result": [FIRST, SECOND], "removed": [THIRD], "reason": "overlimit",
    }),
}
