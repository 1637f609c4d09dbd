"""Student notes: a learner highlights course text and writes notes about it.

============================================= ========== =============================== ============================
Open edX event                                xAPI verb  Caliper                         object
============================================= ========== =============================== ============================
edx.course.student_notes.added                posted     AnnotationEvent Highlighted     the component; generates
                                                                                         the note (HighlightAnnotation)
edx.course.student_notes.edited               edited     Event Modified                  the note
edx.course.student_notes.deleted              deleted    Event Deleted                   the note
edx.course.student_notes.viewed               viewed     Event Viewed                    each note seen (one document
                                                                                         per note)
edx.course.student_notes.notes_page_viewed    viewed     ViewEvent Viewed                the Notes page (WebPage)
edx.course.student_notes.searched             searched   SearchEvent Searched            the Notes page
edx.course.student_notes.used_unit_link       navigated  NavigationEvent NavigatedTo     the component
============================================= ========== =============================== ============================

In xAPI a note is an activity of the PDF Annotator profile's ``note`` type, with id
``<LMS>/courses/<course id>/edxnotes/#note-<note id>`` (the course's Notes page, where
it is listed); the component it annotates is its ``parent``. Adding, editing and deleting
use the verbs event-routing-backends uses for a learner's own forum posts (``posted``,
``edited``, ``deleted``); the text of the note is the ``result.response``, the
highlighted course text the profile's ``highlightedString`` extension, and the tags
``http://id.tincanapi.com/extension/tags``. Notes are the learner's content, not
personal data; the ``user`` that Open edX adds to some of these events is left out.

In Caliper the note is a ``HighlightAnnotation`` of the component, with the same id; its
text and tags are extensions. A search of the notes is a ``SearchEvent`` whose generated
``SearchResponse`` holds the query and the number of results. ERB does not map these
events.
"""
import dataclasses

from openedx_xapi import ids
from openedx_xapi.translator import vocabulary as v
from openedx_xapi.translator.caliper import CaliperMapping
from openedx_xapi.translator.common import activity, count, course_page, entity, escape, integer, text, usage_iri
from openedx_xapi.translator.families.navigation import browser_event
from openedx_xapi.translator.mapping import Field, TranslationError, const
from openedx_xapi.translator.mappings import Wrapper, register_checked
from openedx_xapi.translator.xapi import XapiMapping

FAMILY = "notes"

EXT_NOTES_VIEW = v.OPENEDX_EXTENSION + "notes-view"
EXT_RESULTS = v.OPENEDX_EXTENSION + "results-count"

#: At most this many documents for the notes seen at once (the page shows a handful).
MAX_NOTES_VIEWED = 50


# ------------------------------------------------------------------------------ sources

def notes_page(event, ctx):
    return course_page(event, ctx, "edxnotes/")


def notes_page_entity(event, ctx):
    return entity(notes_page(event, ctx), "WebPage")


def note_iri(event, ctx):
    page, note_id = notes_page(event, ctx), text(event.data.get("note_id"))
    return f"{page}#note-{escape(note_id)}" if page and note_id else None


def annotated_component(event, ctx):
    """The component the note is about, as the xAPI ``parent`` of the note."""
    return activity(usage_iri(event.data.get("component_usage_id"), ctx), v.RESOURCE)


def the_note(event, ctx):
    """The note as an xAPI activity (in ``contextActivities.other`` of a link followed from it)."""
    note = activity(note_iri(event, ctx), v.NOTE)
    return [note] if note else None


def tags(value, ctx):
    tag_list = [tag for tag in (text(item) for item in value) if tag] if isinstance(value, list) else []
    return tag_list or None


def highlight(event, ctx):
    """The note as a Caliper ``HighlightAnnotation``: the highlighted text, the note, its tags."""
    note = note_iri(event, ctx)
    if note is None:
        return None
    annotation = {"id": note, "type": "HighlightAnnotation"}
    component = usage_iri(event.data.get("component_usage_id"), ctx)
    selection = text(event.data.get("highlighted_content"))
    extensions = {key: value for key, value in (("note_text", text(event.data.get("note_text"))),
                                               ("tags", tags(event.data.get("tags"), ctx))) if value}
    for key, value in (("annotated", component), ("selectionText", selection), ("extensions", extensions)):
        if value:
            annotation[key] = value
    return annotation


def search_response(event, ctx):
    """What the search produced: the query and how many notes matched."""
    response = {"id": f"urn:uuid:{ids.statement_id(event, 'caliper/search-response')}", "type": "SearchResponse"}
    terms = text(event.data.get("search_string"))
    if terms:
        response["query"] = {"id": f"urn:uuid:{ids.statement_id(event, 'caliper/query')}", "type": "Query",
                             "searchTerms": terms}
    results = count(event.data.get("number_of_results"))
    if results is not None:
        response["searchResultsItemCount"] = results
    return response


