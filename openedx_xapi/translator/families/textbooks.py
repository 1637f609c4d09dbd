"""Textbooks: a learner reads a PDF (or PNG) textbook in the LMS's viewer.

============================================ ========== =============================== ==============================
Open edX event                               xAPI verb  Caliper                         object / target
============================================ ========== =============================== ==============================
book                                         viewed     ViewEvent Viewed                the document / the new page
textbook.pdf.page.navigated                  navigated  NavigationEvent NavigatedTo     the document / the page
textbook.pdf.thumbnail.navigated             navigated  NavigationEvent NavigatedTo     the document / the page
textbook.pdf.chapter.navigated               navigated  NavigationEvent NavigatedTo     the document
textbook.pdf.page.scrolled                   navigated  NavigationEvent NavigatedTo     the document / the page
textbook.pdf.display.scrolled                navigated  NavigationEvent NavigatedTo     the document / the page
textbook.pdf.thumbnails.toggled              interacted Event Used                      the document
textbook.pdf.outline.toggled                 interacted Event Used                      the document
textbook.pdf.zoom.buttons.changed            interacted Event ChangedSize               the document
textbook.pdf.zoom.menu.changed               interacted Event ChangedSize               the document
textbook.pdf.display.scaled                  interacted Event ChangedSize               the document
textbook.pdf.search.executed                 searched   SearchEvent Searched            the document
textbook.pdf.search.navigatednext            searched   SearchEvent Searched            the document
textbook.pdf.search.highlight.toggled        interacted Event Used                      the document
textbook.pdf.searchcasesensitivity.toggled   interacted Event Used                      the document
textbook.pdf.search.casesensitivity.toggled  interacted Event Used                      the document
============================================ ========== =============================== ==============================

The viewer emits ``textbook.pdf.page.scrolled`` and
``textbook.pdf.searchcasesensitivity.toggled``; older documentation calls them
``textbook.pdf.display.scrolled`` and ``textbook.pdf.search.casesensitivity.toggled``.
Both spellings are mapped.

The object is the PDF file (``chapter``, a path on the LMS), as a ``document`` activity
and a Caliper ``Document``; PNG textbooks, whose ``book`` events carry no file, are
identified by the viewer's page. Page numbers use the navigation vocabulary
(``starting-position``/``ending-point``, or ``position`` for the open page); a Caliper
page is a ``Page`` whose id is the PDF's ``#page=N``. The search text is the
statement's ``result.response``; ``result.success`` says whether it was found. The
viewer's options (zoom, scroll direction, case sensitivity, ...) go in extensions of
our own under ``https://w3id.org/xapi/openedx/extension/``. event-routing-backends does
not map these events.
"""
from openedx_xapi import ids
from openedx_xapi.translator import vocabulary as v
from openedx_xapi.translator.caliper import CaliperMapping
from openedx_xapi.translator.common import boolean, integer, page_iri, text
from openedx_xapi.translator.families.navigation import browser_event
from openedx_xapi.translator.mapping import Field, const
from openedx_xapi.translator.mappings import register_checked
from openedx_xapi.translator.xapi import XapiMapping

FAMILY = "textbooks"

EXT_DIRECTION = v.OPENEDX_EXTENSION + "direction"
EXT_ZOOM = v.OPENEDX_EXTENSION + "zoom"
EXT_CASE_SENSITIVE = v.OPENEDX_EXTENSION + "case-sensitive"
EXT_HIGHLIGHT_ALL = v.OPENEDX_EXTENSION + "highlight-all"
EXT_FIND_PREVIOUS = v.OPENEDX_EXTENSION + "find-previous"


# ------------------------------------------------------------------------------ sources

def textbook_iri(event, ctx):
    """The PDF file the viewer shows, else (PNG textbooks) the viewer's page, without its query."""
    document = page_iri(event.data.get("chapter"), ctx)
    if document:
        return document
    viewer = page_iri(event.context.get("page"), ctx)
    return viewer.partition("?")[0] if viewer else None


def _page_at(key, name_key=None):
    """The textbook's page ``data.<key>`` as a Caliper ``Page``: ``<document>#page=N``."""
    def page(event, ctx):
        document, number = textbook_iri(event, ctx), integer(event.data.get(key))
        if document is None or number is None or number < 1:
            return None
        entity = {"id": f"{document}#page={number}", "type": "Page", "isPartOf": document}
        name = text(event.data.get(name_key)) if name_key else None
        return {**entity, "name": name} if name else entity
    return page


def _search_found(event, ctx):
    """The viewer's status line is blank when the text is found, and says "not found" when not."""
    status = event.data.get("status")
    if not isinstance(status, str):
        return None
    if not status.strip():
        return True
    return False if "not found" in status.lower() else None


def _find_previous(event, ctx):
    data = event.data  # the documentation writes "findprevious"; pdf.js sends "findPrevious"
    return boolean(data.get("findPrevious", data.get("findprevious")))


