"""Problems (CAPA): a learner submits, saves, resets or has a problem rescored, and is
shown hints, feedback or the answer.

===================================== ========== =================================== ============================
Open edX event                        xAPI verb  Caliper                             object
===================================== ========== =================================== ============================
problem_check (server)                evaluated  GradeEvent Graded                   the problem (+ each question)
problem_check (browser)               attempted  AssessmentItemEvent Completed       the problem
problem_check_fail                    attempted  Event Submitted                     the problem
problem_graded (browser)              viewed     ViewEvent Viewed                    the problem
problem_reset (browser)               reset      Event Reset                         the problem
reset_problem                         reset      Event Reset                         the problem
reset_problem_fail                    reset      Event Reset                         the problem
problem_save (browser)                saved      Event Saved                         the problem
save_problem_success                  saved      Event Saved                         the problem
save_problem_fail                     saved      Event Saved                         the problem
problem_rescore                       scored     GradeEvent Graded                   the problem
problem_rescore_fail                  scored     Event Graded                        the problem
problem_show (browser)                requested  Event Showed                        the problem's answer
showanswer                            asked      ViewEvent Viewed                    the problem's answer
edx.problem.hint.demandhint_displayed asked      ViewEvent Viewed                    the hint
edx.problem.hint.feedback_displayed   viewed     ViewEvent Viewed                    the problem's feedback
edx.problem.completed                 completed  AssessmentItemEvent Completed       the problem
===================================== ========== =================================== ============================

The problem is ``<LMS>/xblock/<usage key>`` (type cmi.interaction), its answer
``.../answer`` (solution), a hint ``.../hint/<index>`` and the feedback ``.../feedback``
(supplemental-info), as event-routing-backends (ERB) names them; Open edX analytics
(Aspects) reads ``evaluated`` statements for result.response, result.success,
result.score.scaled, interactionType and the attempt-id extension, and counts
``evaluated``, ``passed`` and ``asked`` statements on problems.

Browser and server: the browser sends the problem's form ("input_<answer id>=<value>&...",
or ``[form, html]`` for problem_graded, read from ``data.value`` where the event parser
puts a payload that is not a JSON object); the problem is found from the answer ids and
the course. The server sends the problem's usage key and what it did with it. The
server's outcome carries ``result.success`` (false for the ``*_fail`` events, with the
reason in the failure extension); the browser's click has no result. problem_show uses
"requested", not "asked": showanswer already says "asked" for the same click, and Aspects
would count it twice.

A problem with several questions: one statement for the problem (its score and overall
success), then one per question (its response and success; object ``<problem>_<n>_<m>``
as ERB names it; the problem as ``parent`` and the course as ``grouping``;
``context.statement`` points at the problem's statement).

Caliper: problems are AssessmentItems. A graded submission or a rescore is a GradeEvent
on the learner's Attempt at the problem (the same Attempt id as the grades family's, with
the attempt ``count``), generating a Score. The LMS graded it (a rescore too: staff ask,
the LMS grades), so the actor is the LMS as a SoftwareApplication, as the Grading Profile
requires of auto-graded scenarios, and the learner is the Attempt's ``assignee``. A
rescore that failed graded nothing: a generic Event on the problem, by the learner whose
problem it is. The learner's answer, success and failure reason go to the event's
``extensions`` (response, success, failure).
"""
import json
import re
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl

from openedx_xapi import ids
from openedx_xapi.translator import vocabulary as v
from openedx_xapi.translator.caliper import LEARNER, LMS, CaliperMapping, lms_application
from openedx_xapi.translator.common import (
    activity,
    attempt_urn,
    block_iri,
    boolean,
    count,
    course_entity,
    display_name,
    generated_id,
    integer,
    language_map,
    learner,
    number,
    text,
    xapi_score,
)
from openedx_xapi.translator.mapping import Field, const
from openedx_xapi.translator.mappings import Either
from openedx_xapi.translator.registry import register
from openedx_xapi.translator.xapi import XapiMapping

FAMILY = "problems"

# xAPI extensions of our own
EXT_FAILURE = "https://w3id.org/xapi/openedx/extension/failure"