def found(event, ctx):
    results = count(event.data.get("number_of_results"))
    return results > 0 if results is not None else None


# ------------------------------------------------------------------------------- tables

XAPI_NOTE = (
    Field("object.objectType",                                  const("Activity")),
    Field("object.id",                                          note_iri,                    required=True),
    Field("object.definition.type",                             const(v.NOTE)),
)
XAPI_NOTE_TEXT = XAPI_NOTE + (
    Field("result.response",                                    "data.note_text",            text),
    Field(f"context.extensions[{v.EXT_HIGHLIGHTED}]",           "data.highlighted_content",  text),
    Field(f"context.extensions[{v.EXT_TAGS}]",                  "data.tags",                 tags),
)
XAPI_NOTES_PAGE = (
    Field("object.objectType",                                  const("Activity")),
    Field("object.id",                                          notes_page,                  required=True),
    Field("object.definition.type",                             const(v.WEBPAGE)),
)
XAPI_PAGE_VIEWED = XAPI_NOTES_PAGE + (
    Field(f"context.extensions[{EXT_NOTES_VIEW}]",              "data.view",                 text),
)
XAPI_SEARCH = XAPI_NOTES_PAGE + (
    Field("result.response",                                    "data.search_string",        text),
    Field("result.success",                                     found),
    Field(f"result.extensions[{EXT_RESULTS}]",                  "data.number_of_results",    integer),
)
XAPI_UNIT_LINK = (
    Field("object.objectType",                                  const("Activity")),
    Field("object.id",                                          "data.component_usage_id",   usage_iri, required=True),
    Field("object.definition.type",                             const(v.RESOURCE)),
    Field("context.contextActivities.other",                    the_note),
    Field(f"context.extensions[{EXT_NOTES_VIEW}]",              "data.view",                 text),
)

CALIPER_HIGHLIGHTED = (
    Field("object.id",                                          "data.component_usage_id",   usage_iri, required=True),
    Field("object.type",                                        const("DigitalResource")),
    Field("generated",                                          highlight),
)
CALIPER_NOTE = (
    Field("object",                                             highlight,                   required=True),
)
CALIPER_NOTE_SEEN = (
    Field("object.id",                                          note_iri,                    required=True),
    Field("object.type",                                        const("Annotation")),
)
CALIPER_NOTES_PAGE = (
    Field("object.id",                                          notes_page,                  required=True),
    Field("object.type",                                        const("WebPage")),
)
CALIPER_PAGE_VIEWED = CALIPER_NOTES_PAGE + (
    Field("extensions.view",                                    "data.view",                 text),
)
CALIPER_SEARCH = CALIPER_NOTES_PAGE + (
    Field("generated",                                          search_response),
)
CALIPER_UNIT_LINK = (
    Field("object.id",                                          "data.component_usage_id",   usage_iri, required=True),
    Field("object.type",                                        const("DigitalResource")),
    Field("referrer",                                           notes_page_entity),
    Field("extensions.view",                                    "data.view",                 text),
)

COMPONENT_PARENT = annotated_component
HIGHLIGHTED = ("AnnotationEvent", "Highlighted", "AnnotationProfile")
MODIFIED = ("Event", "Modified", "GeneralProfile")
REMOVED = ("Event", "Deleted", "GeneralProfile")
PAGE_VIEWED = ("ViewEvent", "Viewed", "ReadingProfile")
SEARCH = ("SearchEvent", "Searched", "SearchProfile")
NAVIGATION = ("NavigationEvent", "NavigatedTo", "ReadingProfile")

EVENTS = (
    # Open edX event                               xAPI verb    xAPI fields       parent            Caliper      fields
    ("edx.course.student_notes.added",             v.POSTED,    XAPI_NOTE_TEXT,   COMPONENT_PARENT, HIGHLIGHTED,
     CALIPER_HIGHLIGHTED),
    ("edx.course.student_notes.edited",            v.EDITED,    XAPI_NOTE_TEXT,   COMPONENT_PARENT, MODIFIED,
     CALIPER_NOTE),
    ("edx.course.student_notes.deleted",           v.DELETED,   XAPI_NOTE,        COMPONENT_PARENT, REMOVED,
     CALIPER_NOTE),
    ("edx.course.student_notes.notes_page_viewed", v.VIEWED,    XAPI_PAGE_VIEWED, None,             PAGE_VIEWED,
     CALIPER_PAGE_VIEWED),
    ("edx.course.student_notes.searched",          v.SEARCHED,  XAPI_SEARCH,      None,             SEARCH,
     CALIPER_SEARCH),
    ("edx.course.student_notes.used_unit_link",    v.NAVIGATED, XAPI_UNIT_LINK,   None,             NAVIGATION,
     CALIPER_UNIT_LINK),
)

