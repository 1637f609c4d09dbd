"""Open response assessment (ORA 2): learners write a response, then assess their own,
their peers' and example responses with the assignment's rubric; staff grade too.

==================================================== ========== ======================== ===========================
Open edX event                                       xAPI verb  Caliper                  object
==================================================== ========== ======================== ===========================
openassessmentblock.create_submission                answered   AssessmentItem Completed the ORA block; the response
openassessmentblock.save_submission                  progressed Event Saved              the ORA block; the draft
openassessmentblock.self_assess                      evaluated  GradeEvent Graded        block / Attempt; rubric
openassessmentblock.peer_assess                      evaluated  GradeEvent Graded        block / Attempt; rubric
openassessmentblock.staff_assess                     evaluated  GradeEvent Graded        block / Attempt; rubric
openassessmentblock.get_peer_submission              viewed     ViewEvent Viewed         the ORA block
openassessmentblock.get_submission_for_staff_grading viewed     ViewEvent Viewed         the ORA block
openassessmentblock.submit_feedback_on_assessments   commented  FeedbackEvent Commented  the ORA block; Comment
openassessment.student_training_assess_example       evaluated  Event Graded             the ORA block; selections
openassessment.upload_file                           attached   Event Attached           the ORA block (or course)
==================================================== ========== ======================== ===========================

xAPI: the ORA block is a ``cmi.interaction`` of type ``long-fill-in`` in every statement
(one definition per activity id). The learner's text is ``result.response``, its
prompts' parts joined with ``[,]`` (the xAPI delimiter for several fill-in answers);
a rubric assessment's response is ``criterion[.]option`` pairs joined with ``[,]`` and
its score (sum of the options' points over the sum of the criteria's points possible)
is ``result.score``: for peer and staff assessments that is the score the actor *gave*
the submission named by the submission-uuid extension.

Caliper: the block is an ``AssessmentItem``; a submission is the ``Attempt``
``urn:uuid:<submission uuid>``, which the assessments grade (GradeEvent, generated
Score with the rubric's criteria in its extensions).

Left out as personal data: the uploaded file's name, and the anonymized ids of the
requesting/scoring users (the actor is already the statement's actor).

ERB does not map ORA events; the extension IRIs below under ``w3id.org/xapi/openedx``
follow ERB's naming for Open edX-specific data.
"""
import json
import uuid

from openedx_xapi.translator import vocabulary as v
from openedx_xapi.translator.caliper import CaliperMapping
from openedx_xapi.translator.common import (
    block_iri,
    count,
    course_iri,
    display_name,
    generated_id,
    language_map,
    learner,
    module,
    number,
    text,
)
from openedx_xapi.translator.mapping import Field, const
from openedx_xapi.translator.registry import register
from openedx_xapi.translator.xapi import XapiMapping

FAMILY = "open response assessment"

DIFFERENCES_FROM_ERB = {}  # ERB maps none of these events

# xAPI extensions of our own
EXT_SUBMISSION = "https://w3id.org/xapi/openedx/extension/submission-uuid"
EXT_RUBRIC = "https://w3id.org/xapi/openedx/extension/rubric"
EXT_CORRECTIONS = "https://w3id.org/xapi/openedx/extension/corrections"
EXT_GRADING_TYPE = "https://w3id.org/xapi/openedx/extension/grading-type"
EXT_FEEDBACK_OPTIONS = "https://w3id.org/xapi/openedx/extension/feedback-options"
EXT_FILE_TYPE = "https://w3id.org/xapi/openedx/extension/file-type"
EXT_FILE_SIZE = "https://w3id.org/xapi/openedx/extension/file-size"

SEVERAL = "[,]"  # xAPI response delimiters
PAIR = "[.]"


# --- reading the event --------------------------------------------------------------------

def _as_dict(value):
    return value if isinstance(value, dict) else {}


def _as_list(value):
    return value if isinstance(value, list) else []


def usage_key(event, ctx):
    """The ORA block: the module the event was published from, or the event's item_id."""
    return module(event).get("usage_key") or event.data.get("item_id")