# CAPA response types -> xAPI interaction types (ERB's table); anything else is "other".
INTERACTION_TYPES = {
    "choiceresponse": "choice",
    "multiplechoiceresponse": "choice",
    "choicetextresponse": "choice",
    "optionresponse": "choice",
    "truefalseresponse": "true-false",
    "numericalresponse": "numeric",
    "stringresponse": "fill-in",
    "formularesponse": "fill-in",
    "symbolicresponse": "fill-in",
    "annotationresponse": "fill-in",
    "imageresponse": "matching",
}

DIFFERENCES_FROM_ERB = {
    "problem_check":
        "Several questions: ERB's problem statement has objectType \"GroupActivity\" (not xAPI) and is the "
        "questions' parent; ours is an Activity, otherwise the same ids, verbs and types (problem statement "
        "with score and overall success, no response; one statement per question with its response). "
        "max_grade 0: ERB writes min = max = 0 (invalid, min must be below max); we give only the raw score. "
        "No submission: the answers as JSON, not a Python repr. Browser: the problem is found from the "
        "form's answer ids and the course, not from the referer (ERB's legacy case names the sequential "
        "from the referer's activate_block_id); an event naming no problem is rejected (ERB sends a "
        "statement without object id). Caliper: the Attempt's assignee/assignable/count are properties, "
        "not extensions, and scoreGiven/maxScore decimals (ERB nests the Score under generated.score); "
        "the browser check is an AssessmentItemEvent Completed on an AssessmentItem, not an "
        "AssessmentEvent Submitted on an Assessment. The server check's GradeEvent has the LMS (a "
        "SoftwareApplication) as actor, as the Grading Profile requires when software grades, and the "
        "learner as the Attempt's assignee; ERB's actor is the learner.",
    "edx.problem.completed":
        "Object id <LMS>/xblock/<usage key>, like every other block, not the bare usage key; with the "
        "score (weighted points) and completion.",
}


# --- where the problem is ------------------------------------------------------------

_ID_CHARS = r"[\w\-~.:]+"
_ANSWER_ID = re.compile(rf"({_ID_CHARS})_(\d+)_(\d+)")          # <block>_<response>_<input>
_INPUT_NAME = re.compile(rf"input_({_ID_CHARS})_(\d+)_(\d+)(\[\]|\{{\}})?")
_COURSE_KEY = re.compile(r"(course|ccx)-v1:([\w\-~.:+@]+)")
_OLD_COURSE_ID = re.compile(rf"({_ID_CHARS})/({_ID_CHARS})/({_ID_CHARS})")
_USAGE_KEY = re.compile(r"[\w\-~.:+@/]+")  # block-v1:...+type@problem+block@<id>, i4x://.../problem/<id>


def usage_key(value):
    """``value`` if it can be a usage key (and so part of an IRI), else None."""
    return value if isinstance(value, str) and _USAGE_KEY.fullmatch(value) else None


def problem_in_course(block, course_id):
    """The usage key of problem ``block`` in the course run ``course_id``."""
    if not isinstance(course_id, str):
        return None
    if match := _COURSE_KEY.fullmatch(course_id):
        prefix = "block-v1" if match[1] == "course" else "ccx-block-v1"
        return f"{prefix}:{match[2]}+type@problem+block@{block}"
    if match := _OLD_COURSE_ID.fullmatch(course_id):
        return f"i4x://{match[1]}/{match[2]}/problem/{block}"
    return None


def browser_payload(event):
    """The problem's form as the browser sent it: "input_<answer id>=<value>&..."."""
    for key in ("value", "answers"):
        value = event.data.get(key)
        if isinstance(value, list) and value:
            value = value[0]  # problem_graded: [form, html]
        if isinstance(value, str):
            return value
    return None


def browser_answers(event):
    """``({answer id: value or [values]}, block id)`` from the browser's form."""
    answers, block = {}, None
    payload = browser_payload(event)
    if not payload:
        return answers, block
    for name, value in parse_qsl(payload, keep_blank_values=True):
        match = _INPUT_NAME.fullmatch(name)
        if match is None:
            continue  # helper fields such as input_<id>_dynamath
        block = block or match[1]
        answer_id = f"{match[1]}_{match[2]}_{match[3]}"
        if match[4] == "[]":
            values = answers.get(answer_id)
            answers[answer_id] = (values if isinstance(values, list) else []) + [value]
        else:
            answers[answer_id] = value
    return answers, block