for name, verb, xapi_fields, parent, (caliper_type, action, profile), caliper_fields in EVENTS:
    register_checked(
        XapiMapping(event=name, verb=verb, fields=xapi_fields, family=FAMILY, parent=parent),
        CaliperMapping(event=name, type=caliper_type, action=action, profile=profile, fields=caliper_fields,
                       family=FAMILY),
    )


# ------------------------------------------------------- one document per note seen

class PerNoteSeen(Wrapper):
    """``edx.course.student_notes.viewed`` lists the notes shown at once: one document each.

    Each note is translated by ``mapping`` as if the event carried that one ``note_id``;
    the documents are numbered with the event's own deterministic ids.
    """

    def __init__(self, mapping):
        self.mapping = mapping

    def translate(self, event, ctx):
        notes = seen_note_ids(event.data.get("notes"))
        if not notes:
            raise TranslationError("no note ids in data.notes")
        documents = []
        for index, note_id in enumerate(notes):
            one_note = dataclasses.replace(event, data={**event.data, "note_id": note_id})
            for document in self.mapping.translate(one_note, ctx):
                statement_id = ids.statement_id(event, self.protocol, index)
                document["id"] = statement_id if self.protocol == "xapi" else f"urn:uuid:{statement_id}"
                documents.append(document)
        return documents


def seen_note_ids(notes):
    """``[{"note_id": ...}, ...]`` (or bare ids) -> distinct note ids, at most MAX_NOTES_VIEWED."""
    if not isinstance(notes, list):
        return []
    found_ids = (text(note.get("note_id")) if isinstance(note, dict) else text(note) for note in notes)
    return list(dict.fromkeys(note_id for note_id in found_ids if note_id))[:MAX_NOTES_VIEWED]


register_checked(
    PerNoteSeen(XapiMapping(event="edx.course.student_notes.viewed", verb=v.VIEWED, fields=XAPI_NOTE, family=FAMILY)),
    PerNoteSeen(CaliperMapping(event="edx.course.student_notes.viewed", type="Event", action="Viewed",
                               profile="GeneralProfile", fields=CALIPER_NOTE_SEEN, family=FAMILY)),
)

# ------------------------------------------------------------------------------ samples

COMPONENT = "block-v1:edX+DemoX+Demo_Course+type@html+block@030e35c4756a4ddc8d40b95fbbfff4d4"
NOTES_PAGE = "http://localhost:18000/courses/course-v1:edX+DemoX+Demo_Course/edxnotes/"
_NOTE = {"note_id": "5c6f3a2e8b1d4e0f9a7b6c5d", "component_usage_id": COMPONENT,
         "note_text": "Remember: the mean is pulled by outliers, the median is not.",
         "highlighted_content": "The median is a robust measure of central tendency.",
         "tags": ["statistics", "exam"], "truncated": []}


def _note_event(name, data, page=None):
    return browser_event(name, data, **({"page": page} if page else {}))


SAMPLES = {
    "edx.course.student_notes.added": _note_event("edx.course.student_notes.added", dict(_NOTE)),
    "edx.course.student_notes.edited": _note_event("edx.course.student_notes.edited", {
        **_NOTE, "note_text": "Mean vs median: outliers move the mean only.",
        "old_note_text": _NOTE["note_text"], "old_tags": ["statistics"]}),
    "edx.course.student_notes.deleted": _note_event("edx.course.student_notes.deleted", dict(_NOTE)),
    "edx.course.student_notes.viewed": _note_event("edx.course.student_notes.viewed", {
        "notes": [{"note_id": "5c6f3a2e8b1d4e0f9a7b6c5d"}, {"note_id": "5c6f3a2e8b1d4e0f9a7b6c5e"}]}),
    "edx.course.student_notes.notes_page_viewed": _note_event("edx.course.student_notes.notes_page_viewed", {
        "view": "Recent Activity"}, page=NOTES_PAGE),
    "edx.course.student_notes.searched": _note_event("edx.course.student_notes.searched", {
        "number_of_results": 3, "search_string": "median"}, page=NOTES_PAGE),
    "edx.course.student_notes.used_unit_link": _note_event("edx.course.student_notes.used_unit_link", {
        "note_id": "5c6f3a2e8b1d4e0f9a7b6c5d", "component_usage_id": COMPONENT, "view": "Search Results"},
        page=NOTES_PAGE),
}