def submission_uuid(value, ctx=None):
    """A submission's UUID in canonical form, or None ("None", junk)."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def submission_urn(value, ctx=None):
    value = submission_uuid(value)
    return f"urn:uuid:{value}" if value else None


def response_text(answer):
    """The learner's text: the prompts' parts (``{"parts": [{"text": ...}]}``) or ``{"text": ...}``."""
    if isinstance(answer, str):
        answer = _json_object(answer)
    answer = _as_dict(answer)
    parts = [text(_as_dict(part).get("text")) for part in _as_list(answer.get("parts"))]
    parts = [part for part in parts if part]
    if parts:
        return SEVERAL.join(parts)
    return text(answer.get("text"))


def _json_object(value):
    """``saved_response`` is a JSON string; None when it is not a JSON object."""
    try:
        loaded = json.loads(value)
    except (ValueError, RecursionError):
        return None
    return loaded if isinstance(loaded, dict) else None


def submitted_text(event, ctx):
    return response_text(event.data.get("answer"))


def saved_text(event, ctx):
    return response_text(event.data.get("saved_response"))


def rubric(event):
    """The assessment's parts as rows: criterion, option chosen, points, points possible, feedback."""
    rows = []
    for part in _as_list(event.data.get("parts")):
        part = _as_dict(part)
        criterion = _as_dict(part.get("criterion"))
        option = part.get("option")  # {"name", "points"}; a bare name in older events
        rows.append({
            "criterion": text(criterion.get("name")),
            "option": text(option.get("name")) if isinstance(option, dict) else text(option),
            "points": number(option.get("points")) if isinstance(option, dict) else None,
            "points_possible": number(criterion.get("points_possible")),
            "feedback": text(part.get("feedback")),
        })
    return rows


def rubric_score(event):
    """(points earned, points possible), or None when the rubric does not add up."""
    earned = possible = 0.0
    for row in rubric(event):
        most = row["points_possible"]
        if most is None or most < 0:
            return None
        if most == 0:  # a feedback-only criterion
            continue
        if row["points"] is None or not 0 <= row["points"] <= most:
            return None
        earned += row["points"]
        possible += most
    if not 0 < possible < float("inf"):
        return None
    return earned, possible


def xapi_score(event, ctx):
    score = rubric_score(event)
    if score is None:
        return None
    earned, possible = score
    return {"raw": earned, "min": 0.0, "max": possible, "scaled": earned / possible}


def pairs(mapping_or_rows):
    """``criterion[.]option`` pairs joined with ``[,]``."""
    found = [f"{criterion}{PAIR}{option}" for criterion, option in mapping_or_rows if criterion and option]
    return SEVERAL.join(found) or None


def rubric_response(event, ctx):
    return pairs((row["criterion"], row["option"]) for row in rubric(event))


def rubric_detail(event, ctx):
    """The rubric rows without their empty cells (for an extension)."""
    rows = [{key: value for key, value in row.items() if value is not None} for row in rubric(event)]
    return [row for row in rows if row] or None


def text_map(value):
    """``{"criterion": "option"}`` with text keys and values only."""
    return {key: text(option) for key, option in _as_dict(value).items() if text(key) and text(option)}


def selected_options(event, ctx):
    return pairs(text_map(event.data.get("options_selected")).items())


def corrections(event, ctx):
    return text_map(event.data.get("corrections")) or None


def matched_staff(event, ctx):
    """True when the learner chose the staff's option on every criterion of the example."""
    found = event.data.get("corrections")
    return not found if isinstance(found, dict) else None


def feedback_options(event, ctx):
    return [label for label in (text(option) for option in _as_list(event.data.get("options"))) if label] or None


# --- the ORA block as xAPI object and Caliper entity --------------------------------------

def block_activity(event, ctx):
    return block_iri(usage_key(event, ctx), ctx)


XAPI_BLOCK = (
    Field("object.objectType",                        const("Activity")),
    Field("object.id",                                usage_key,       block_iri, required=True),
    Field("object.definition.type",                   const(v.CMI_INTERACTION)),
    Field("object.definition.interactionType",        const("long-fill-in")),
    Field("object.definition.name",                   display_name,    language_map),
)

CALIPER_BLOCK = (
    Field("object.id",                                usage_key,       block_iri, required=True),
    Field("object.type",                              const("AssessmentItem")),
    Field("object.name",                              display_name,    text),
)


def graded_attempt(event, ctx):
    """The submission being assessed, as the Attempt a GradeEvent grades."""
    attempt_id = submission_urn(event.data.get("submission_uuid"))
    block = block_activity(event, ctx)
    if not attempt_id or not block:
        return None
    attempt = {"id": attempt_id, "type": "Attempt", "assignable": {"id": block, "type": "AssessmentItem"}}
    if event.name == "openassessmentblock.self_assess":
        attempt["assignee"] = learner(event, ctx)
    return attempt


