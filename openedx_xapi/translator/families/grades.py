"""Grades: the learner's score on a problem, a subsection or the course, and passing it.

=========================================== ========= ================== ==============================
Open edX event                              xAPI verb Caliper            object
=========================================== ========= ================== ==============================
edx.grades.problem.submitted                attempted GradeEvent Graded  the problem (question)
edx.grades.subsection.grade_calculated      earned    GradeEvent Graded  the subsection (resource)
edx.grades.course.grade_calculated          earned    GradeEvent Graded  the course, with letter grade
edx.course.grade.passed.first_time          passed    GradeEvent Graded  the course
edx.course.grade.now_passed                 passed    GradeEvent Graded  the course
edx.course.grade.now_failed                 failed    GradeEvent Graded  the course
=========================================== ========= ================== ==============================

xAPI: the score is ``result.score`` (raw/max are the weighted points, min 0, scaled their
ratio), ``result.success`` says whether every point was earned (ERB's rule) or whether
the course is passed. A score the event cannot give (no points possible, earned points
out of range, junk) is left out rather than made up.

Caliper (Grading Profile): the object is the learner's ``Attempt`` at the problem,
subsection or course: a stable ``urn:uuid`` per learner and graded thing, the learner as
``assignee``, the problem or subsection as ``assignable`` (a course is an Organization in
Caliper, not a resource that can be assigned, so it is the event's ``group`` only). The
``generated`` ``Score`` (scoreGiven/maxScore, scored by the LMS) is there when the event
gives one.
"""
from openedx_xapi.translator import vocabulary as v
from openedx_xapi.translator.caliper import CaliperMapping
from openedx_xapi.translator.common import (
    attempt_urn,
    block_iri,
    course_iri,
    entity,
    generated_id,
    learner,
    number,
    text,
    xapi_score,
)
from openedx_xapi.translator.mapping import Field, const
from openedx_xapi.translator.registry import register
from openedx_xapi.translator.xapi import XapiMapping

FAMILY = "grades"

DIFFERENCES_FROM_ERB = {
    "edx.grades.problem.submitted":
        "No result.score when weighted_possible is 0 or missing: ERB writes min = max = 0 (or divides by "
        "null), which is not a valid xAPI score (min must be below max); result.success is left out too.",
    "edx.grades.subsection.grade_calculated":
        "No result.score when weighted_total_possible is 0: ERB writes min = max = 0, not a valid xAPI "
        "score; result.success is left out too.",
}


# --- what is graded ------------------------------------------------------------------

def problem_iri(event, ctx):
    return block_iri(event.data.get("problem_id"), ctx)


def subsection_iri(event, ctx):
    return block_iri(event.data.get("block_id"), ctx)


def the_course_iri(event, ctx):
    return course_iri(event.course_id, ctx)


# --- scores --------------------------------------------------------------------------

def points(event, earned_key, possible_key):
    """(earned, possible) as floats when they make a score: 0 <= earned <= possible, possible > 0."""
    earned, possible = number(event.data.get(earned_key)), number(event.data.get(possible_key))
    if earned is None or possible is None or possible <= 0 or not 0 <= earned <= possible:
        return None
    return earned, possible


def percent(event, key="percent_grade"):
    """The course grade as a fraction of 1, and 1.0 as the maximum."""
    value = number(event.data.get(key))
    return (value, 1.0) if value is not None and 0 <= value <= 1 else None


def weighted(earned_key, possible_key):
    return lambda event: points(event, earned_key, possible_key)


PROBLEM_POINTS = weighted("weighted_earned", "weighted_possible")
SUBSECTION_POINTS = weighted("weighted_total_earned", "weighted_total_possible")


def full_marks(get_points):
    """A source: whether every possible point was earned (None when there is no score)."""
    def source(event, ctx):
        given = get_points(event)
        return None if given is None else given[0] >= given[1]
    return source


def letter_grade(value, ctx):
    """The letter grade; Open edX gives "" below the lowest cutoff, which ERB reports as "Fail"."""
    return "Fail" if value == "" else text(value)


