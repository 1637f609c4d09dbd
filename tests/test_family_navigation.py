"""Navigation, textbook, bookmark and student-notes events: their xAPI and Caliper documents.

Every event is translated from its sample (``SAMPLES`` in its family module) and from
the hand-written variants in ``tests/fixtures/events/navigation/`` (tracking-log lines,
legacy names, missing or odd fields), through the whole pipeline (``documents_for``
validates with our validators); xAPI statements also go through Ralph's model. Where
event-routing-backends maps an event, its reference corpus is compared too.
"""
import copy
import json
from pathlib import Path

import pytest
import rfc3987
from ralph.models.xapi.base.statements import BaseXapiStatement

from openedx_xapi.events import parse_event
from openedx_xapi.pipeline import Rejected, Skipped, documents_for
from openedx_xapi.translator import TranslationContext
from openedx_xapi.translator import vocabulary as v
from openedx_xapi.translator.common import escape, page_iri, usage_iri, web_iri
from openedx_xapi.translator.families import bookmarks, navigation, notes, textbooks
from openedx_xapi.translator.registry import differences_from_erb, mapping_for, sample_for

from .reference import ERB_CORPUS

FIXTURES = Path(__file__).parent / "fixtures" / "events" / "navigation"
LMS = "http://localhost:18000"
COURSE_IRI = f"{LMS}/course/course-v1:edX+DemoX+Demo_Course"
SEQUENCE_IRI = f"{LMS}/xblock/{navigation.SEQUENCE}"
PDF_IRI = f"{LMS}{textbooks.PDF}"
UNIT_IRI = f"{LMS}/xblock/{bookmarks.UNIT}"
COMPONENT_IRI = f"{LMS}/xblock/{notes.COMPONENT}"
NOTES_PAGE = f"{LMS}/courses/course-v1:edX+DemoX+Demo_Course/edxnotes/"
NOTE_IRI = f"{NOTES_PAGE}#note-5c6f3a2e8b1d4e0f9a7b6c5d"
JUMP_TO = f"{LMS}/courses/course-v1:edX+DemoX+Demo_Course/jump_to/{navigation._SUBSECTION}"
LINK = "http://adlnet.gov/expapi/activities/link"
MODULE = "http://adlnet.gov/expapi/activities/module"

NAVIGATED = "https://w3id.org/xapi/dod-isd/verbs/navigated"
VIEWED = "http://id.tincanapi.com/verb/viewed"
INTERACTED = "http://adlnet.gov/expapi/verbs/interacted"
SEARCHED = "https://w3id.org/xapi/acrossx/verbs/searched"
RESOURCE = "http://id.tincanapi.com/activitytype/resource"
DOCUMENT = "http://id.tincanapi.com/activitytype/document"
WEBPAGE = "https://w3id.org/xapi/acrossx/activities/webpage"
NOTE = "http://risc-inc.com/annotator/activities/note"
STARTING = "http://id.tincanapi.com/extension/starting-position"
ENDING = "http://id.tincanapi.com/extension/ending-point"
TOTAL_ITEMS = "https://w3id.org/xapi/acrossx/extensions/total-items"