def given_score(event, ctx):
    score = {"id": generated_id(event, 1), "type": "Score",
             "scoredBy": learner(event, ctx)}
    points = rubric_score(event)
    if points is not None:
        score["scoreGiven"], score["maxScore"] = points
    feedback = text(event.data.get("feedback"))
    if feedback:
        score["comment"] = feedback
    detail = rubric_detail(event, ctx)
    if detail:
        score["extensions"] = {"criteria": detail}
    return score


def submitted_response(event, ctx):
    """The learner's response (OpenEndedResponse) and the attempt it belongs to."""
    response = {"id": generated_id(event, 1), "type": "OpenEndedResponse"}
    value = submitted_text(event, ctx)
    if value:
        response["value"] = value
    attempt_id = submission_urn(event.data.get("submission_uuid"))
    block = block_activity(event, ctx)
    if attempt_id and block:
        response["attempt"] = {"id": attempt_id, "type": "Attempt", "assignable": block}
        attempts = count(event.data.get("attempt_number"))
        if attempts is not None:
            response["attempt"]["count"] = attempts
    return response


def saved_response(event, ctx):
    response = {"id": generated_id(event, 1), "type": "OpenEndedResponse"}
    value = saved_text(event, ctx)
    if value:
        response["value"] = value
    return response


def training_response(event, ctx):
    """The options the learner chose for a training example (RatingScaleResponse)."""
    response = {"id": generated_id(event, 1), "type": "RatingScaleResponse"}
    chosen = text_map(event.data.get("options_selected"))
    if chosen:
        response["selections"] = [f"{criterion}: {option}" for criterion, option in chosen.items()]
    return response


def feedback_comment(event, ctx):
    comment = {"id": generated_id(event, 1), "type": "Comment", "commentedOn": block_activity(event, ctx)}
    value = text(event.data.get("feedback_text"))
    if value:
        comment["value"] = value
    options = feedback_options(event, ctx)
    if options:
        comment["extensions"] = {"options": options}
    return comment


def uploaded_file(event, ctx):
    document = {"id": generated_id(event, 1), "type": "DigitalResource"}
    media_type = text(event.data.get("fileType"))
    if media_type:
        document["mediaType"] = media_type
    size = count(event.data.get("fileSize"))
    if size is not None:
        document["extensions"] = {"fileSize": size}
    return document


# An uploaded file's browser event usually knows no block: the course is the object then.

def upload_target(event, ctx):
    return block_activity(event, ctx) or course_iri(event.course_id, ctx)


def upload_target_type(event, ctx):
    return v.CMI_INTERACTION if block_activity(event, ctx) else v.COURSE


def upload_target_entity(event, ctx):
    return "AssessmentItem" if block_activity(event, ctx) else "CourseOffering"


def upload_interaction(event, ctx):
    return "long-fill-in" if block_activity(event, ctx) else None


def upload_name(event, ctx):
    return display_name(event, ctx) if block_activity(event, ctx) else None


# --- the mapping tables ---------------------------------------------------------------------

XAPI_FIELDS = {
    "submission": XAPI_BLOCK + (
        Field("result.response",                          submitted_text),
        Field(f"context.extensions[{v.EXT_ATTEMPT_ID}]",     "data.attempt_number", count),
        Field(f"context.extensions[{EXT_SUBMISSION}]",    "data.submission_uuid", submission_uuid),
    ),
    "draft": XAPI_BLOCK + (
        Field("result.response",                          saved_text),
        Field("result.completion",                        const(False)),
    ),
    "assessment": XAPI_BLOCK + (
        Field("result.score",                             xapi_score),
        Field("result.response",                          rubric_response),
        Field(f"result.extensions[{v.EXT_FEEDBACK}]",     "data.feedback", text),
        Field(f"result.extensions[{EXT_RUBRIC}]",         rubric_detail),
        Field(f"context.extensions[{EXT_SUBMISSION}]",    "data.submission_uuid", submission_uuid),
        Field(f"context.extensions[{EXT_GRADING_TYPE}]",  "data.type", text),
    ),
    "retrieval": XAPI_BLOCK + (
        Field(f"context.extensions[{EXT_SUBMISSION}]",    "data.submission_returned_uuid", submission_uuid),
    ),
    "feedback": XAPI_BLOCK + (
        Field("result.response",                          "data.feedback_text", text),
        Field(f"result.extensions[{EXT_FEEDBACK_OPTIONS}]", feedback_options),
        Field(f"context.extensions[{EXT_SUBMISSION}]",    "data.submission_uuid", submission_uuid),
    ),
    "training": XAPI_BLOCK + (
        Field("result.response",                          selected_options),
        Field("result.success",                           matched_staff),
        Field(f"result.extensions[{EXT_CORRECTIONS}]",    corrections),
        Field(f"context.extensions[{EXT_SUBMISSION}]",    "data.submission_uuid", submission_uuid),
    ),
    "upload": (
        Field("object.objectType",                        const("Activity")),
        Field("object.id",                                upload_target, required=True),
        Field("object.definition.type",                   upload_target_type),
        Field("object.definition.interactionType",        upload_interaction),
        Field("object.definition.name",                   upload_name,   language_map),
        Field(f"result.extensions[{EXT_FILE_TYPE}]",      "data.fileType", text),
        Field(f"result.extensions[{EXT_FILE_SIZE}]",      "data.fileSize", count),
    ),
}