def shown_problem(value, course_id):
    """problem_show's ``problem``: a usage key, or an answer id ("input_<block>_2_1")."""
    if "type@" in value or value.startswith("i4x://"):
        return value
    if not value:
        return None
    match = _ANSWER_ID.fullmatch(value.removeprefix("input_"))
    return problem_in_course(match[1], course_id) if match else None


def problem_key(event):
    """The usage key of the event's problem, wherever the event keeps it."""
    data, module = event.data, event.context.get("module")
    for value in (data.get("problem_id"), data.get("module_id")):
        if key := usage_key(value):
            return key
    if isinstance(shown := data.get("problem"), str) and (key := usage_key(shown_problem(shown, event.course_id))):
        return key
    if isinstance(module, dict) and (key := usage_key(module.get("usage_key"))):
        return key
    _, block = browser_answers(event)
    return problem_in_course(block, event.course_id) if block else None


def problem_iri(event, ctx):
    return block_iri(problem_key(event), ctx)


def part_of_problem(part):
    """A source: the IRI of a part of the problem (its answer, its feedback)."""
    def source(event, ctx):
        problem = problem_iri(event, ctx)
        return f"{problem}/{part}" if problem else None
    return source


def hint_iri(event, ctx):
    problem, index = problem_iri(event, ctx), integer(event.data.get("hint_index"))
    return f"{problem}/hint/{index}" if problem and index is not None and index >= 0 else None


def from_browser(event):
    """True for the browser's form (problem_check, problem_reset...), False for the server's."""
    if "problem_id" in event.data:
        return False
    return browser_payload(event) is not None or event.context.get("event_source") == "browser"


# --- the problem's questions (server problem_check) ---------------------------------

def questions(event):
    """``[(answer id, submission)]``: each question as the learner saw and answered it."""
    submission = event.data.get("submission")
    if not isinstance(submission, dict):
        return []
    return [(answer_id, asked) for answer_id, asked in submission.items()
            if isinstance(asked, dict) and _ANSWER_ID.fullmatch(answer_id)]


def the_question(event):
    """The submission of a problem with a single question, else None."""
    asked = questions(event)
    return asked[0][1] if len(asked) == 1 else None


def question_text(event, ctx):
    """The question of a problem with a single question (its label in Studio)."""
    return (the_question(event) or {}).get("question")


def question_key(problem, answer_id):
    """A question's id, as ERB makes it: the problem's block id replaced by the answer id."""
    for separator in ("@", "/"):  # block-v1:...+block@<id>, i4x://.../problem/<id>
        head, found, _ = problem.rpartition(separator)
        if found and head:
            return f"{head}{separator}{answer_id}"
    return None


def question_events(event, problem_statement):
    """One event per question of a problem with several, for the question mapping."""
    asked, problem = questions(event), problem_key(event)
    if len(asked) < 2 or not problem:
        return
    for answer_id, submission in asked:
        key = question_key(problem, answer_id)
        if key:
            yield replace(event, data={
                "problem_id": problem, "question_id": key, "submission": submission,
                "attempts": event.data.get("attempts"), "problem_statement": problem_statement,
            })


def problem_activity(event, ctx):
    """The problem, as the parent of its questions' statements."""
    return activity(block_iri(event.data.get("problem_id"), ctx), v.CMI_INTERACTION)


# --- answers, success, scores ---------------------------------------------------------

def response_text(value, ctx=None):
    """A learner's answer as result.response: text as it is, lists and maps as JSON."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, (list, dict)):
        if not value:
            return None
        try:
            return json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError, RecursionError):
            return None
    return text(value)


def answers_response(answers):
    """The answers of an ``answers`` map: the one answer, or all of them as JSON."""
    if not isinstance(answers, dict) or not answers:
        return None
    return response_text(next(iter(answers.values())) if len(answers) == 1 else answers)


def learner_answers(event, ctx):
    """What the learner answered, from the server's ``answers`` or the browser's form."""
    answers = event.data.get("answers")
    return answers_response(answers if isinstance(answers, dict) else browser_answers(event)[0])


def problem_response(event, ctx):
    """The problem statement's response: its one question's answer (several questions
    carry theirs in their own statements), or the bare answers of events before 2014."""
    asked = questions(event)
    if len(asked) == 1:
        return response_text(asked[0][1].get("answer"))
    return None if asked else answers_response(event.data.get("answers"))


def all_answers(event, ctx):
    """Every question's answer, for Caliper (which has no statement per question)."""
    asked = questions(event)
    if not asked:
        return learner_answers(event, ctx)
    return response_text(asked[0][1].get("answer") if len(asked) == 1
                         else {answer_id: submission.get("answer") for answer_id, submission in asked})