def letter_grade_of(event, ctx):
    data = event.data
    return letter_grade(data["letter_grade"], ctx) if "letter_grade" in data else None


# --- Caliper attempt and score -------------------------------------------------------

def attempt_id(graded_iri):
    """A source: the learner's attempt at the graded thing, as a stable urn:uuid."""
    def source(event, ctx):
        graded = graded_iri(event, ctx)
        return None if graded is None else attempt_urn(event, ctx, graded)
    return source


def assignable(graded_iri, entity_type):
    def source(event, ctx):
        return entity(graded_iri(event, ctx), entity_type)
    return source


def caliper_score(graded_iri, get_points, extensions=None):
    """A source: the generated Score entity, or None when the event gives no score."""
    attempt = attempt_id(graded_iri)

    def source(event, ctx):
        given = get_points(event)
        if given is None:
            return None
        score = {"id": generated_id(event, 1), "type": "Score",
                 "attempt": attempt(event, ctx), "scoreGiven": given[0], "maxScore": given[1],
                 "scoredBy": {"id": ctx.lms_root_url, "type": "SoftwareApplication"}}
        extra = {key: value for key, get in (extensions or {}).items()
                 if (value := get(event, ctx)) is not None}
        if extra:
            score["extensions"] = extra
        return score
    return source


def graded_attempt(graded_iri, assignable_type=None):
    """Caliper fields of the Attempt that was graded."""
    fields = [
        Field("object.id",         attempt_id(graded_iri), required=True),
        Field("object.type",       const("Attempt")),
        Field("object.assignee",   learner),
    ]
    if assignable_type:
        fields.append(Field("object.assignable", assignable(graded_iri, assignable_type)))
    return tuple(fields)


# --- the mapping tables --------------------------------------------------------------

def xapi_block(graded_iri, activity_type, get_points):
    return (
        # target                      source                      transform
        Field("object.objectType",    const("Activity")),
        Field("object.id",            graded_iri,                 required=True),
        Field("object.definition.type", const(activity_type)),
        Field("result.score",         xapi_score(get_points)),
        Field("result.success",       full_marks(get_points)),
    )


XAPI_COURSE = (
    Field("object.objectType",        const("Activity")),
    Field("object.id",                "course_id",                course_iri, required=True),
    Field("object.definition.type",   const(v.COURSE)),
)

XAPI_FIELDS = {
    "edx.grades.problem.submitted": xapi_block(problem_iri, v.QUESTION, PROBLEM_POINTS),
    "edx.grades.subsection.grade_calculated": xapi_block(subsection_iri, v.RESOURCE, SUBSECTION_POINTS),
    "edx.grades.course.grade_calculated": XAPI_COURSE + (
        Field("result.score",         xapi_score(percent)),
        Field(f"result.extensions[{v.EXT_GRADE_CLASSIFICATION}]", letter_grade_of),
    ),
    "edx.course.grade.passed.first_time": XAPI_COURSE + (Field("result.success", const(True)),),
    "edx.course.grade.now_passed":        XAPI_COURSE + (Field("result.success", const(True)),),
    "edx.course.grade.now_failed":        XAPI_COURSE + (Field("result.success", const(False)),),
}

CALIPER_FIELDS = {
    "edx.grades.problem.submitted":
        graded_attempt(problem_iri, "AssessmentItem")
        + (Field("generated", caliper_score(problem_iri, PROBLEM_POINTS)),),
    "edx.grades.subsection.grade_calculated":
        graded_attempt(subsection_iri, "Assessment")
        + (Field("generated", caliper_score(subsection_iri, SUBSECTION_POINTS)),),
    "edx.grades.course.grade_calculated":
        graded_attempt(the_course_iri)
        + (Field("generated", caliper_score(the_course_iri, percent, {"letterGrade": letter_grade_of})),),
    "edx.course.grade.passed.first_time":
        graded_attempt(the_course_iri) + (Field("object.extensions.passed", const(True)),),
    "edx.course.grade.now_passed":
        graded_attempt(the_course_iri) + (Field("object.extensions.passed", const(True)),),
    "edx.course.grade.now_failed":
        graded_attempt(the_course_iri) + (Field("object.extensions.passed", const(False)),),
}