CALIPER_FIELDS = {
    "submission": CALIPER_BLOCK + (
        Field("generated",                                submitted_response),
    ),
    "draft": CALIPER_BLOCK + (
        Field("generated",                                saved_response),
    ),
    "assessment": (
        Field("object",                                   graded_attempt, required=True),
        Field("generated",                                given_score),
    ),
    "retrieval": CALIPER_BLOCK + (
        Field("extensions.submissionUuid",                "data.submission_returned_uuid", submission_uuid),
    ),
    "feedback": CALIPER_BLOCK + (
        Field("generated",                                feedback_comment),
        Field("extensions.submissionUuid",                "data.submission_uuid", submission_uuid),
    ),
    "training": CALIPER_BLOCK + (
        Field("generated",                                training_response),
        Field("extensions.matchedStaffAssessment",        matched_staff),
        Field("extensions.corrections",                   corrections),
        Field("extensions.submissionUuid",                "data.submission_uuid", submission_uuid),
    ),
    "upload": (
        Field("object.id",                                upload_target, required=True),
        Field("object.type",                              upload_target_entity),
        Field("object.name",                              upload_name,   text),
        Field("generated",                                uploaded_file),
    ),
}

PROFILES = {"AssessmentItemEvent": "AssessmentProfile", "ViewEvent": "AssessmentProfile",
            "GradeEvent": "GradingProfile", "FeedbackEvent": "FeedbackProfile", "Event": "GeneralProfile"}

ITEM = "AssessmentItemEvent"

EVENTS = (
    # Open edX event                                         shape         xAPI verb     Caliper type     action
    ("openassessmentblock.create_submission",                "submission", v.ANSWERED,   ITEM,            "Completed"),
    ("openassessmentblock.save_submission",                  "draft",      v.PROGRESSED, "Event",         "Saved"),
    ("openassessmentblock.self_assess",                      "assessment", v.EVALUATED,  "GradeEvent",    "Graded"),
    ("openassessmentblock.peer_assess",                      "assessment", v.EVALUATED,  "GradeEvent",    "Graded"),
    ("openassessmentblock.staff_assess",                     "assessment", v.EVALUATED,  "GradeEvent",    "Graded"),
    ("openassessmentblock.get_peer_submission",              "retrieval",  v.VIEWED,     "ViewEvent",     "Viewed"),
    ("openassessmentblock.get_submission_for_staff_grading", "retrieval",  v.VIEWED,     "ViewEvent",     "Viewed"),
    ("openassessmentblock.submit_feedback_on_assessments",   "feedback",   v.COMMENTED,  "FeedbackEvent", "Commented"),
    ("openassessment.student_training_assess_example",       "training",   v.EVALUATED,  "Event",         "Graded"),
    ("openassessment.upload_file",                           "upload",     v.ATTACHED,   "Event",         "Attached"),
)

for name, shape, verb, caliper_type, action in EVENTS:
    register(
        XapiMapping(event=name, verb=verb, fields=XAPI_FIELDS[shape], family=FAMILY),
        CaliperMapping(event=name, type=caliper_type, action=action, profile=PROFILES[caliper_type],
                       fields=CALIPER_FIELDS[shape], family=FAMILY),
    )


# --- samples ----------------------------------------------------------------------------------