def correctness(value, ctx=None):
    """"correct"/"incorrect" (or a boolean) as a boolean."""
    if value in ("correct", "incorrect"):
        return value == "correct"
    return boolean(value)


def problem_success(event, ctx):
    success = correctness(event.data.get("success"))
    if success is None and (asked := the_question(event)) is not None:
        success = boolean(asked.get("correct"))
    return success


def points(earned_key, possible_key):
    """A getter: ``(earned, possible)`` as floats when they make a score, possible None when
    unknown; no points possible (0) only with nothing earned."""
    def get(event):
        earned, possible = number(event.data.get(earned_key)), number(event.data.get(possible_key))
        if earned is None or earned < 0:
            return None
        if possible is None or (possible > 0 and earned <= possible) or (possible == 0 and earned == 0):
            return earned, possible
        return None
    return get


GRADE = points("grade", "max_grade")
RESCORED = points("new_score", "new_total")
WEIGHTED = points("weighted_earned", "weighted_possible")


# --- small transforms -----------------------------------------------------------------

def statement_ref(value, ctx=None):
    return {"objectType": "StatementRef", "id": value}


def interaction_type(submission_path):
    """A source: the xAPI interaction type of a question's CAPA response type."""
    def source(event, ctx):
        submission = submission_path(event)
        response_type = submission.get("response_type") if isinstance(submission, dict) else None
        return INTERACTION_TYPES.get(response_type, "other") if isinstance(response_type, str) else "other"
    return source


# --- Caliper entities -----------------------------------------------------------------

def assessment_item(event, ctx):
    problem = problem_iri(event, ctx)
    if not problem:
        return None
    item = {"id": problem, "type": "AssessmentItem"}
    if name := problem_name(event, ctx):
        item["name"] = name
    if course := course_entity(event, ctx):
        item["isPartOf"] = course
    return item


problem_name = display_name  # the problem is the block that published the event


def attempt_iri(event, ctx):
    """The learner's Attempt at the problem: the same id as the grades family's (one Attempt
    per learner and problem in Caliper, whichever event grades it)."""
    problem = problem_iri(event, ctx)
    return None if problem is None else attempt_urn(event, ctx, problem)


def caliper_score(get_points):
    """A source: the generated Score, or None when the event gives no score."""
    def source(event, ctx):
        given, attempt = get_points(event), attempt_iri(event, ctx)
        if given is None or attempt is None:
            return None
        earned, possible = given
        score = {"id": generated_id(event, 1), "type": "Score",
                 "attempt": attempt, "scoreGiven": earned,
                 "scoredBy": lms_application(ctx)}
        if possible is not None:
            score["maxScore"] = possible
        return score
    return source


# --- the mapping tables ---------------------------------------------------------------

XAPI_PROBLEM = (
    # target                                              source                    transform
    Field("object.objectType",                            const("Activity")),
    Field("object.id",                                    problem_iri,              required=True),
    Field("object.definition.type",                       const(v.CMI_INTERACTION)),
    Field("object.definition.name",                       problem_name,             language_map),
)

XAPI_ATTEMPT_NUMBER = (
    Field(f"object.definition.extensions[{v.EXT_ATTEMPT_ID}]", "data.attempts",     count),
)


def xapi_part(part_iri, activity_type):
    """The object is a part of the problem: its answer, a hint, its feedback."""
    return (
        Field("object.objectType",                        const("Activity")),
        Field("object.id",                                part_iri,                 required=True),
        Field("object.definition.type",                   const(activity_type)),
    )


def xapi_outcome(success):
    """The result of a server action: done (True) or refused (False, with the reason)."""
    fields = (Field("result.success", const(success)),)
    if not success:
        fields += (Field(f"result.extensions[{EXT_FAILURE}]", "data.failure", text),)
    return fields