# event: (xAPI verb, object id, activity type, Caliper type, action, Caliper object type)
EXPECTED = {
    "edx.ui.lms.sequence.next_selected": (NAVIGATED, SEQUENCE_IRI, RESOURCE, "NavigationEvent", "NavigatedTo",
                                          "DigitalResourceCollection"),
    "edx.ui.lms.sequence.previous_selected": (NAVIGATED, SEQUENCE_IRI, RESOURCE, "NavigationEvent", "NavigatedTo",
                                              "DigitalResourceCollection"),
    "edx.ui.lms.sequence.tab_selected": (NAVIGATED, SEQUENCE_IRI, RESOURCE, "NavigationEvent", "NavigatedTo",
                                         "DigitalResourceCollection"),
    "seq_next": (NAVIGATED, SEQUENCE_IRI, RESOURCE, "NavigationEvent", "NavigatedTo", "DigitalResourceCollection"),
    "seq_prev": (NAVIGATED, SEQUENCE_IRI, RESOURCE, "NavigationEvent", "NavigatedTo", "DigitalResourceCollection"),
    "seq_goto": (NAVIGATED, SEQUENCE_IRI, RESOURCE, "NavigationEvent", "NavigatedTo", "DigitalResourceCollection"),
    "edx.ui.lms.link_clicked": (NAVIGATED, f"{JUMP_TO}6ab9c442501d472c8ed200e367b4edfa", LINK, "NavigationEvent",
                                "NavigatedTo", "WebPage"),
    "edx.ui.lms.outline.selected": (NAVIGATED, f"{JUMP_TO}48ecb924d7fe4b66a230137626bfa93e", MODULE,
                                    "NavigationEvent", "NavigatedTo", "DigitalResource"),
    "edx.ui.lms.sequence.outline.selected": (NAVIGATED, f"{JUMP_TO}basic_questions", MODULE, "NavigationEvent",
                                             "NavigatedTo", "DigitalResource"),
    "edx.course.tool.accessed": (NAVIGATED, f"{COURSE_IRI}/tool/edx.bookmarks", WEBPAGE, "NavigationEvent",
                                 "NavigatedTo", "WebPage"),
    "book": (VIEWED, PDF_IRI, DOCUMENT, "ViewEvent", "Viewed", "Document"),
    "textbook.pdf.page.navigated": (NAVIGATED, PDF_IRI, DOCUMENT, "NavigationEvent", "NavigatedTo", "Document"),
    "textbook.pdf.thumbnail.navigated": (NAVIGATED, PDF_IRI, DOCUMENT, "NavigationEvent", "NavigatedTo", "Document"),
    "textbook.pdf.chapter.navigated": (NAVIGATED, PDF_IRI, DOCUMENT, "NavigationEvent", "NavigatedTo", "Document"),
    "textbook.pdf.page.scrolled": (NAVIGATED, PDF_IRI, DOCUMENT, "NavigationEvent", "NavigatedTo", "Document"),
    "textbook.pdf.display.scrolled": (NAVIGATED, PDF_IRI, DOCUMENT, "NavigationEvent", "NavigatedTo", "Document"),
    "textbook.pdf.thumbnails.toggled": (INTERACTED, PDF_IRI, DOCUMENT, "Event", "Used", "Document"),
    "textbook.pdf.outline.toggled": (INTERACTED, PDF_IRI, DOCUMENT, "Event", "Used", "Document"),
    "textbook.pdf.zoom.buttons.changed": (INTERACTED, PDF_IRI, DOCUMENT, "Event", "ChangedSize", "Document"),
    "textbook.pdf.zoom.menu.changed": (INTERACTED, PDF_IRI, DOCUMENT, "Event", "ChangedSize", "Document"),
    "textbook.pdf.display.scaled": (INTERACTED, PDF_IRI, DOCUMENT, "Event", "ChangedSize", "Document"),
    "textbook.pdf.search.executed": (SEARCHED, PDF_IRI, DOCUMENT, "SearchEvent", "Searched", "Document"),
    "textbook.pdf.search.navigatednext": (SEARCHED, PDF_IRI, DOCUMENT, "SearchEvent", "Searched", "Document"),
    "textbook.pdf.search.highlight.toggled": (INTERACTED, PDF_IRI, DOCUMENT, "Event", "Used", "Document"),
    "textbook.pdf.searchcasesensitivity.toggled": (INTERACTED, PDF_IRI, DOCUMENT, "Event", "Used", "Document"),
    "textbook.pdf.search.casesensitivity.toggled": (INTERACTED, PDF_IRI, DOCUMENT, "Event", "Used", "Document"),
    "edx.bookmark.added": ("http://id.tincanapi.com/verb/bookmarked", UNIT_IRI, MODULE, "AnnotationEvent",
                           "Bookmarked", "DigitalResource"),
    "edx.bookmark.removed": ("https://w3id.org/xapi/openedx/verb/unbookmarked", UNIT_IRI, MODULE, "Event",
                             "Removed", "BookmarkAnnotation"),
    "edx.bookmark.accessed": (NAVIGATED, UNIT_IRI, MODULE, "NavigationEvent", "NavigatedTo", "DigitalResource"),
    "edx.bookmark.listed": (VIEWED, f"{LMS}/courses/course-v1:edX+DemoX+Demo_Course/bookmarks/", WEBPAGE,
                            "ViewEvent", "Viewed", "WebPage"),
    "edx.course.student_notes.added": ("https://w3id.org/xapi/acrossx/verbs/posted", NOTE_IRI, NOTE,
                                       "AnnotationEvent", "Highlighted", "DigitalResource"),
    "edx.course.student_notes.edited": ("https://w3id.org/xapi/acrossx/verbs/edited", NOTE_IRI, NOTE, "Event",
                                        "Modified", "HighlightAnnotation"),
    "edx.course.student_notes.deleted": ("https://w3id.org/xapi/dod-isd/verbs/deleted", NOTE_IRI, NOTE, "Event",
                                         "Deleted", "HighlightAnnotation"),
    "edx.course.student_notes.viewed": (VIEWED, NOTE_IRI, NOTE, "Event", "Viewed", "Annotation"),
    "edx.course.student_notes.notes_page_viewed": (VIEWED, NOTES_PAGE, WEBPAGE, "ViewEvent", "Viewed", "WebPage"),
    "edx.course.student_notes.searched": (SEARCHED, NOTES_PAGE, WEBPAGE, "SearchEvent", "Searched", "WebPage"),
    "edx.course.student_notes.used_unit_link": (NAVIGATED, COMPONENT_IRI, RESOURCE, "NavigationEvent",
                                                "NavigatedTo", "DigitalResource"),
}
FAMILIES = {"navigation": navigation, "textbooks": textbooks, "bookmarks": bookmarks, "notes": notes}