COURSE = "course-v1:edX+DemoX+Demo_Course"
BLOCK = "block-v1:edX+DemoX+Demo_Course+type@openassessment+block@0a1b2c3d4e5f60718293a4b5c6d7e8f9"
SUBMISSION = "6f0c3b2a-8d4e-4f1a-9b7c-2e5d8a1f3c4b"
PEER_SUBMISSION = "c2d4e6f8-1a3b-4c5d-8e7f-9a0b1c2d3e4f"
RUBRIC_PARTS = [
    {"criterion": {"name": "Ideas", "points_possible": 5}, "option": {"name": "Good", "points": 3},
     "feedback": "Clear thesis."},
    {"criterion": {"name": "Content", "points_possible": 3}, "option": {"name": "Fair", "points": 1},
     "feedback": ""},
]


def _sample(name, data, path="handler/submit", module=True, source="server"):
    context = {"course_id": COURSE, "org_id": "edX", "user_id": 12, "username": "learner12",
               "session": "0123456789abcdef", "ip": "10.0.0.1", "host": "lms.example.com",
               "path": f"/courses/{COURSE}/xblock/{BLOCK}/{path}", "agent": "Mozilla/5.0",
               "event_source": source}
    if module:
        context["module"] = {"usage_key": BLOCK, "display_name": "Essay: Why do leaves fall?"}
    return {"name": name, "timestamp": "2024-03-04T10:20:30.123456+00:00", "context": context, "data": data}


def _assessment(score_type, **extra):
    return {"feedback": "Well argued overall.", "parts": RUBRIC_PARTS, "rubric": {"content_hash": "9" * 40},
            "scored_at": "2024-03-04T10:20:29.000000+00:00", "scorer_id": "5f1e2d3c4b5a69788796a5b4c3d2e1f0",
            "score_type": score_type, "submission_uuid": PEER_SUBMISSION if score_type != "SE" else SUBMISSION,
            **extra}


SAMPLES = {
    "openassessmentblock.create_submission": _sample("openassessmentblock.create_submission", {
        "submission_uuid": SUBMISSION, "attempt_number": 1,
        "created_at": "2024-03-04T10:20:30.000000+00:00", "submitted_at": "2024-03-04T10:20:30.000000+00:00",
        "answer": {"parts": [{"text": "Leaves fall because of abscission."}, {"text": "Trees save water."}],
                   "file_keys": [], "files_descriptions": []},
    }),
    "openassessmentblock.save_submission": _sample("openassessmentblock.save_submission", {
        "saved_response": json.dumps({"parts": [{"text": "Leaves fall because"}, {"text": ""}]}),
    }, path="handler/save_submission"),
    "openassessmentblock.self_assess": _sample("openassessmentblock.self_assess", _assessment("SE"),
                                               path="handler/self_assess"),
    "openassessmentblock.peer_assess": _sample("openassessmentblock.peer_assess", _assessment("PE"),
                                               path="handler/peer_assess"),
    "openassessmentblock.staff_assess": _sample("openassessmentblock.staff_assess",
                                                _assessment("ST", type="full-grade"), path="handler/staff_assess"),
    "openassessmentblock.get_peer_submission": _sample("openassessmentblock.get_peer_submission", {
        "course_id": COURSE, "item_id": BLOCK, "requesting_student_id": "5f1e2d3c4b5a69788796a5b4c3d2e1f0",
        "submission_returned_uuid": PEER_SUBMISSION,
    }, path="handler/render_peer_assessment"),
    "openassessmentblock.get_submission_for_staff_grading": _sample(
        "openassessmentblock.get_submission_for_staff_grading", {
            "item_id": BLOCK, "requesting_staff_id": "a1b2c3d4e5f60718293a4b5c6d7e8f90",
            "submission_returned_uuid": PEER_SUBMISSION, "type": "full-grade",
        }, path="handler/render_staff_grade_form"),
    "openassessmentblock.submit_feedback_on_assessments": _sample(
        "openassessmentblock.submit_feedback_on_assessments", {
            "feedback_text": "The peer comments helped me.", "submission_uuid": SUBMISSION,
            "options": ["These assessments were useful."],
        }, path="handler/submit_feedback"),
    "openassessment.student_training_assess_example": _sample(
        "openassessment.student_training_assess_example", {
            "submission_uuid": SUBMISSION, "options_selected": {"Ideas": "Good", "Content": "Poor"},
            "corrections": {"Content": "Fair"},
        }, path="handler/training_assess"),
    "openassessment.upload_file": _sample("openassessment.upload_file", {
        "fileName": "essay-figure.png", "fileSize": 52341, "fileType": "image/png",
    }, path="event", module=False, source="browser"),
}