XAPI_CHECKED = XAPI_PROBLEM + XAPI_ATTEMPT_NUMBER + (
    Field("object.definition.description",                question_text,            language_map),
    Field("object.definition.interactionType",            interaction_type(the_question)),
    Field("result.response",                              problem_response),
    Field("result.score",                                 xapi_score(GRADE)),
    Field("result.success",                               problem_success),
)

XAPI_QUESTION = (
    Field("object.objectType",                            const("Activity")),
    Field("object.id",                                    "data.question_id",       block_iri, required=True),
    Field("object.definition.type",                       const(v.CMI_INTERACTION)),
    Field("object.definition.description",                "data.submission.question", language_map),
    Field("object.definition.interactionType",            interaction_type(lambda event: event.data.get("submission"))),
    Field(f"object.definition.extensions[{v.EXT_ATTEMPT_ID}]", "data.attempts",     count),
    Field("result.response",                              "data.submission.answer", response_text),
    Field("result.success",                               "data.submission.correct", boolean),
    Field("context.statement",                            "data.problem_statement", statement_ref),
)

XAPI_FIELDS = {
    "problem_check (server)": XAPI_CHECKED,  # and XAPI_QUESTION per question, see QuestionByQuestion
    "problem_check (browser)": XAPI_PROBLEM + (
        Field("object.definition.interactionType",        const("other")),
        Field("result.response",                          learner_answers),
    ),
    "problem_check_fail":     XAPI_PROBLEM + (Field("result.response", learner_answers),) + xapi_outcome(False),
    "problem_graded":         XAPI_PROBLEM + (Field("result.response", learner_answers),),
    "problem_reset":          XAPI_PROBLEM,
    "reset_problem":          XAPI_PROBLEM + xapi_outcome(True),
    "reset_problem_fail":     XAPI_PROBLEM + xapi_outcome(False),
    "problem_save":           XAPI_PROBLEM + (Field("result.response", learner_answers),),
    "save_problem_success":   XAPI_PROBLEM + (Field("result.response", learner_answers),) + xapi_outcome(True),
    "save_problem_fail":      XAPI_PROBLEM + (Field("result.response", learner_answers),) + xapi_outcome(False),
    "problem_rescore":        XAPI_PROBLEM + XAPI_ATTEMPT_NUMBER + (
        Field("result.score",                             xapi_score(RESCORED)),
        Field("result.success",                           "data.success",           correctness),
    ),
    "problem_rescore_fail":   XAPI_PROBLEM + xapi_outcome(False),
    "problem_show":           xapi_part(part_of_problem("answer"), v.SOLUTION),
    "showanswer":             xapi_part(part_of_problem("answer"), v.SOLUTION),
    "edx.problem.hint.demandhint_displayed": xapi_part(hint_iri, v.SUPPLEMENTAL_INFO) + (
        Field("object.definition.description",            "data.hint_text",         language_map),
    ),
    "edx.problem.hint.feedback_displayed": xapi_part(part_of_problem("feedback"), v.SUPPLEMENTAL_INFO) + (
        Field("result.response",                          "data.student_answer",    response_text),
        Field("result.success",                           "data.correctness",       boolean),
    ),
    "edx.problem.completed":  XAPI_PROBLEM + (
        Field("result.score",                             xapi_score(WEIGHTED)),
        Field("result.completion",                        const(True)),
    ),
}

CALIPER_ITEM = (
    # target                    source                    transform
    Field("object.id",          problem_iri,              required=True),
    Field("object.type",        const("AssessmentItem")),
    Field("object.name",        problem_name),
    Field("object.isPartOf",    course_entity),
)


def caliper_part(part_iri, name):
    """The object is a part of the problem (its answer, a hint, its feedback)."""
    return (
        Field("object.id",          part_iri,                 required=True),
        Field("object.type",        const("DigitalResource")),
        Field("object.name",        const(name)),
        Field("object.isPartOf",    assessment_item),
    )