def _search_response(event, ctx):
    """What the search produced: the query, on this document."""
    document = textbook_iri(event, ctx)
    if document is None:
        return None
    response = {"id": f"urn:uuid:{ids.statement_id(event, 'caliper/search-response')}", "type": "SearchResponse",
                "searchTarget": document}
    terms = text(event.data.get("query"))
    if terms:
        response["query"] = {"id": f"urn:uuid:{ids.statement_id(event, 'caliper/query')}", "type": "Query",
                             "searchTerms": terms, "searchTarget": document}
    return response


# ------------------------------------------------------------------------------- tables

XAPI_DOCUMENT = (
    Field("object.objectType",                                  const("Activity")),
    Field("object.id",                                          textbook_iri,        required=True),
    Field("object.definition.type",                             const(v.DOCUMENT)),
)
CALIPER_DOCUMENT = (
    Field("object.id",                                          textbook_iri,        required=True),
    Field("object.type",                                        const("Document")),
)


def moved(end, end_transform=integer, start=None):
    """To a place in the textbook (a page number, or a chapter's title), from ``start``."""
    arrival = Field(f"context.extensions[{v.EXT_ENDING_POINT}]", end, end_transform)
    return (Field(f"context.extensions[{v.EXT_STARTING_POSITION}]", start, integer), arrival) if start else (arrival,)


OPEN_PAGE = (
    Field(f"context.extensions[{v.EXT_POSITION}]",              "data.page",         integer),
)
OPEN_PAGE_CALIPER = (
    Field("extensions.page",                                    "data.page",         integer),
)
SEARCH_OPTIONS = (
    Field(f"context.extensions[{EXT_CASE_SENSITIVE}]",          "data.caseSensitive", boolean),
    Field(f"context.extensions[{EXT_HIGHLIGHT_ALL}]",           "data.highlightAll", boolean),
)
SEARCH_OPTIONS_CALIPER = (
    Field("extensions.case_sensitive",                          "data.caseSensitive", boolean),
    Field("extensions.highlight_all",                           "data.highlightAll", boolean),
)
SEARCH_RESULT = (
    Field("result.response",                                    "data.query",        text),
    Field("result.success",                                     _search_found),
)

# What each event adds to the document frame: (xAPI fields, Caliper fields).
BOOK = (moved("data.new", start="data.old"),
        (Field("target", _page_at("new")), Field("extensions.navigation", "data.type", text)))
ENTERED_PAGE = (moved("data.page"), (Field("target", _page_at("page")),))
THUMBNAIL = (moved("data.page"), (Field("target", _page_at("page", name_key="thumbnail_title")),))
CHAPTER = (moved("data.chapter_title", text), (Field("extensions.chapter_title", "data.chapter_title", text),))
SCROLLED = (moved("data.page") + (Field(f"context.extensions[{EXT_DIRECTION}]", "data.direction", text),),
            (Field("target", _page_at("page")), Field("extensions.direction", "data.direction", text)))
TOGGLED = (OPEN_PAGE, OPEN_PAGE_CALIPER)
ZOOM_BUTTONS = (OPEN_PAGE + (Field(f"context.extensions[{EXT_DIRECTION}]", "data.direction", text),),
                OPEN_PAGE_CALIPER + (Field("extensions.direction", "data.direction", text),))
ZOOMED = (OPEN_PAGE + (Field(f"context.extensions[{EXT_ZOOM}]", "data.amount", text),),
          OPEN_PAGE_CALIPER + (Field("extensions.zoom", "data.amount", text),))
SEARCH = (OPEN_PAGE + SEARCH_OPTIONS + SEARCH_RESULT,
          OPEN_PAGE_CALIPER + SEARCH_OPTIONS_CALIPER + (Field("generated", _search_response),))
SEARCH_XAPI, SEARCH_CALIPER = SEARCH
SEARCH_AGAIN = (SEARCH_XAPI + (Field(f"context.extensions[{EXT_FIND_PREVIOUS}]", _find_previous),),
                SEARCH_CALIPER + (Field("extensions.find_previous", _find_previous),))
SEARCH_OPTION_TOGGLED = (OPEN_PAGE + SEARCH_OPTIONS, OPEN_PAGE_CALIPER + SEARCH_OPTIONS_CALIPER)

VIEW = ("ViewEvent", "Viewed", "ReadingProfile")
NAVIGATION = ("NavigationEvent", "NavigatedTo", "ReadingProfile")
USE = ("Event", "Used", "GeneralProfile")
RESIZE = ("Event", "ChangedSize", "GeneralProfile")
SEARCH_EVENT = ("SearchEvent", "Searched", "SearchProfile")

