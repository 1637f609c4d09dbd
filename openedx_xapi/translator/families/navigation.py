"""Navigation: a learner moves between units, follows a link, opens a course tool.

======================================== ========== ================================= ==========================
Open edX event                           xAPI verb  Caliper                           object
======================================== ========== ================================= ==========================
edx.ui.lms.sequence.next_selected        navigated  NavigationEvent NavigatedTo       the subsection (sequence)
edx.ui.lms.sequence.previous_selected    navigated  NavigationEvent NavigatedTo       the subsection
edx.ui.lms.sequence.tab_selected         navigated  NavigationEvent NavigatedTo       the subsection
seq_next, seq_prev, seq_goto (pre-2016)  navigated  NavigationEvent NavigatedTo       the subsection
edx.ui.lms.link_clicked                  navigated  NavigationEvent NavigatedTo       the link target (WebPage)
edx.ui.lms.outline.selected              navigated  NavigationEvent NavigatedTo       the selected subsection page
edx.ui.lms.sequence.outline.selected     navigated  NavigationEvent NavigatedTo       the selected subsection page
edx.course.tool.accessed                 navigated  NavigationEvent NavigatedTo       the course tool (WebPage)
======================================== ========== ================================= ==========================

The ``edx.ui.lms.*`` events keep event-routing-backends' vocabulary: the verb
``dod-isd/verbs/navigated``; the subsection as a ``resource`` with its number of units in
``acrossx/extensions/total-items``, the unit left in ``starting-position`` and where the
learner went (``"next unit"``, ``"previous unit"`` or the selected unit) in
``ending-point``; a clicked link as a ``link`` activity whose id is the link target; an
outline entry as a ``module`` named after the subsection. The older ``seq_*`` events
(whose ``event_type`` the new ones still carry) have ``old`` and ``new`` unit numbers.

The Caliper events are ``NavigationEvent`` s of the Reading Profile. Pages the learner
was on (``current_url``) are left out: like the HTTP referer, they are not needed to
say where the learner went.

A course tool is ``<course IRI>/tool/<tool name>`` (``edx.bookmarks``, ``edx.updates``,
...), a ``webpage`` activity; ERB does not map ``seq_*`` nor the course tools.

An event whose course id is not an Open edX course key is refused (as by the textbook,
bookmark and note families: :func:`~openedx_xapi.translator.mappings.register_checked`).
"""
from openedx_xapi.translator import vocabulary as v
from openedx_xapi.translator.caliper import CaliperMapping
from openedx_xapi.translator.common import course_iri, escape, integer, text, usage_iri, web_iri
from openedx_xapi.translator.mapping import Field, const
from openedx_xapi.translator.mappings import register_checked
from openedx_xapi.translator.xapi import XapiMapping

FAMILY = "navigation"


# ---------------------------------------------------------------------------- the tables

def _tool_iri(event, ctx):
    """A course tool (bookmarks, updates, ...) as ``<course IRI>/tool/<tool name>``."""
    course, tool = course_iri(event.course_id, ctx), text(event.data.get("tool_name"))
    return f"{course}/tool/{escape(tool)}" if course and tool else None


def _sequence_fields(start, end, end_transform):
    """A move inside a subsection: the unit the learner was on (``start``) and where to."""
    xapi = (
        Field("object.objectType",                                        const("Activity")),
        Field("object.id",                                                "data.id",       usage_iri, required=True),
        Field("object.definition.type",                                   const(v.RESOURCE)),
        Field(f"object.definition.extensions[{v.EXT_TOTAL_ITEMS}]",       "data.tab_count", integer),
        Field(f"context.extensions[{v.EXT_STARTING_POSITION}]",           start,           integer),
        Field(f"context.extensions[{v.EXT_ENDING_POINT}]",                end,             end_transform),
    )
    caliper = (
        Field("object.id",                                                "data.id",       usage_iri, required=True),
        Field("object.type",                                              const("DigitalResourceCollection")),
        Field("object.extensions.current_tab",                            start,           integer),
        Field("object.extensions.tab_count",                              "data.tab_count", integer),
        Field("object.extensions.target",                                 end,             end_transform),
    )
    return xapi, caliper


LINK_XAPI = (
    Field("object.objectType",                                            const("Activity")),
    Field("object.id",                                                    "data.target_url", web_iri, required=True),
    Field("object.definition.type",                                       const(v.LINK)),
)
LINK_CALIPER = (
    Field("object.id",                                                    "data.target_url", web_iri, required=True),
    Field("object.type",                                                  const("WebPage")),
)

OUTLINE_XAPI = (
    Field("object.objectType",                                            const("Activity")),
    Field("object.id",                                                    "data.target_url", web_iri, required=True),
    Field("object.definition.type",                                       const(v.MODULE)),
    Field("object.definition.name.en",                                    "data.target_name", text),
)
OUTLINE_CALIPER = (
    Field("object.id",                                                    "data.target_url", web_iri, required=True),
    Field("object.type",                                                  const("DigitalResource")),
    Field("object.name",                                                  "data.target_name", text),
)

TOOL_XAPI = (
    Field("object.objectType",                                            const("Activity")),
    Field("object.id",                                                    _tool_iri,       required=True),
    Field("object.definition.type",                                       const(v.WEBPAGE)),
)
TOOL_CALIPER = (
    Field("object.id",                                                    _tool_iri,       required=True),
    Field("object.type",                                                  const("WebPage")),
    Field("object.extensions.tool_name",                                  "data.tool_name", text),
)