EVENTS = (
    # Open edX event                           xAPI verb    the course is the object
    ("edx.grades.problem.submitted",           v.ATTEMPTED, False),
    ("edx.grades.subsection.grade_calculated", v.EARNED,    False),
    ("edx.grades.course.grade_calculated",     v.EARNED,    True),
    ("edx.course.grade.passed.first_time",     v.PASSED,    True),
    ("edx.course.grade.now_passed",            v.PASSED,    True),
    ("edx.course.grade.now_failed",            v.FAILED,    True),
)

for name, verb, course_is_object in EVENTS:
    register(
        XapiMapping(event=name, verb=verb, fields=XAPI_FIELDS[name], family=FAMILY,
                    course_is_object=course_is_object),
        CaliperMapping(event=name, type="GradeEvent", action="Graded", profile="GradingProfile",
                       fields=CALIPER_FIELDS[name], family=FAMILY),
    )


# --- samples -------------------------------------------------------------------------

COURSE_ID = "course-v1:edX+DemoX+Demo_Course"
PROBLEM = "block-v1:edX+DemoX+Demo_Course+type@problem+block@3fc5461f86764ad7bdbdf6cbdde61e66"
SUBSECTION = "block-v1:edX+DemoX+Demo_Course+type@sequential+block@a2184f8ebf9d478ba57edcc4f288854a"


def _sample(name, data, path="/courses/course-v1:edX+DemoX+Demo_Course/courseware"):
    return {
        "name": name,
        "timestamp": "2024-03-04T10:20:30.123456+00:00",
        "context": {"course_id": COURSE_ID, "org_id": "edX", "user_id": 12, "username": "learner12",
                    "session": "0123456789abcdef", "ip": "10.0.0.1", "host": "lms.example.com",
                    "path": path, "agent": "Mozilla/5.0"},
        "data": {"course_id": COURSE_ID, "user_id": "12", **data},
    }


_TRANSACTION = {"event_transaction_id": "a47772a0-3c7f-4a0e-9c11-7e903a03e503",
                "event_transaction_type": "edx.grades.problem.submitted"}

SAMPLES = {
    "edx.grades.problem.submitted": _sample("edx.grades.problem.submitted", {
        "problem_id": PROBLEM, "weighted_earned": 2, "weighted_possible": 3, **_TRANSACTION}),
    "edx.grades.subsection.grade_calculated": _sample("edx.grades.subsection.grade_calculated", {
        "block_id": SUBSECTION, "course_version": "64e64c6835fe1d2093ba4d69",
        "weighted_total_earned": 3.0, "weighted_total_possible": 4.0,
        "weighted_graded_earned": 3.0, "weighted_graded_possible": 4.0,
        "first_attempted": "2024-03-01 17:58:21.710578+00:00",
        "subtree_edited_timestamp": "2024-02-23 18:14:00.070241+00:00",
        "visible_blocks_hash": "7bcnLlOwpFfmByYbwqBmWHskIEY=", **_TRANSACTION}),
    "edx.grades.course.grade_calculated": _sample("edx.grades.course.grade_calculated", {
        "course_version": "64e64c6835fe1d2093ba4d69", "percent_grade": 0.75, "letter_grade": "Pass",
        "course_edited_timestamp": "2024-02-23 18:14:00.070241+00:00",
        "grading_policy_hash": "ChVp0lHGQGCevD0t4njna/C44zQ=", **_TRANSACTION}),
    **{name: _sample(name, dict(_TRANSACTION))
       for name in ("edx.course.grade.passed.first_time", "edx.course.grade.now_passed",
                    "edx.course.grade.now_failed")},
}