def caliper_graded(get_points):
    """The learner's Attempt at the problem, graded, and the Score it got."""
    return (
        Field("object.id",          attempt_iri,              required=True),
        Field("object.type",        const("Attempt")),
        Field("object.assignee",    learner,                  required=True),  # the actor is the LMS
        Field("object.assignable",  assessment_item),
        Field("object.count",       "data.attempts",          count),
        Field("generated",          caliper_score(get_points)),
    )


def caliper_outcome(success):
    fields = (Field("extensions.success", const(success)),)
    if not success:
        fields += (Field("extensions.failure", "data.failure", text),)
    return fields


CALIPER_ANSWERS = (Field("extensions.response", learner_answers),)

CALIPER_FIELDS = {
    "problem_check (server)": caliper_graded(GRADE) + (
        Field("extensions.success",  problem_success),
        Field("extensions.response", all_answers),
    ),
    "problem_check (browser)": CALIPER_ITEM + CALIPER_ANSWERS,
    "problem_check_fail":     CALIPER_ITEM + CALIPER_ANSWERS + caliper_outcome(False),
    "problem_graded":         CALIPER_ITEM + CALIPER_ANSWERS,
    "problem_reset":          CALIPER_ITEM,
    "reset_problem":          CALIPER_ITEM + caliper_outcome(True),
    "reset_problem_fail":     CALIPER_ITEM + caliper_outcome(False),
    "problem_save":           CALIPER_ITEM + CALIPER_ANSWERS,
    "save_problem_success":   CALIPER_ITEM + CALIPER_ANSWERS + caliper_outcome(True),
    "save_problem_fail":      CALIPER_ITEM + CALIPER_ANSWERS + caliper_outcome(False),
    "problem_rescore":        caliper_graded(RESCORED) + (
        Field("extensions.success",  "data.success",          correctness),
    ),
    "problem_rescore_fail":   CALIPER_ITEM + caliper_outcome(False),
    "problem_show":           caliper_part(part_of_problem("answer"), "Answer"),
    "showanswer":             caliper_part(part_of_problem("answer"), "Answer"),
    "edx.problem.hint.demandhint_displayed": caliper_part(hint_iri, "Hint") + (
        Field("object.description",  "data.hint_text",        text),
    ),
    "edx.problem.hint.feedback_displayed": caliper_part(part_of_problem("feedback"), "Feedback") + (
        Field("extensions.response", "data.student_answer",   response_text),
        Field("extensions.success",  "data.correctness",      boolean),
    ),
    "edx.problem.completed":  CALIPER_ITEM,
}

EVENTS = (
    # Open edX event (source)                 xAPI verb    Caliper type           action       profile
    # (the Caliper actor is the learner, except for the GradeEvents: see AUTO_GRADED)
    ("problem_check (browser)",               v.ATTEMPTED, "AssessmentItemEvent", "Completed", "AssessmentProfile"),
    ("problem_check (server)",                v.EVALUATED, "GradeEvent",          "Graded",    "GradingProfile"),
    ("problem_check_fail",                    v.ATTEMPTED, "Event",               "Submitted", "GeneralProfile"),
    ("problem_graded",                        v.VIEWED,    "ViewEvent",           "Viewed",    "AssessmentProfile"),
    ("problem_reset",                         v.RESET,     "Event",               "Reset",     "GeneralProfile"),
    ("reset_problem",                         v.RESET,     "Event",               "Reset",     "GeneralProfile"),
    ("reset_problem_fail",                    v.RESET,     "Event",               "Reset",     "GeneralProfile"),
    ("problem_save",                          v.SAVED,     "Event",               "Saved",     "GeneralProfile"),
    ("save_problem_success",                  v.SAVED,     "Event",               "Saved",     "GeneralProfile"),
    ("save_problem_fail",                     v.SAVED,     "Event",               "Saved",     "GeneralProfile"),
    ("problem_rescore",                       v.SCORED,    "GradeEvent",          "Graded",    "GradingProfile"),
    ("problem_rescore_fail",                  v.SCORED,    "Event",               "Graded",    "GeneralProfile"),
    ("problem_show",                          v.REQUESTED, "Event",               "Showed",    "GeneralProfile"),
    ("showanswer",                            v.ASKED,     "ViewEvent",           "Viewed",    "AssessmentProfile"),
    ("edx.problem.hint.demandhint_displayed", v.ASKED,     "ViewEvent",           "Viewed",    "AssessmentProfile"),
    ("edx.problem.hint.feedback_displayed",   v.VIEWED,    "ViewEvent",           "Viewed",    "AssessmentProfile"),
    ("edx.problem.completed",                 v.COMPLETED, "AssessmentItemEvent", "Completed", "AssessmentProfile"),
)


