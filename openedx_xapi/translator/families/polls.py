"""Polls and surveys (the poll and survey XBlocks): a poll asks one question, a survey a
grid of questions sharing one set of answers.

============================ ========== ============================== ==========================
Open edX event               xAPI verb  Caliper                        object
============================ ========== ============================== ==========================
xblock.poll.submitted        answered   QuestionnaireItem Completed    the poll; the choice
xblock.poll.view_results     viewed     ViewEvent Viewed (Reading)     the poll (its tally)
xblock.survey.submitted      answered   QuestionnaireEvent Submitted   the survey; the choices
xblock.survey.view_results   viewed     ViewEvent Viewed               the survey (its tally)
============================ ========== ============================== ==========================

xAPI: a poll is a ``cmi.interaction`` of type ``choice``, its ``result.response`` the id
of the answer chosen; a survey is a ``matching`` interaction (questions to answers)
whose response is ``question[.]answer`` pairs joined with ``[,]``. Submitting marks the
poll or survey completed.

Caliper (Survey Profile, but the Reading Profile for viewing a poll's tally): a poll is
a ``QuestionnaireItem``, its answer a ``MultiselectResponse`` with one selection; a survey is a ``Questionnaire`` whose
submission generates an ``Attempt`` carrying the answers in its extensions (a
QuestionnaireEvent may generate nothing else).

ERB does not map these events.
"""
from openedx_xapi.translator import vocabulary as v
from openedx_xapi.translator.caliper import CaliperMapping
from openedx_xapi.translator.common import display_name, generated_id, language_map, module_iri, text
from openedx_xapi.translator.mapping import Field, const
from openedx_xapi.translator.registry import register
from openedx_xapi.translator.xapi import XapiMapping

FAMILY = "polls and surveys"

DIFFERENCES_FROM_ERB = {}  # ERB maps none of these events


# --- reading the event --------------------------------------------------------------------

block = module_iri  # the poll or survey is the block that published the event


def survey_answers(event):
    """``{question: answer}`` with text on both sides."""
    choices = event.data.get("choices")
    if not isinstance(choices, dict):
        return {}
    return {text(question): text(answer) for question, answer in choices.items() if text(question) and text(answer)}


def survey_response(event, ctx):
    return "[,]".join(f"{question}[.]{answer}" for question, answer in survey_answers(event).items()) or None


def poll_response(event, ctx):
    response = {"id": generated_id(event), "type": "MultiselectResponse"}
    choice = text(event.data.get("choice"))
    if choice:
        response["selections"] = [choice]
    return response


def survey_attempt(event, ctx):
    attempt = {"id": generated_id(event), "type": "Attempt"}
    survey = block(event, ctx)
    if survey:
        attempt["assignable"] = survey
    answers = survey_answers(event)
    if answers:
        attempt["extensions"] = {"choices": answers}
    return attempt


# --- the mapping tables ---------------------------------------------------------------------

def xapi_block(interaction):
    return (
        Field("object.objectType",                    const("Activity")),
        Field("object.id",                            block,          required=True),
        Field("object.definition.type",               const(v.CMI_INTERACTION)),
        Field("object.definition.interactionType",    const(interaction)),
        Field("object.definition.name",               display_name,   language_map),
    )


def caliper_block(entity_type):
    return (
        Field("object.id",                            block,          required=True),
        Field("object.type",                          const(entity_type)),
        Field("object.name",                          display_name),
    )


XAPI_FIELDS = {
    "poll": xapi_block("choice"),
    "poll answer": xapi_block("choice") + (
        Field("result.response",                      "data.choice",  text),
        Field("result.completion",                    const(True)),
    ),
    "survey": xapi_block("matching"),
    "survey answers": xapi_block("matching") + (
        Field("result.response",                      survey_response),
        Field("result.completion",                    const(True)),
    ),
}

CALIPER_FIELDS = {
    "poll": caliper_block("QuestionnaireItem"),
    "poll answer": caliper_block("QuestionnaireItem") + (
        Field("generated",                            poll_response),
    ),
    "survey": caliper_block("Questionnaire"),
    "survey answers": caliper_block("Questionnaire") + (
        Field("generated",                            survey_attempt),
    ),
}

EVENTS = (
    # Open edX event               shape             xAPI verb   Caliper type              action
    ("xblock.poll.submitted",      "poll answer",    v.ANSWERED, "QuestionnaireItemEvent", "Completed"),
    ("xblock.poll.view_results",   "poll",           v.VIEWED,   "ViewEvent",              "Viewed"),
    ("xblock.survey.submitted",    "survey answers", v.ANSWERED, "QuestionnaireEvent",     "Submitted"),
    ("xblock.survey.view_results", "survey",         v.VIEWED,   "ViewEvent",              "Viewed"),
)

# The Survey Profile's table lets a ViewEvent view a Questionnaire only: a poll (one
# QuestionnaireItem) whose tally is viewed is read, as the Reading Profile says.
CALIPER_PROFILES = {"xblock.poll.view_results": "ReadingProfile"}

for name, shape, verb, caliper_type, action in EVENTS:
    register(
        XapiMapping(event=name, verb=verb, fields=XAPI_FIELDS[shape], family=FAMILY),
        CaliperMapping(event=name, type=caliper_type, action=action,
                       profile=CALIPER_PROFILES.get(name, "SurveyProfile"),
                       fields=CALIPER_FIELDS[shape], family=FAMILY),
    )


# --- samples ----------------------------------------------------------------------------------

COURSE = "course-v1:edX+DemoX+Demo_Course"
POLL = "block-v1:edX+DemoX+Demo_Course+type@poll+block@8d3c0a7b2e4f41a69c5d7e8f9a0b1c2d"
SURVEY = "block-v1:edX+DemoX+Demo_Course+type@survey+block@1f2e3d4c5b6a47988796a5b4c3d2e1f0"


def _sample(name, usage_key, display, data, handler):
    return {
        "name": name,
        "timestamp": "2024-03-04T10:20:30.123456+00:00",
        "context": {"course_id": COURSE, "org_id": "edX", "user_id": 12, "username": "learner12",
                    "session": "0123456789abcdef", "ip": "10.0.0.1", "host": "lms.example.com",
                    "path": f"/courses/{COURSE}/xblock/{usage_key}/handler/{handler}", "agent": "Mozilla/5.0",
                    "event_source": "server", "module": {"usage_key": usage_key, "display_name": display}},
        "data": data,
    }


SAMPLES = {
    "xblock.poll.submitted": _sample("xblock.poll.submitted", POLL, "Favourite season",
                                     {"url_name": POLL.rsplit("@", 1)[1], "choice": "autumn"}, "vote"),
    "xblock.poll.view_results": _sample("xblock.poll.view_results", POLL, "Favourite season", {}, "get_results"),
    "xblock.survey.submitted": _sample("xblock.survey.submitted", SURVEY, "Course feedback", {
        "url_name": SURVEY.rsplit("@", 1)[1], "choices": {"pace": "agree", "videos": "strongly-agree"},
    }, "vote"),
    "xblock.survey.view_results": _sample("xblock.survey.view_results", SURVEY, "Course feedback", {},
                                          "get_results"),
}