EVENTS = (
    # Open edX event                                xAPI verb      Caliper (type, action, profile)  fields
    ("book",                                        v.VIEWED,      VIEW,          BOOK),
    ("textbook.pdf.page.navigated",                 v.NAVIGATED,   NAVIGATION,    ENTERED_PAGE),
    ("textbook.pdf.thumbnail.navigated",            v.NAVIGATED,   NAVIGATION,    THUMBNAIL),
    ("textbook.pdf.chapter.navigated",              v.NAVIGATED,   NAVIGATION,    CHAPTER),
    ("textbook.pdf.page.scrolled",                  v.NAVIGATED,   NAVIGATION,    SCROLLED),
    ("textbook.pdf.display.scrolled",               v.NAVIGATED,   NAVIGATION,    SCROLLED),
    ("textbook.pdf.thumbnails.toggled",             v.INTERACTED,  USE,           TOGGLED),
    ("textbook.pdf.outline.toggled",                v.INTERACTED,  USE,           TOGGLED),
    ("textbook.pdf.zoom.buttons.changed",           v.INTERACTED,  RESIZE,        ZOOM_BUTTONS),
    ("textbook.pdf.zoom.menu.changed",              v.INTERACTED,  RESIZE,        ZOOMED),
    ("textbook.pdf.display.scaled",                 v.INTERACTED,  RESIZE,        ZOOMED),
    ("textbook.pdf.search.executed",                v.SEARCHED,    SEARCH_EVENT,  SEARCH),
    ("textbook.pdf.search.navigatednext",           v.SEARCHED,    SEARCH_EVENT,  SEARCH_AGAIN),
    ("textbook.pdf.search.highlight.toggled",       v.INTERACTED,  USE,           SEARCH_OPTION_TOGGLED),
    ("textbook.pdf.searchcasesensitivity.toggled",  v.INTERACTED,  USE,           SEARCH_OPTION_TOGGLED),
    ("textbook.pdf.search.casesensitivity.toggled", v.INTERACTED,  USE,           SEARCH_OPTION_TOGGLED),
)

for name, verb, (caliper_type, action, profile), (xapi_fields, caliper_fields) in EVENTS:
    register_checked(
        XapiMapping(event=name, verb=verb, fields=XAPI_DOCUMENT + xapi_fields, family=FAMILY),
        CaliperMapping(event=name, type=caliper_type, action=action, profile=profile,
                       fields=CALIPER_DOCUMENT + caliper_fields, family=FAMILY),
    )

# ------------------------------------------------------------------------------ samples

PDF = "/asset-v1:edX+DemoX+Demo_Course+type@asset+block/Introduction_to_Statistics.pdf"
PDF_VIEWER = "http://localhost:18000/courses/course-v1:edX+DemoX+Demo_Course/pdfbook/0/"


def _pdf_event(name, **data):
    return browser_event(name, {"chapter": PDF, "name": name, **data}, page=PDF_VIEWER)


def _search(name, **data):
    return _pdf_event(name, **{"caseSensitive": False, "highlightAll": True, "query": "variance", "status": "",
                               "page": 12, **data})


SAMPLES = {
    "book": browser_event("book", {"chapter": PDF, "name": "textbook.pdf.page.loaded", "type": "gotopage",
                                   "old": 3, "new": 4}, page=PDF_VIEWER),
    "textbook.pdf.page.navigated": _pdf_event("textbook.pdf.page.navigated", page="17"),
    "textbook.pdf.thumbnail.navigated": _pdf_event("textbook.pdf.thumbnail.navigated", page=2,
                                                   thumbnail_title="Page 2"),
    "textbook.pdf.chapter.navigated": _pdf_event("textbook.pdf.chapter.navigated",
                                                 chapter_title="Chapter 2: Probability"),
    "textbook.pdf.page.scrolled": _pdf_event("textbook.pdf.page.scrolled", page=5, direction="down"),
    "textbook.pdf.display.scrolled": _pdf_event("textbook.pdf.display.scrolled", page=4, direction="up"),
    "textbook.pdf.thumbnails.toggled": _pdf_event("textbook.pdf.thumbnails.toggled", page=1),
    "textbook.pdf.outline.toggled": _pdf_event("textbook.pdf.outline.toggled", page=3),
    "textbook.pdf.zoom.buttons.changed": _pdf_event("textbook.pdf.zoom.buttons.changed", page=3, direction="in"),
    "textbook.pdf.zoom.menu.changed": _pdf_event("textbook.pdf.zoom.menu.changed", page=3, amount="page_fit"),
    "textbook.pdf.display.scaled": _pdf_event("textbook.pdf.display.scaled", page=3, amount=1.25),
    "textbook.pdf.search.executed": _search("textbook.pdf.search.executed"),
    "textbook.pdf.search.navigatednext": _search("textbook.pdf.search.navigatednext", findPrevious=True),
    "textbook.pdf.search.highlight.toggled": _search("textbook.pdf.search.highlight.toggled"),
    "textbook.pdf.searchcasesensitivity.toggled": _search("textbook.pdf.searchcasesensitivity.toggled",
                                                          caseSensitive=True),
    "textbook.pdf.search.casesensitivity.toggled": _search("textbook.pdf.search.casesensitivity.toggled",
                                                           caseSensitive=True),
}