# Graded by the LMS: its Caliper actor is the LMS, the learner the Attempt's assignee.
AUTO_GRADED = frozenset({"problem_check (server)", "problem_rescore"})


@dataclass(frozen=True)
class QuestionByQuestion:
    """The problem's statement, then one statement per question when it has several."""

    problem: XapiMapping
    question: XapiMapping
    event: str = "problem_check"
    family: str = FAMILY

    protocol = "xapi"

    def translate(self, event, ctx):
        statements = self.problem.translate(event, ctx)
        for index, question in enumerate(question_events(event, statements[0]["id"]), start=1):
            statement = self.question.translate(question, ctx)[0]
            statement["id"] = ids.statement_id(event, "xapi", index)
            statements.append(statement)
        return statements


def event_name(key):
    """ "problem_check (server)" -> "problem_check" """
    return key.partition(" (")[0]


def xapi_mapping(key, verb):
    if key == "problem_check (server)":
        return QuestionByQuestion(
            problem=XapiMapping(event=event_name(key), verb=verb, fields=XAPI_FIELDS[key], family=FAMILY),
            question=XapiMapping(event=event_name(key), verb=verb, fields=XAPI_QUESTION, family=FAMILY,
                                 parent=problem_activity),
        )
    return XapiMapping(event=event_name(key), verb=verb, fields=XAPI_FIELDS[key], family=FAMILY)


MAPPINGS = {
    key: (xapi_mapping(key, verb),
          CaliperMapping(event=event_name(key), type=caliper_type, action=action, profile=profile,
                         fields=CALIPER_FIELDS[key], family=FAMILY,
                         actor=LMS if key in AUTO_GRADED else LEARNER))
    for key, verb, caliper_type, action, profile in EVENTS
}

for _key, (_xapi, _caliper) in MAPPINGS.items():
    if _key.endswith(" (server)"):
        continue  # registered with its browser twin
    if _key.endswith(" (browser)"):
        _server_xapi, _server_caliper = MAPPINGS[_key.replace("(browser)", "(server)")]
        _xapi = Either(from_browser, _xapi, _server_xapi)
        _caliper = Either(from_browser, _caliper, _server_caliper)
    register(_xapi, _caliper)


# --- samples -------------------------------------------------------------------------

COURSE_ID = "course-v1:edX+DemoX+Demo_Course"
BLOCK = "a0effb954cca4759994f1ac9e9434bf4"
PROBLEM = f"block-v1:edX+DemoX+Demo_Course+type@problem+block@{BLOCK}"
HANDLER = f"/courses/{COURSE_ID}/xblock/{PROBLEM}/handler/xmodule_handler"
FORM = f"input_{BLOCK}_2_1=blue&input_{BLOCK}_3_1%5B%5D=choice_0&input_{BLOCK}_3_1%5B%5D=choice_2"
ANSWERS = {f"{BLOCK}_2_1": "blue", f"{BLOCK}_3_1": ["choice_0", "choice_2"]}
STATE = {"seed": 1, "done": True, "student_answers": ANSWERS, "has_saved_answers": False,
         "correct_map": {}, "input_state": {f"{BLOCK}_2_1": {}, f"{BLOCK}_3_1": {}}}


def _sample(name, data, browser=False, handler="problem_check"):
    context = {"course_id": COURSE_ID, "org_id": "edX", "user_id": 12, "username": "learner12",
               "session": "0123456789abcdef", "ip": "10.0.0.1", "host": "lms.example.com",
               "agent": "Mozilla/5.0"}
    if browser:
        context.update(path="/event", event_source="browser")
    else:
        context.update(path=f"{HANDLER}/{handler}", event_source="server",
                       module={"display_name": "Colours and instruments", "usage_key": PROBLEM})
    return {"name": name, "timestamp": "2024-03-04T10:20:30.123456+00:00", "context": context, "data": data}