class FixedActorIds:
    """An actor id without the LMS database (ERB's corpus has events with a username only)."""

    def actor_id(self, event, kind):
        return "32e08e30-f8ae-4ce2-94a8-c2bfe38a70cb"


def translate(raw, protocol, ctx):
    documents = documents_for(parse_event(copy.deepcopy(raw)), protocol, ctx)
    if protocol == "xapi":
        for statement in documents:
            BaseXapiStatement(**statement)
    return documents


def fixture(name):
    return (FIXTURES / name).read_text()


def xapi_extensions(statement, where="context"):
    return statement.get(where, {}).get("extensions", {})


# ------------------------------------------------------------------- every event, sample

def test_the_families_map_exactly_the_events_expected():
    mapped = {name for module in FAMILIES.values() for name in module.SAMPLES}
    assert mapped == set(EXPECTED)
    for name in EXPECTED:
        for protocol in ("xapi", "caliper"):
            mapping = mapping_for(protocol, name)
            assert mapping is not None and mapping.family in FAMILIES, (protocol, name)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_sample_gives_the_expected_vocabulary(name, ctx):
    verb, object_id, activity_type, caliper_type, action, caliper_object = EXPECTED[name]
    statement = translate(sample_for(name), "xapi", ctx)[0]
    assert statement["verb"]["id"] == verb
    assert statement["object"]["id"] == object_id
    assert statement["object"]["definition"]["type"] == activity_type
    event = translate(sample_for(name), "caliper", ctx)[0]
    assert (event["type"], event["action"], event["object"]["type"]) == (caliper_type, action, caliper_object)
    assert event["group"] == {"id": COURSE_IRI, "type": "CourseOffering"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_no_personal_data_reaches_a_document(name, ctx):
    for protocol in ("xapi", "caliper"):
        text = json.dumps(translate(sample_for(name), protocol, ctx))
        for personal in ("learner12", "10.0.0.1", "Mozilla", "lms.example.com", "0123456789abcdef"):
            assert personal not in text, (protocol, personal)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_course_id_that_is_no_course_key_is_rejected_with_a_reason(name, ctx):
    raw = copy.deepcopy(sample_for(name))
    raw["context"]["course_id"] = "course-v1:edX+Demo[X]+\ufff0"
    for protocol in ("xapi", "caliper"):
        with pytest.raises(Rejected, match="course_id"):
            documents_for(parse_event(raw), protocol, ctx)


# ----------------------------------------------------------------------------- navigation

def test_next_selected_keeps_erb_positions(ctx):
    statement = translate(sample_for("edx.ui.lms.sequence.next_selected"), "xapi", ctx)[0]
    assert xapi_extensions(statement)[STARTING] == 4
    assert xapi_extensions(statement)[ENDING] == "next unit"
    assert statement["object"]["definition"]["extensions"] == {TOTAL_ITEMS: 10}
    assert statement["context"]["contextActivities"] == {"parent": [
        {"objectType": "Activity", "id": COURSE_IRI, "definition": {"type": "http://adlnet.gov/expapi/activities/course"}}]}
    event = translate(sample_for("edx.ui.lms.sequence.next_selected"), "caliper", ctx)[0]
    assert event["profile"] == "ReadingProfile"
    assert event["object"]["extensions"] == {"current_tab": 4, "tab_count": 10, "target": "next unit"}


def test_tab_selected_goes_from_the_current_to_the_target_tab(ctx):
    statement = translate(sample_for("edx.ui.lms.sequence.tab_selected"), "xapi", ctx)[0]
    assert (xapi_extensions(statement)[STARTING], xapi_extensions(statement)[ENDING]) == (4, 8)


def test_the_tracking_log_shape_of_next_selected_with_its_seq_next_event_type(ctx):
    statement = translate(fixture("seq_next.within_subsection.log"), "xapi", ctx)[0]
    assert statement["verb"]["id"] == NAVIGATED
    assert statement["object"]["id"] == SEQUENCE_IRI
    assert xapi_extensions(statement)[STARTING] == 3
    assert statement["object"]["definition"]["extensions"][TOTAL_ITEMS] == 6


def test_legacy_seq_goto_uses_old_and_new(ctx):
    statement = translate(fixture("seq_goto.legacy.log"), "xapi", ctx)[0]
    assert statement["object"]["id"] == f"{LMS}/xblock/i4x://edX/DemoX/sequential/19a30717eff543078a5d94ae9d6c18a5"
    assert (xapi_extensions(statement)[STARTING], xapi_extensions(statement)[ENDING]) == (1, 3)
    assert statement["context"]["contextActivities"]["parent"][0]["id"] == f"{LMS}/course/edX/DemoX/Demo_Course"
    event = translate(fixture("seq_goto.legacy.log"), "caliper", ctx)[0]
    assert event["object"]["extensions"] == {"current_tab": 1, "target": 3}


def test_outline_selected_names_the_subsection(ctx):
    statement = translate(sample_for("edx.ui.lms.outline.selected"), "xapi", ctx)[0]
    assert statement["object"]["definition"]["name"] == {"en": "Lesson 3 - Be Social"}
    assert translate(sample_for("edx.ui.lms.outline.selected"), "caliper", ctx)[0]["object"]["name"] == \
        "Lesson 3 - Be Social"


def test_a_relative_link_with_unsafe_characters_becomes_a_valid_iri(ctx):
    statement = translate(fixture("link_clicked.relative_unsafe_target.json"), "xapi", ctx)[0]
    assert statement["object"]["id"] == (f"{LMS}/asset-v1:edX+DemoX+Demo_Course+type@asset+block/"
                                         "Reading%20list%20%5Bweek%201%5D.pdf#page=2%23x")
    rfc3987.parse(statement["object"]["id"], rule="IRI")


def test_a_link_to_nowhere_is_rejected_with_a_reason(ctx):
    raw = copy.deepcopy(sample_for("edx.ui.lms.link_clicked"))
    raw["data"]["target_url"] = "javascript:alert(1)"
    with pytest.raises(Rejected, match="target_url"):
        documents_for(parse_event(raw), "xapi", ctx)


def test_a_course_tool_is_named_under_its_course(ctx):
    statement = translate(fixture("edx.course.tool.accessed.legacy.log"), "xapi", ctx)[0]
    assert statement["object"]["id"] == f"{COURSE_IRI}/tool/edx.updates"
    event = translate(fixture("edx.course.tool.accessed.legacy.log"), "caliper", ctx)[0]
    assert event["object"]["extensions"] == {"tool_name": "edx.updates"}


# ------------------------------------------------------------------------------ textbooks

def test_a_page_of_the_pdf_viewer_is_viewed(ctx):
    statement = translate(sample_for("book"), "xapi", ctx)[0]
    assert (xapi_extensions(statement)[STARTING], xapi_extensions(statement)[ENDING]) == (3, 4)
    event = translate(sample_for("book"), "caliper", ctx)[0]
    assert event["target"] == {"id": f"{PDF_IRI}#page=4", "type": "Page", "isPartOf": PDF_IRI}
    assert event["extensions"]["navigation"] == "gotopage"


def test_the_png_viewer_is_identified_by_its_page(ctx):
    viewer = f"{LMS}/courses/course-v1:edX+DemoX+Demo_Course/book/0/"
    statement = translate(fixture("book.png_viewer.json"), "xapi", ctx)[0]
    assert statement["object"]["id"] == viewer
    assert STARTING not in xapi_extensions(statement) and xapi_extensions(statement)[ENDING] == 4
    assert translate(fixture("book.png_viewer.json"), "caliper", ctx)[0]["target"]["id"] == f"{viewer}#page=4"


def test_an_entered_page_number_is_read_from_its_text(ctx):
    statement = translate(sample_for("textbook.pdf.page.navigated"), "xapi", ctx)[0]
    assert xapi_extensions(statement)[ENDING] == 17


def test_a_page_number_that_is_no_number_is_left_out(ctx):
    statement = translate(fixture("textbook.pdf.page.navigated.bad_page.json"), "xapi", ctx)[0]
    assert ENDING not in xapi_extensions(statement)
    assert "target" not in translate(fixture("textbook.pdf.page.navigated.bad_page.json"), "caliper", ctx)[0]


def test_a_thumbnail_names_its_page(ctx):
    event = translate(sample_for("textbook.pdf.thumbnail.navigated"), "caliper", ctx)[0]
    assert event["target"] == {"id": f"{PDF_IRI}#page=2", "type": "Page", "isPartOf": PDF_IRI, "name": "Page 2"}


def test_a_chapter_is_reached_by_its_title(ctx):
    statement = translate(sample_for("textbook.pdf.chapter.navigated"), "xapi", ctx)[0]
    assert xapi_extensions(statement)[ENDING] == "Chapter 2: Probability"


def test_zooming_and_scrolling_keep_their_settings(ctx):
    zoom = translate(sample_for("textbook.pdf.zoom.menu.changed"), "xapi", ctx)[0]
    assert xapi_extensions(zoom)[textbooks.EXT_ZOOM] == "page_fit"
    assert xapi_extensions(zoom)["http://id.tincanapi.com/extension/position"] == 3
    scaled = translate(sample_for("textbook.pdf.display.scaled"), "caliper", ctx)[0]
    assert scaled["extensions"]["zoom"] == "1.25"
    scrolled = translate(sample_for("textbook.pdf.page.scrolled"), "xapi", ctx)[0]
    assert xapi_extensions(scrolled)[textbooks.EXT_DIRECTION] == "down"


def test_a_found_search_is_a_successful_response(ctx):
    statement = translate(sample_for("textbook.pdf.search.executed"), "xapi", ctx)[0]
    assert statement["result"] == {"response": "variance", "success": True}
    assert xapi_extensions(statement)[textbooks.EXT_HIGHLIGHT_ALL] is True
    assert xapi_extensions(statement)[textbooks.EXT_CASE_SENSITIVE] is False
    event = translate(sample_for("textbook.pdf.search.executed"), "caliper", ctx)[0]
    assert event["profile"] == "SearchProfile"
    assert event["generated"]["type"] == "SearchResponse"
    assert event["generated"]["query"]["searchTerms"] == "variance"
    assert event["generated"]["id"] != event["generated"]["query"]["id"] != event["id"]


def test_a_search_not_found_is_unsuccessful(ctx):
    statement = translate(fixture("textbook.pdf.search.executed.not_found.log"), "xapi", ctx)[0]
    assert statement["result"] == {"response": "heteroscedasticity", "success": False}


def test_find_previous_is_kept(ctx):
    statement = translate(sample_for("textbook.pdf.search.navigatednext"), "xapi", ctx)[0]
    assert xapi_extensions(statement)[textbooks.EXT_FIND_PREVIOUS] is True


# ------------------------------------------------------------------------------ bookmarks

def test_a_bookmark_is_generated_and_removed_with_the_same_id(ctx):
    added = translate(sample_for("edx.bookmark.added"), "caliper", ctx)[0]
    removed = translate(sample_for("edx.bookmark.removed"), "caliper", ctx)[0]
    assert added["generated"]["type"] == "BookmarkAnnotation"
    assert added["generated"]["annotated"] == UNIT_IRI
    assert added["generated"] == removed["object"]
    assert added["generated"]["id"].startswith("urn:uuid:")


def test_the_bookmark_id_which_holds_the_username_is_left_out(ctx):
    for name in ("edx.bookmark.added", "edx.bookmark.removed", "edx.bookmark.accessed"):
        for protocol in ("xapi", "caliper"):
            assert "learner12" not in json.dumps(translate(sample_for(name), protocol, ctx))


def test_a_bookmarked_problem_is_a_question(ctx):
    raw = copy.deepcopy(sample_for("edx.bookmark.added"))
    raw["data"].update(component_type="problem",
                       component_usage_id="block-v1:edX+DemoX+Demo_Course+type@problem+block@abc")
    statement = translate(raw, "xapi", ctx)[0]
    assert statement["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/question"


def test_the_bookmarks_list_counts_them(ctx):
    statement = translate(sample_for("edx.bookmark.listed"), "xapi", ctx)[0]
    assert statement["object"]["definition"]["extensions"] == {TOTAL_ITEMS: 7}
    event = translate(sample_for("edx.bookmark.listed"), "caliper", ctx)[0]
    assert event["object"]["extensions"] == {"bookmarks_count": 7, "list_type": "per_course"}


def test_a_list_across_courses_has_no_course(ctx):
    statement = translate(fixture("edx.bookmark.listed.all_courses.json"), "xapi", ctx)[0]
    assert statement["object"]["id"] == f"{LMS}/api/bookmarks/v1/bookmarks/"
    assert "contextActivities" not in statement.get("context", {})
    assert "group" not in translate(fixture("edx.bookmark.listed.all_courses.json"), "caliper", ctx)[0]


# ---------------------------------------------------------------------------------- notes

def test_an_added_note_keeps_its_text_highlight_and_tags(ctx):
    statement = translate(sample_for("edx.course.student_notes.added"), "xapi", ctx)[0]
    assert statement["result"] == {"response": notes._NOTE["note_text"]}
    assert xapi_extensions(statement)[v.EXT_HIGHLIGHTED] == notes._NOTE["highlighted_content"]
    assert xapi_extensions(statement)[v.EXT_TAGS] == ["statistics", "exam"]
    activities = statement["context"]["contextActivities"]
    assert activities["parent"] == [{"objectType": "Activity", "id": COMPONENT_IRI, "definition": {"type": RESOURCE}}]
    assert activities["grouping"][0]["id"] == COURSE_IRI
    event = translate(sample_for("edx.course.student_notes.added"), "caliper", ctx)[0]
    assert event["object"] == {"id": COMPONENT_IRI, "type": "DigitalResource"}
    assert event["generated"] == {
        "id": NOTE_IRI, "type": "HighlightAnnotation", "annotated": COMPONENT_IRI,
        "selectionText": notes._NOTE["highlighted_content"],
        "extensions": {"note_text": notes._NOTE["note_text"], "tags": ["statistics", "exam"]}}


def test_an_edited_note_is_the_same_note_with_its_new_text(ctx):
    statement = translate(sample_for("edx.course.student_notes.edited"), "xapi", ctx)[0]
    assert statement["object"]["id"] == NOTE_IRI
    assert statement["result"]["response"] == "Mean vs median: outliers move the mean only."
    event = translate(sample_for("edx.course.student_notes.edited"), "caliper", ctx)[0]
    assert event["object"]["id"] == NOTE_IRI
    assert event["object"]["extensions"]["note_text"] == "Mean vs median: outliers move the mean only."


def test_a_note_without_text_or_tags_leaves_them_out(ctx):
    statement = translate(fixture("edx.course.student_notes.added.minimal.json"), "xapi", ctx)[0]
    assert "result" not in statement
    assert v.EXT_TAGS not in xapi_extensions(statement)
    generated = translate(fixture("edx.course.student_notes.added.minimal.json"), "caliper", ctx)[0]["generated"]
    assert "extensions" not in generated and generated["selectionText"] == "central tendency"


@pytest.mark.parametrize("protocol", ["xapi", "caliper"])
def test_each_note_seen_is_one_document(protocol, ctx):
    documents = translate(fixture("edx.course.student_notes.viewed.duplicates.json"), protocol, ctx)
    assert [d["object"]["id"] for d in documents] == [f"{NOTES_PAGE}#note-n-{n}" for n in (1, 2, 3)]
    assert len({d["id"] for d in documents}) == 3
    again = translate(fixture("edx.course.student_notes.viewed.duplicates.json"), protocol, ctx)
    assert [d["id"] for d in again] == [d["id"] for d in documents]


def test_notes_seen_are_capped(ctx):
    raw = copy.deepcopy(sample_for("edx.course.student_notes.viewed"))
    raw["data"]["notes"] = [{"note_id": f"n{i}"} for i in range(500)]
    assert len(translate(raw, "xapi", ctx)) == notes.MAX_NOTES_VIEWED


def test_no_notes_seen_is_rejected_with_a_reason(ctx):
    raw = copy.deepcopy(sample_for("edx.course.student_notes.viewed"))
    raw["data"]["notes"] = [{"user": "learner12"}]
    with pytest.raises(Rejected, match="note"):
        documents_for(parse_event(raw), "caliper", ctx)


def test_a_notes_search_counts_its_results(ctx):
    statement = translate(sample_for("edx.course.student_notes.searched"), "xapi", ctx)[0]
    assert statement["result"] == {"response": "median", "success": True, "extensions": {notes.EXT_RESULTS: 3}}
    generated = translate(sample_for("edx.course.student_notes.searched"), "caliper", ctx)[0]["generated"]
    assert generated["searchResultsItemCount"] == 3 and generated["query"]["searchTerms"] == "median"


def test_a_unit_link_followed_from_a_note(ctx):
    statement = translate(sample_for("edx.course.student_notes.used_unit_link"), "xapi", ctx)[0]
    assert statement["context"]["contextActivities"]["other"] == [
        {"objectType": "Activity", "id": NOTE_IRI, "definition": {"type": NOTE}}]
    assert xapi_extensions(statement)[notes.EXT_NOTES_VIEW] == "Search Results"
    event = translate(sample_for("edx.course.student_notes.used_unit_link"), "caliper", ctx)[0]
    assert event["referrer"] == {"id": NOTES_PAGE, "type": "WebPage"}


# ------------------------------------------------------------------------- safe IRIs

@pytest.mark.parametrize("url, expected", [
    ("https://example.com/a b?q=<x>#f#g", "https://example.com/a%20b?q=%3Cx%3E#f%23g"),
    ("/courses/x/100%", f"{LMS}/courses/x/100%25"),
    ("/courses/x/%41", f"{LMS}/courses/x/%41"),
    ("http://example.com:8080/é", "http://example.com:8080/%C3%A9"),
    ("HTTP://Example.com", "HTTP://Example.com"),
    ("//evil.example.com/x", None), ("javascript:alert(1)", None), ("ftp://example.com/", None),
    ("http://exa mple.com/", None), ("", None), (None, None), (12, None), (["http://x"], None),
])
def test_web_iri(url, expected, ctx):
    assert web_iri(url, ctx) == expected
    if expected:
        rfc3987.parse(expected, rule="IRI")


def test_page_iri_drops_the_fragment(ctx):
    assert page_iri("/book.pdf#page=3", ctx) == f"{LMS}/book.pdf"


@pytest.mark.parametrize("key, ok", [
    (navigation.SEQUENCE, True), ("i4x://edX/DemoX/sequential/abc", True), ("i4x-edX-DemoX-video-abc", True),
    ("block-v1:a+b+c+type@x+block@y z", False), ("a[b]", False), ("a#b", False), ("", False), (7, True),
])
def test_usage_iri_accepts_only_what_looks_like_a_usage_key(key, ok, ctx):
    assert (usage_iri(key, ctx) is not None) is ok


def test_escape_keeps_valid_escapes_only():
    assert escape("50% of %7E") == "50%25%20of%20%7E"


# ------------------------------------------------------------ event-routing-backends



CORPUS = ERB_CORPUS
ERB_INPUTS = sorted(p.name for p in (CORPUS / "input").glob("*.json")
                    if json.loads(p.read_text()).get("name") in EXPECTED) if CORPUS else []
GUEST = "edx.ui.lms.link_clicked(anonymous_user).json"


@pytest.mark.skipif(CORPUS is None, reason="the ERB reference corpus is not beside the repository")
def test_the_corpus_has_our_events():
    assert len(ERB_INPUTS) >= 6


@pytest.mark.skipif(CORPUS is None, reason="the ERB reference corpus is not beside the repository")
@pytest.mark.parametrize("name", [n for n in ERB_INPUTS if n != GUEST])
def test_erb_vocabulary_is_kept(name):
    """Verb, object id and activity type as ERB's, for xAPI (even where a Caliper difference is listed)."""
    ctx = TranslationContext(lms_root_url=LMS, actor_ids=FixedActorIds())
    raw = json.loads((CORPUS / "input" / name).read_text())
    erb = json.loads((CORPUS / "xapi-expected" / name).read_text())
    statement = translate(raw, "xapi", ctx)[0]
    assert (statement["verb"]["id"], statement["object"]["id"], statement["object"]["definition"]["type"]) == \
        (erb["verb"]["id"], erb["object"]["id"], erb["object"]["definition"]["type"])
    for key, value in erb["context"].get("extensions", {}).items():
        if "transformer-version" not in key and "session-id" not in key:
            assert xapi_extensions(statement)[key] == value
    for key, value in erb["object"]["definition"].get("extensions", {}).items():
        assert statement["object"]["definition"]["extensions"][key] == value
    caliper = translate(raw, "caliper", ctx)[0]
    erb_caliper = json.loads((CORPUS / "caliper-expected" / name).read_text())
    assert (caliper["type"], caliper["action"], caliper["object"]["id"]) == \
        (erb_caliper["type"], erb_caliper["action"], erb_caliper["object"]["id"])
    expected_type = {"Webpage": "WebPage"}.get(erb_caliper["object"]["type"], erb_caliper["object"]["type"])
    assert caliper["object"]["type"] == expected_type


@pytest.mark.skipif(CORPUS is None, reason="the ERB reference corpus is not beside the repository")
def test_guest_link_clicks_are_dropped(ctx):
    raw = json.loads((CORPUS / "input" / GUEST).read_text())
    with pytest.raises(Skipped, match="guest"):
        documents_for(parse_event(raw), "xapi", ctx)


def test_differences_from_erb_name_mapped_events():
    for name in navigation.DIFFERENCES_FROM_ERB:
        assert name in EXPECTED and name in differences_from_erb()