EVENTS = (
    # Open edX event                            (xAPI fields, Caliper fields)
    ("edx.ui.lms.sequence.next_selected",       _sequence_fields("data.current_tab", const("next unit"), None)),
    ("edx.ui.lms.sequence.previous_selected",   _sequence_fields("data.current_tab", const("previous unit"), None)),
    ("edx.ui.lms.sequence.tab_selected",        _sequence_fields("data.current_tab", "data.target_tab", integer)),
    ("seq_next",                                _sequence_fields("data.old", "data.new", integer)),
    ("seq_prev",                                _sequence_fields("data.old", "data.new", integer)),
    ("seq_goto",                                _sequence_fields("data.old", "data.new", integer)),
    ("edx.ui.lms.link_clicked",                 (LINK_XAPI, LINK_CALIPER)),
    ("edx.ui.lms.outline.selected",             (OUTLINE_XAPI, OUTLINE_CALIPER)),
    ("edx.ui.lms.sequence.outline.selected",    (OUTLINE_XAPI, OUTLINE_CALIPER)),
    ("edx.course.tool.accessed",                (TOOL_XAPI, TOOL_CALIPER)),
)

for name, (xapi_fields, caliper_fields) in EVENTS:
    register_checked(
        XapiMapping(event=name, verb=v.NAVIGATED, fields=xapi_fields, family=FAMILY),
        CaliperMapping(event=name, type="NavigationEvent", action="NavigatedTo", profile="ReadingProfile",
                       fields=caliper_fields, family=FAMILY),
    )

DIFFERENCES_FROM_ERB = {
    "edx.ui.lms.link_clicked": "Caliper: the link target is a WebPage; ERB's 'Webpage' is no Caliper 1.2 type. "
                               "The xAPI verb, object id and type are ERB's. A guest's click (no user id "
                               "nor username) is dropped unless the consumer takes guests, and then its actor "
                               "is an anonymous id of the browser session (ERB sends it always).",
}

# ------------------------------------------------------------------------------ samples

COURSE = "course-v1:edX+DemoX+Demo_Course"
SEQUENCE = "block-v1:edX+DemoX+Demo_Course+type@sequential+block@19a30717eff543078a5d94ae9d6c18a5"
_COURSEWARE = "http://localhost:18000/courses/course-v1:edX+DemoX+Demo_Course/courseware/interactive_demonstrations/"
_JUMP_TO = "http://localhost:18000/courses/course-v1:edX+DemoX+Demo_Course/jump_to/"
_SUBSECTION = "block-v1:edX+DemoX+Demo_Course+type@sequential+block@"


def browser_event(name, data, course_id=COURSE, page=_COURSEWARE, user_id=12):
    """A browser event in the in-process shape (what ``/event`` hands to the backends)."""
    return {
        "name": name,
        "timestamp": "2024-03-04T10:20:30.123456+00:00",
        "context": {"course_id": course_id, "org_id": "edX", "user_id": user_id, "username": f"learner{user_id}",
                    "session": "0123456789abcdef0123456789abcdef", "ip": "10.0.0.1", "host": "lms.example.com",
                    "path": "/event", "agent": "Mozilla/5.0", "event_source": "browser", "page": page},
        "data": data,
    }


SAMPLES = {
    "edx.ui.lms.sequence.next_selected": browser_event("edx.ui.lms.sequence.next_selected", {
        "current_tab": 4, "tab_count": 10, "id": SEQUENCE, "widget_placement": "top"}),
    "edx.ui.lms.sequence.previous_selected": browser_event("edx.ui.lms.sequence.previous_selected", {
        "current_tab": 5, "tab_count": 10, "id": SEQUENCE, "widget_placement": "bottom"}),
    "edx.ui.lms.sequence.tab_selected": browser_event("edx.ui.lms.sequence.tab_selected", {
        "current_tab": 4, "target_tab": 8, "tab_count": 10, "old": 4, "new": 8, "id": SEQUENCE,
        "widget_placement": "top"}),
    "seq_next": browser_event("seq_next", {"old": 1, "new": 2, "id": SEQUENCE}),
    "seq_prev": browser_event("seq_prev", {"old": 3, "new": 2, "id": SEQUENCE}),
    "seq_goto": browser_event("seq_goto", {"old": 1, "new": 5, "id": SEQUENCE}),
    "edx.ui.lms.link_clicked": browser_event("edx.ui.lms.link_clicked", {
        "current_url": _COURSEWARE,
        "target_url": f"{_JUMP_TO}{_SUBSECTION}6ab9c442501d472c8ed200e367b4edfa"}),
    "edx.ui.lms.outline.selected": browser_event("edx.ui.lms.outline.selected", {
        "current_url": _COURSEWARE, "target_name": "Lesson 3 - Be Social", "widget_placement": "accordion",
        "target_url": f"{_JUMP_TO}{_SUBSECTION}48ecb924d7fe4b66a230137626bfa93e"}),
    "edx.ui.lms.sequence.outline.selected": browser_event("edx.ui.lms.sequence.outline.selected", {
        "current_url": _COURSEWARE, "target_name": "Homework - Question Styles", "widget_placement": "accordion",
        "target_url": f"{_JUMP_TO}{_SUBSECTION}basic_questions"}),
    "edx.course.tool.accessed": browser_event("edx.course.tool.accessed", {
        "course_id": COURSE, "courserun_key": COURSE, "org_key": "edX", "is_staff": False,
        "tool_name": "edx.bookmarks"}),
}