def _correct_map(*correct):
    return {answer_id: {"correctness": "correct" if right else "incorrect", "npoints": None, "msg": "",
                        "hint": "", "hintmode": None, "queuestate": None, "answervariable": None}
            for answer_id, right in zip(ANSWERS, correct, strict=True)}


SUBMISSION = {
    f"{BLOCK}_2_1": {"question": "What colour is the open ocean on a sunny day?", "answer": "blue",
                     "response_type": "optionresponse", "input_type": "optioninput", "correct": True,
                     "variant": "", "group_label": ""},
    f"{BLOCK}_3_1": {"question": "Which of these are musical instruments?", "answer": ["a piano", "a tree"],
                     "response_type": "choiceresponse", "input_type": "checkboxgroup", "correct": False,
                     "variant": "", "group_label": ""},
}

SAMPLES = {
    "problem_check": _sample("problem_check", {
        "problem_id": PROBLEM, "answers": ANSWERS, "attempts": 2, "grade": 1, "max_grade": 2,
        "correct_map": _correct_map(True, False), "success": "incorrect", "submission": SUBMISSION,
        "state": STATE}),
    "problem_check_fail": _sample("problem_check_fail", {
        "problem_id": PROBLEM, "answers": ANSWERS, "failure": "closed", "state": STATE}),
    "problem_graded": _sample("problem_graded", {
        "value": [FORM, f"<div class=\"problem\"><p>What colour is the open ocean?</p>"
                        f"<input name=\"input_{BLOCK}_2_1\"/></div>"]}, browser=True),
    "problem_reset": _sample("problem_reset", {"value": FORM}, browser=True),
    "reset_problem": _sample("reset_problem", {
        "problem_id": PROBLEM, "old_state": STATE, "new_state": {**STATE, "done": False, "student_answers": {}}},
        handler="problem_reset"),
    "reset_problem_fail": _sample("reset_problem_fail", {
        "problem_id": PROBLEM, "old_state": STATE, "failure": "not_done"}, handler="problem_reset"),
    "problem_save": _sample("problem_save", {"value": FORM}, browser=True),
    "save_problem_success": _sample("save_problem_success", {
        "problem_id": PROBLEM, "answers": ANSWERS, "state": STATE}, handler="problem_save"),
    "save_problem_fail": _sample("save_problem_fail", {
        "problem_id": PROBLEM, "answers": ANSWERS, "failure": "done", "state": STATE}, handler="problem_save"),
    "problem_rescore": _sample("problem_rescore", {
        "problem_id": PROBLEM, "attempts": 2, "orig_score": 1.0, "orig_total": 2.0, "new_score": 2.0,
        "new_total": 2.0, "correct_map": _correct_map(True, True), "success": "correct", "state": STATE},
        handler="rescore"),
    "problem_rescore_fail": _sample("problem_rescore_fail", {
        "problem_id": PROBLEM, "failure": "unsupported", "state": STATE}, handler="rescore"),
    "problem_show": _sample("problem_show", {"problem": PROBLEM}, browser=True),
    "showanswer": _sample("showanswer", {"problem_id": PROBLEM}, handler="problem_show"),
    "edx.problem.hint.demandhint_displayed": _sample("edx.problem.hint.demandhint_displayed", {
        "module_id": PROBLEM, "hint_index": 0, "hint_len": 2,
        "hint_text": "The sky is reflected by the water."}, handler="hint_button"),
    "edx.problem.hint.feedback_displayed": _sample("edx.problem.hint.feedback_displayed", {
        "module_id": PROBLEM, "problem_part_id": f"{BLOCK}_3", "trigger_type": "single",
        "hint_label": "Incorrect", "correctness": False, "student_answer": ["a piano", "a tree"],
        "question_type": "choiceresponse", "choice_all": ["a piano", "a tree", "a guitar"],
        "hints": [{"text": "A tree makes no music."}]}),
    "edx.problem.completed": _sample("edx.problem.completed", {
        "problem_id": PROBLEM, "course_id": COURSE_ID, "user_id": "12", "weighted_earned": 1,
        "weighted_possible": 2, "event_transaction_id": "07adb7b7-db7e-4cfd-9d69-5474a4c5774c",
        "event_transaction_type": "edx.grades.problem.submitted"}),
}
