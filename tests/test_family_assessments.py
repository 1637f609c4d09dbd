"""Open response assessment, drag and drop, polls and surveys, library content.

Each event's sample (the family module's SAMPLES) and the hand-written variants in
tests/fixtures/events/assessments/ are translated to xAPI and Caliper through the
pipeline (which validates them with our validators); xAPI statements are also checked
with Ralph's model.
"""
import copy
import json
from pathlib import Path

import pytest
from ralph.models.xapi.base.statements import BaseXapiStatement

from openedx_xapi.events import parse_event
from openedx_xapi.pipeline import documents_for
from openedx_xapi.translator import mapping_for
from openedx_xapi.translator import vocabulary as v
from openedx_xapi.translator.families import drag_and_drop, library_content, ora, polls

FAMILIES = (ora, drag_and_drop, polls, library_content)
FIXTURES = Path(__file__).parent / "fixtures" / "events" / "assessments"
LMS = "http://localhost:18000"
XBLOCK = f"{LMS}/xblock/"
COURSE_IRI = f"{LMS}/course/course-v1:edX+DemoX+Demo_Course"

ORA_BLOCK = XBLOCK + ora.BLOCK
DND_BLOCK = XBLOCK + drag_and_drop.BLOCK
POLL_BLOCK = XBLOCK + polls.POLL
SURVEY_BLOCK = XBLOCK + polls.SURVEY
LIBRARY_BLOCK = XBLOCK + library_content.LIBRARY_BLOCK

ANSWERED = "http://adlnet.gov/expapi/verbs/answered"
EVALUATED = "https://w3id.org/xapi/acrossx/verbs/evaluated"
VIEWED = "http://id.tincanapi.com/verb/viewed"
CMI = "http://adlnet.gov/expapi/activities/cmi.interaction"
EXT = "https://w3id.org/xapi/openedx/extension/"

# event: (xAPI verb, object id, object type, Caliper type, action, Caliper object type)
EXPECTED = {
    "openassessmentblock.create_submission": (
        ANSWERED, ORA_BLOCK, CMI, "AssessmentItemEvent", "Completed", "AssessmentItem"),
    "openassessmentblock.save_submission": (
        "http://adlnet.gov/expapi/verbs/progressed", ORA_BLOCK, CMI, "Event", "Saved", "AssessmentItem"),
    "openassessmentblock.self_assess": (EVALUATED, ORA_BLOCK, CMI, "GradeEvent", "Graded", "Attempt"),
    "openassessmentblock.peer_assess": (EVALUATED, ORA_BLOCK, CMI, "GradeEvent", "Graded", "Attempt"),
    "openassessmentblock.staff_assess": (EVALUATED, ORA_BLOCK, CMI, "GradeEvent", "Graded", "Attempt"),
    "openassessmentblock.get_peer_submission": (VIEWED, ORA_BLOCK, CMI, "ViewEvent", "Viewed", "AssessmentItem"),
    "openassessmentblock.get_submission_for_staff_grading": (
        VIEWED, ORA_BLOCK, CMI, "ViewEvent", "Viewed", "AssessmentItem"),
    "openassessmentblock.submit_feedback_on_assessments": (
        "http://adlnet.gov/expapi/verbs/commented", ORA_BLOCK, CMI, "FeedbackEvent", "Commented", "AssessmentItem"),
    "openassessment.student_training_assess_example": (
        EVALUATED, ORA_BLOCK, CMI, "Event", "Graded", "AssessmentItem"),
    "openassessment.upload_file": (
        "http://activitystrea.ms/schema/1.0/attach", COURSE_IRI, "http://adlnet.gov/expapi/activities/course",
        "Event", "Attached", "CourseOffering"),
    "edx.drag_and_drop_v2.loaded": (VIEWED, DND_BLOCK, CMI, "ViewEvent", "Viewed", "Assessment"),
    "edx.drag_and_drop_v2.item.picked_up": (
        "http://id.tincanapi.com/verb/selected", DND_BLOCK + "/item/0", CMI,
        "AssessmentItemEvent", "Started", "AssessmentItem"),
    "edx.drag_and_drop_v2.item.dropped": (
        ANSWERED, DND_BLOCK + "/item/0", CMI, "AssessmentItemEvent", "Completed", "AssessmentItem"),
    "edx.drag_and_drop_v2.feedback.opened": (
        VIEWED, DND_BLOCK + "/feedback", v.SUPPLEMENTAL_INFO, "ViewEvent", "Viewed", "DigitalResource"),
    "edx.drag_and_drop_v2.feedback.closed": (
        "http://activitystrea.ms/schema/1.0/close", DND_BLOCK + "/feedback", v.SUPPLEMENTAL_INFO,
        "Event", "Hid", "DigitalResource"),
    "xblock.poll.submitted": (ANSWERED, POLL_BLOCK, CMI, "QuestionnaireItemEvent", "Completed", "QuestionnaireItem"),
    "xblock.poll.view_results": (VIEWED, POLL_BLOCK, CMI, "ViewEvent", "Viewed", "QuestionnaireItem"),
    "xblock.survey.submitted": (ANSWERED, SURVEY_BLOCK, CMI, "QuestionnaireEvent", "Submitted", "Questionnaire"),
    "xblock.survey.view_results": (VIEWED, SURVEY_BLOCK, CMI, "ViewEvent", "Viewed", "Questionnaire"),
    "edx.librarycontentblock.content.assigned": (
        "http://activitystrea.ms/schema/1.0/receive", LIBRARY_BLOCK, v.MODULE,
        "Event", "Added", "DigitalResourceCollection"),
    "edx.librarycontentblock.content.removed": (
        "http://activitystrea.ms/schema/1.0/lose", LIBRARY_BLOCK, v.MODULE,
        "Event", "Removed", "DigitalResourceCollection"),
}
SAMPLES = {name: sample for family in FAMILIES for name, sample in family.SAMPLES.items()}


