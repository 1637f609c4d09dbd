"""Bookmarks: a learner bookmarks a unit, removes the bookmark, follows or lists them.

===================== ============ =============================== ====================================
Open edX event        xAPI verb    Caliper                         object
===================== ============ =============================== ====================================
edx.bookmark.added    bookmarked   AnnotationEvent Bookmarked      the unit; generates the bookmark
edx.bookmark.removed  unbookmarked Event Removed                   the bookmark (BookmarkAnnotation)
edx.bookmark.accessed navigated    NavigationEvent NavigatedTo     the unit
edx.bookmark.listed   viewed       ViewEvent Viewed                the bookmarks page (WebPage)
===================== ============ =============================== ====================================

The bookmarked block is ``<LMS>/xblock/<usage key>``, its activity type chosen by its
block type. ``bookmark_id`` is left out: Open edX builds it from the learner's username.
The Caliper bookmark (a ``BookmarkAnnotation``) gets an id of its own, the same for one
learner and one block, so that its removal names what its creation generated.

xAPI has no verb to take a bookmark back; ``unbookmarked`` is ours, in the namespace of
event-routing-backends' Open edX verbs (``voted``, ``unreported``). ERB does not map
these events.
"""
import uuid

from openedx_xapi.translator import vocabulary as v
from openedx_xapi.translator.caliper import CaliperMapping
from openedx_xapi.translator.common import course_page, integer, learner_key, text, usage_iri
from openedx_xapi.translator.families.navigation import browser_event
from openedx_xapi.translator.mapping import Field, const
from openedx_xapi.translator.mappings import register_checked
from openedx_xapi.translator.xapi import XapiMapping

FAMILY = "bookmarks"

UNBOOKMARKED = ("https://w3id.org/xapi/openedx/verb/unbookmarked", "unbookmarked")
EXT_PAGE_NUMBER = v.OPENEDX_EXTENSION + "page-number"
EXT_PAGE_SIZE = v.OPENEDX_EXTENSION + "page-size"

#: The activity type of a bookmarked block, by block type (event-routing-backends' types).
BLOCK_TYPES = {
    "chapter": v.MODULE,
    "sequential": v.MODULE,
    "vertical": v.MODULE,
    "problem": v.QUESTION,
    "video": v.VIDEO,
}
BOOKMARK_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/openedx-xapi/bookmark")


def block_type(event, ctx):
    component_type = event.data.get("component_type")
    return BLOCK_TYPES.get(component_type, v.RESOURCE) if isinstance(component_type, str) else v.RESOURCE


def bookmark(event, ctx):
    """The learner's bookmark of the block, as a Caliper ``BookmarkAnnotation``."""
    block = usage_iri(event.data.get("component_usage_id"), ctx)
    if block is None:
        return None
    learner = learner_key(event, ctx)
    return {"id": f"urn:uuid:{uuid.uuid5(BOOKMARK_NAMESPACE, f'{learner} {block}')}",
            "type": "BookmarkAnnotation", "annotated": block}


def bookmarks_page(event, ctx):
    """The course's bookmarks page; the bookmarks API for a list across courses."""
    return course_page(event, ctx, "bookmarks/") or f"{ctx.lms_root_url}/api/bookmarks/v1/bookmarks/"


XAPI_BLOCK = (
    Field("object.objectType",                                  const("Activity")),
    Field("object.id",                                          "data.component_usage_id", usage_iri, required=True),
    Field("object.definition.type",                             block_type),
)
CALIPER_BLOCK = (
    Field("object.id",                                          "data.component_usage_id", usage_iri, required=True),
    Field("object.type",                                        const("DigitalResource")),
)
CALIPER_BOOKMARK_ADDED = CALIPER_BLOCK + (
    Field("generated",                                          bookmark),
)
CALIPER_BOOKMARK = (
    Field("object",                                             bookmark,                  required=True),
)
XAPI_LIST = (
    Field("object.objectType",                                  const("Activity")),
    Field("object.id",                                          bookmarks_page,            required=True),
    Field("object.definition.type",                             const(v.WEBPAGE)),
    Field(f"object.definition.extensions[{v.EXT_TOTAL_ITEMS}]", "data.bookmarks_count",    integer),
    Field(f"context.extensions[{EXT_PAGE_NUMBER}]",             "data.page_number",        integer),
    Field(f"context.extensions[{EXT_PAGE_SIZE}]",               "data.page_size",          integer),
)
CALIPER_LIST = (
    Field("object.id",                                          bookmarks_page,            required=True),
    Field("object.type",                                        const("WebPage")),
    Field("object.extensions.bookmarks_count",                  "data.bookmarks_count",    integer),
    Field("object.extensions.list_type",                        "data.list_type",          text),
    Field("extensions.page_number",                             "data.page_number",        integer),
    Field("extensions.page_size",                               "data.page_size",          integer),
)

EVENTS = (
    # Open edX event          xAPI verb       xAPI fields  Caliper (type, action, profile)                  fields
    ("edx.bookmark.added",    v.BOOKMARKED,   XAPI_BLOCK,  ("AnnotationEvent", "Bookmarked", "AnnotationProfile"),
                                                           CALIPER_BOOKMARK_ADDED),
    ("edx.bookmark.removed",  UNBOOKMARKED,   XAPI_BLOCK,  ("Event", "Removed", "GeneralProfile"), CALIPER_BOOKMARK),
    ("edx.bookmark.accessed", v.NAVIGATED,    XAPI_BLOCK,  ("NavigationEvent", "NavigatedTo", "ReadingProfile"),
                                                           CALIPER_BLOCK),
    ("edx.bookmark.listed",   v.VIEWED,       XAPI_LIST,   ("ViewEvent", "Viewed", "ReadingProfile"), CALIPER_LIST),
)

for name, verb, xapi_fields, (caliper_type, action, profile), caliper_fields in EVENTS:
    register_checked(
        XapiMapping(event=name, verb=verb, fields=xapi_fields, family=FAMILY),
        CaliperMapping(event=name, type=caliper_type, action=action, profile=profile, fields=caliper_fields,
                       family=FAMILY),
    )

# ------------------------------------------------------------------------------ samples

COURSE = "course-v1:edX+DemoX+Demo_Course"
UNIT = "block-v1:edX+DemoX+Demo_Course+type@vertical+block@867dddb6f55d410caaa9c1eb9c6743ec"
_BOOKMARK = {"bookmark_id": f"learner12,{UNIT}", "component_type": "vertical", "component_usage_id": UNIT}
_COURSE_HOME = "http://localhost:18000/courses/course-v1:edX+DemoX+Demo_Course/bookmarks/"

SAMPLES = {
    "edx.bookmark.added": browser_event("edx.bookmark.added", {**_BOOKMARK, "course_id": COURSE}),
    "edx.bookmark.removed": browser_event("edx.bookmark.removed", {**_BOOKMARK, "course_id": COURSE}),
    "edx.bookmark.accessed": browser_event("edx.bookmark.accessed", dict(_BOOKMARK), page=_COURSE_HOME),
    "edx.bookmark.listed": browser_event("edx.bookmark.listed", {
        "course_id": COURSE, "list_type": "per_course", "bookmarks_count": 7, "page_number": 1, "page_size": 10},
        page=_COURSE_HOME),
}
# edx.bookmark.added and .removed are emitted by the server (the bookmarks API).
for _name in ("edx.bookmark.added", "edx.bookmark.removed"):
    SAMPLES[_name]["context"].update(path="/api/bookmarks/v1/bookmarks/", event_source="server")
    SAMPLES[_name]["context"].pop("page")