def statement(raw, ctx):
    [document] = documents_for(parse_event(copy.deepcopy(raw)), "xapi", ctx)
    BaseXapiStatement(**document)
    return document


def caliper_event(raw, ctx):
    [document] = documents_for(parse_event(copy.deepcopy(raw)), "caliper", ctx)
    return document


def fixture(name):
    return json.loads((FIXTURES / name).read_text())


# --- every event ------------------------------------------------------------------------------

def test_every_event_of_the_families_is_mapped_with_a_sample():
    assert set(SAMPLES) == set(EXPECTED)
    for name in EXPECTED:
        assert mapping_for("xapi", name) is not None and mapping_for("caliper", name) is not None


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_translates_to_the_expected_xapi_statement(name, ctx):
    verb, object_id, object_type, *_ = EXPECTED[name]
    document = statement(SAMPLES[name], ctx)
    assert document["verb"]["id"] == verb
    assert document["object"]["id"] == object_id
    assert document["object"]["definition"]["type"] == object_type
    activities = document["context"]["contextActivities"]
    assert COURSE_IRI in [activity["id"] for activity in activities.get("grouping", activities["parent"])]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_translates_to_the_expected_caliper_event(name, ctx):
    *_, caliper_type, action, object_type = EXPECTED[name]
    document = caliper_event(SAMPLES[name], ctx)
    assert (document["type"], document["action"], document["object"]["type"]) == (caliper_type, action, object_type)
    assert document["group"] == {"id": COURSE_IRI, "type": "CourseOffering"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_no_personal_data_in_the_documents(name, ctx):
    for protocol in ("xapi", "caliper"):
        text = json.dumps(documents_for(parse_event(copy.deepcopy(SAMPLES[name])), protocol, ctx))
        for personal in ("learner12", "10.0.0.1", "Mozilla", "0123456789abcdef", "5f1e2d3c4b5a69788796a5b4c3d2e1f0",
                         "a1b2c3d4e5f60718293a4b5c6d7e8f90", "essay-figure.png"):
            assert personal not in text


def test_generated_entities_have_ids_of_their_own(ctx):
    document = caliper_event(SAMPLES["openassessmentblock.create_submission"], ctx)
    assert document["generated"]["id"].startswith("urn:uuid:")
    assert document["generated"]["id"] != document["id"]
    assert caliper_event(SAMPLES["openassessmentblock.create_submission"], ctx)["generated"] == document["generated"]


def test_differences_from_erb_are_declared():
    for family in FAMILIES:
        assert family.DIFFERENCES_FROM_ERB == {}  # ERB maps none of these events


# --- open response assessment ------------------------------------------------------------------

def test_ora_submission_carries_the_learners_text_and_attempt(ctx):
    document = statement(SAMPLES["openassessmentblock.create_submission"], ctx)
    assert document["result"]["response"] == "Leaves fall because of abscission.[,]Trees save water."
    assert document["object"]["definition"]["interactionType"] == "long-fill-in"
    assert document["object"]["definition"]["name"] == {"en-US": "Essay: Why do leaves fall?"}
    extensions = document["context"]["extensions"]
    assert extensions["http://id.tincanapi.com/extension/attempt-id"] == 1
    assert extensions[EXT + "submission-uuid"] == ora.SUBMISSION

    generated = caliper_event(SAMPLES["openassessmentblock.create_submission"], ctx)["generated"]
    assert generated["type"] == "OpenEndedResponse"
    assert generated["value"] == "Leaves fall because of abscission.[,]Trees save water."
    assert generated["attempt"] == {"id": f"urn:uuid:{ora.SUBMISSION}", "type": "Attempt",
                                    "assignable": ORA_BLOCK, "count": 1}


def test_ora_legacy_single_text_answer(ctx):
    raw = fixture("ora_create_submission_legacy_text.json")
    assert statement(raw, ctx)["result"]["response"] == "A single-prompt answer from an older ORA."
    assert caliper_event(raw, ctx)["generated"]["value"] == "A single-prompt answer from an older ORA."


def test_ora_saved_draft(ctx):
    document = statement(SAMPLES["openassessmentblock.save_submission"], ctx)
    assert document["result"] == {"response": "Leaves fall because", "completion": False}
    assert caliper_event(SAMPLES["openassessmentblock.save_submission"], ctx)["generated"]["value"] == \
        "Leaves fall because"
    documented = fixture("ora_save_submission_documented_shape.json")
    assert statement(documented, ctx)["result"]["response"] == "Draft written before ORA had prompts' parts."


@pytest.mark.parametrize("name", ["openassessmentblock.self_assess", "openassessmentblock.peer_assess",
                                  "openassessmentblock.staff_assess"])
def test_ora_assessment_scores_the_rubric(name, ctx):
    document = statement(SAMPLES[name], ctx)
    assert document["result"]["score"] == {"raw": 4.0, "min": 0.0, "max": 8.0, "scaled": 0.5}
    assert document["result"]["response"] == "Ideas[.]Good[,]Content[.]Fair"
    assert document["result"]["extensions"][EXT + "feedback"] == "Well argued overall."
    assert document["result"]["extensions"][EXT + "rubric"][0] == {
        "criterion": "Ideas", "option": "Good", "points": 3.0, "points_possible": 5.0, "feedback": "Clear thesis."}
    assessed = ora.SUBMISSION if name.endswith("self_assess") else ora.PEER_SUBMISSION
    assert document["context"]["extensions"][EXT + "submission-uuid"] == assessed

    grade = caliper_event(SAMPLES[name], ctx)
    assert grade["object"]["id"] == f"urn:uuid:{assessed}"
    assert grade["object"]["assignable"] == {"id": ORA_BLOCK, "type": "AssessmentItem"}
    assert ("assignee" in grade["object"]) == name.endswith("self_assess")
    score = grade["generated"]
    assert (score["type"], score["scoreGiven"], score["maxScore"]) == ("Score", 4.0, 8.0)
    assert score["scoredBy"] == grade["actor"]
    assert score["comment"] == "Well argued overall."


def test_ora_staff_regrade_log_line(ctx):
    raw = fixture("ora_staff_assess_regrade_log.json")
    document = statement(raw, ctx)
    assert document["result"]["score"] == {"raw": 7.0, "min": 0.0, "max": 8.0, "scaled": 0.875}
    assert document["context"]["extensions"][EXT + "grading-type"] == "regrade"
    assert "referer" not in json.dumps(document) and "https://lms.example.com/courses/x" not in json.dumps(document)


def test_ora_assessment_without_points_has_no_score(ctx):
    raw = fixture("ora_peer_assess_option_names_log.json")  # documented shape: options are bare names
    document = statement(raw, ctx)
    assert "score" not in document["result"]
    assert document["result"]["response"] == "Ideas[.]Good"
    generated = caliper_event(raw, ctx)["generated"]
    assert "scoreGiven" not in generated and generated["extensions"]["criteria"][1] == {
        "criterion": "Comments", "points_possible": 0.0, "feedback": "Keep going"}


def test_ora_peer_submission_retrieved(ctx):
    document = statement(SAMPLES["openassessmentblock.get_peer_submission"], ctx)
    assert document["context"]["extensions"][EXT + "submission-uuid"] == ora.PEER_SUBMISSION
    assert caliper_event(SAMPLES["openassessmentblock.get_peer_submission"], ctx)["extensions"]["submissionUuid"] \
        == ora.PEER_SUBMISSION


def test_ora_no_peer_submission_available_and_no_module(ctx):
    raw = fixture("ora_get_peer_submission_none_available.json")
    document = statement(raw, ctx)
    assert document["object"]["id"] == ORA_BLOCK  # from the event's item_id
    assert EXT + "submission-uuid" not in document["context"]["extensions"]


def test_ora_feedback_on_assessments(ctx):
    document = statement(SAMPLES["openassessmentblock.submit_feedback_on_assessments"], ctx)
    assert document["result"]["response"] == "The peer comments helped me."
    assert document["result"]["extensions"][EXT + "feedback-options"] == ["These assessments were useful."]
    comment = caliper_event(SAMPLES["openassessmentblock.submit_feedback_on_assessments"], ctx)["generated"]
    assert comment["type"] == "Comment" and comment["value"] == "The peer comments helped me."
    assert comment["commentedOn"] == ORA_BLOCK


def test_ora_training_example(ctx):
    document = statement(SAMPLES["openassessment.student_training_assess_example"], ctx)
    assert document["result"]["response"] == "Ideas[.]Good[,]Content[.]Poor"
    assert document["result"]["success"] is False
    assert document["result"]["extensions"][EXT + "corrections"] == {"Content": "Fair"}
    assert statement(fixture("ora_training_all_correct.json"), ctx)["result"]["success"] is True
    response = caliper_event(SAMPLES["openassessment.student_training_assess_example"], ctx)["generated"]
    assert response == {"id": response["id"], "type": "RatingScaleResponse",
                        "selections": ["Ideas: Good", "Content: Poor"]}


def test_ora_upload_keeps_the_file_type_and_size_but_not_its_name(ctx):
    for raw in (SAMPLES["openassessment.upload_file"], fixture("ora_upload_file_browser_log.json")):
        document = statement(raw, ctx)
        assert document["object"]["id"] == COURSE_IRI  # a browser event knows no block
        extensions = document["result"]["extensions"]
        assert set(extensions) == {EXT + "file-type", EXT + "file-size"}
        generated = caliper_event(raw, ctx)["generated"]
        assert generated["type"] == "DigitalResource" and "name" not in generated
        assert "Jane Doe" not in json.dumps(document) + json.dumps(generated)
    with_block = copy.deepcopy(SAMPLES["openassessment.upload_file"])
    with_block["context"]["module"] = {"usage_key": ora.BLOCK, "display_name": "Essay"}
    assert statement(with_block, ctx)["object"]["definition"]["type"] == CMI
    assert caliper_event(with_block, ctx)["object"]["type"] == "AssessmentItem"


# --- drag and drop ------------------------------------------------------------------------------

def test_dnd_item_dropped_answers_the_item_with_a_zone(ctx):
    document = statement(SAMPLES["edx.drag_and_drop_v2.item.dropped"], ctx)
    assert document["result"]["response"] == "Arctic"
    assert document["result"]["success"] is True
    assert document["object"]["definition"] == {"type": CMI, "interactionType": "choice",
                                                "name": {"en-US": "Polar bear"}}
    activities = document["context"]["contextActivities"]
    assert activities["parent"][0]["id"] == DND_BLOCK
    assert activities["parent"][0]["definition"]["interactionType"] == "matching"
    assert activities["grouping"][0]["id"] == COURSE_IRI

    event = caliper_event(SAMPLES["edx.drag_and_drop_v2.item.dropped"], ctx)
    assert event["object"]["isPartOf"] == {"id": DND_BLOCK, "type": "Assessment"}
    assert event["generated"]["type"] == "MultipleChoiceResponse" and event["generated"]["value"] == "Arctic"
    assert event["generated"]["extensions"] == {"zoneId": "arctic", "isCorrect": True}


def test_dnd_number_input_variant(ctx):
    raw = fixture("dnd_item_dropped_number_input.json")
    document = statement(raw, ctx)
    assert document["object"]["id"] == DND_BLOCK + "/item/2"
    assert document["result"]["response"] == "Middle"
    assert document["result"]["success"] is False
    assert document["result"]["extensions"] == {EXT + "correct-zone": True, EXT + "number-input": 42}
    assert caliper_event(raw, ctx)["generated"]["extensions"] == {
        "isCorrect": False, "isCorrectLocation": True, "numberInput": 42}


def test_dnd_item_back_to_the_bank(ctx):
    document = statement(fixture("dnd_item_dropped_back_to_bank.json"), ctx)
    assert document["result"]["response"] == "item bank"
    assert document["result"]["extensions"][EXT + "zone-id"] == "-1"


def test_dnd_feedback(ctx):
    opened = statement(SAMPLES["edx.drag_and_drop_v2.feedback.opened"], ctx)
    assert opened["result"]["extensions"][EXT + "feedback"] == drag_and_drop.FEEDBACK
    closed = statement(fixture("dnd_feedback_closed_by_browser_log.json"), ctx)
    assert closed["result"]["extensions"][EXT + "closed-manually"] is False
    hid = caliper_event(SAMPLES["edx.drag_and_drop_v2.feedback.closed"], ctx)
    assert hid["object"]["description"] == drag_and_drop.FEEDBACK
    assert hid["extensions"]["closedManually"] is True


def test_dnd_loaded_log_line(ctx):
    document = statement(fixture("dnd_loaded_log.json"), ctx)
    assert document["verb"]["id"] == VIEWED and document["object"]["id"] == DND_BLOCK


# --- polls and surveys --------------------------------------------------------------------------

def test_poll_answer(ctx):
    document = statement(SAMPLES["xblock.poll.submitted"], ctx)
    assert document["result"] == {"response": "autumn", "completion": True}
    assert document["object"]["definition"]["interactionType"] == "choice"
    assert caliper_event(SAMPLES["xblock.poll.submitted"], ctx)["generated"]["selections"] == ["autumn"]
    assert statement(fixture("poll_submitted_log.json"), ctx)["result"]["response"] == "G"


def test_survey_answers(ctx):
    document = statement(SAMPLES["xblock.survey.submitted"], ctx)
    assert document["result"]["response"] == "pace[.]agree[,]videos[.]strongly-agree"
    assert document["object"]["definition"]["interactionType"] == "matching"
    attempt = caliper_event(SAMPLES["xblock.survey.submitted"], ctx)["generated"]
    assert attempt["type"] == "Attempt" and attempt["assignable"] == SURVEY_BLOCK
    assert attempt["extensions"]["choices"] == {"pace": "agree", "videos": "strongly-agree"}
    empty = statement(fixture("survey_submitted_no_answers.json"), ctx)
    assert empty["result"] == {"completion": True}


# --- library content ----------------------------------------------------------------------------

def test_library_content_assigned(ctx):
    document = statement(SAMPLES["edx.librarycontentblock.content.assigned"], ctx)
    other = document["context"]["contextActivities"]["other"]
    assert [activity["id"] for activity in other] == [
        XBLOCK + library_content.FIRST["usage_key"], XBLOCK + library_content.SECOND["usage_key"]]
    assert other[0]["definition"]["extensions"][library_content.EXT_ORIGINAL_USAGE_KEY] == \
        "lb:edX:QuestionBank:problem:q1"
    event = caliper_event(SAMPLES["edx.librarycontentblock.content.assigned"], ctx)
    assert [item["id"] for item in event["object"]["items"]] == [activity["id"] for activity in other]
    assert event["extensions"]["maxCount"] == 2 and event["extensions"]["previousCount"] == 0


def test_library_content_removed(ctx):
    document = statement(SAMPLES["edx.librarycontentblock.content.removed"], ctx)
    assert [activity["id"] for activity in document["context"]["contextActivities"]["other"]] == [
        XBLOCK + library_content.THIRD["usage_key"]]
    assert document["context"]["extensions"][library_content.EXT_REASON] == "overlimit"
    assert caliper_event(SAMPLES["edx.librarycontentblock.content.removed"], ctx)["extensions"]["reason"] == \
        "overlimit"


def test_library_content_without_module_drops_junk_components(ctx):
    raw = fixture("library_assigned_without_module.json")
    document = statement(raw, ctx)
    assert document["object"]["id"] == LIBRARY_BLOCK and "name" not in document["object"]["definition"]
    assert [activity["id"] for activity in document["context"]["contextActivities"]["other"]] == [
        XBLOCK + "block-v1:edX+DemoX+Demo_Course+type@problem+block@q9"]


# --- every fixture ------------------------------------------------------------------------------

@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda path: path.stem)
def test_fixture_translates_to_valid_documents(path, ctx):
    raw = json.loads(path.read_text())
    name = raw["name"]
    verb, *_, caliper_type, action, _ = EXPECTED[name]
    assert statement(raw, ctx)["verb"]["id"] == verb
    document = caliper_event(raw, ctx)
    assert (document["type"], document["action"]) == (caliper_type, action)


# --- against ERB --------------------------------------------------------------------------------
