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

Caliper (Grading Profile): every one of these grades is computed by the LMS, so the
actor is the LMS as a ``SoftwareApplication`` (the profile's rule for auto-graded
scenarios, as in 1EdTech's caliperEventGradeGraded fixture) and the learner, named as the
consumer's identity says, is the Attempt's ``assignee``. The object is the learner's
``Attempt`` at the problem, subsection or course: a stable ``urn:uuid`` per learner and
graded thing, with what was graded as ``assignable``: the problem (AssessmentItem), the
subsection (Assessment) or, for a course grade, the course's root block
``<LMS>/xblock/block-v1:<org>+<course>+<run>+type@course+block@course`` as an
``AssignableDigitalResource`` (the course itself, a CourseOffering, is an Organization in
Caliper and cannot be assigned; it stays the event's ``group``). The ``generated``
``Score`` (scoreGiven/maxScore, scored by the LMS) is there when the event gives one; the
passed/failed events give none and say it in the Attempt's ``extensions.passed``.
"""
import re

from openedx_xapi.translator import vocabulary as v
from openedx_xapi.translator.caliper import LMS, CaliperMapping, lms_application
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

# The Caliper difference every auto-graded event of this family has from ERB's form.
_CALIPER_GRADED = ("Caliper: a GradingProfile GradeEvent Graded whose actor is the LMS as a SoftwareApplication "
                   "(the Grading Profile's rule for auto-graded scenarios) and whose object is the learner's "
                   "Attempt, with the learner (anonymised as the actor would be) as assignee")

DIFFERENCES_FROM_ERB = {
    "edx.grades.problem.submitted":
        "No result.score when weighted_possible is 0 or missing: ERB writes min = max = 0 (or divides by "
        "null), which is not a valid xAPI score (min must be below max); result.success is left out too. "
        f"{_CALIPER_GRADED} and the problem as assignable, generating the Score; ERB sends an AssessmentEvent "
        "Submitted by the learner on the problem as an Assessment, which says the learner submitted, not that "
        "the submission was graded.",
    "edx.grades.subsection.grade_calculated":
        "No result.score when weighted_total_possible is 0: ERB writes min = max = 0, not a valid xAPI "
        "score; result.success is left out too.",
    "edx.course.grade.passed.first_time":
        f"{_CALIPER_GRADED} and the course's root block as assignable, extensions.passed true; ERB sends a "
        "generic Event Completed by the learner on the CourseOffering (passing a course is not completing it, "
        "and the Grading Profile is where a pass belongs). The xAPI statement is ERB's.",
}


# --- what is graded ------------------------------------------------------------------

def problem_iri(event, ctx):
    return block_iri(event.data.get("problem_id"), ctx)


def subsection_iri(event, ctx):
    return block_iri(event.data.get("block_id"), ctx)


def the_course_iri(event, ctx):
    return course_iri(event.course_id, ctx)


# A course key -> the usage key of the course's root block, as the modulestore names it:
# ``course_key.make_usage_key("course", "course")``, or ``("course", run)`` for an old
# "org/course/run" course.
_COURSE_PART = r"[\w\-~.:]+(?:\+[\w\-~.:@]+)+"  # org+course+run[+ccx@<n>]
ROOT_BLOCKS = (
    (re.compile(rf"course-v1:(?P<part>{_COURSE_PART})"), "block-v1:{part}+type@course+block@course"),
    (re.compile(rf"ccx-v1:(?P<part>{_COURSE_PART})"), "ccx-block-v1:{part}+type@course+block@course"),
    (re.compile(r"(?P<org>[\w\-~.]+)/(?P<course>[\w\-~.]+)/(?P<run>[\w\-~.]+)"),
     "i4x://{org}/{course}/course/{run}"),
)


def course_root_block(event, ctx):
    """The IRI of the course's root block, the same ``<LMS>/xblock/<usage key>`` as any other
    block's: what a course grade grades, in Caliper (where the course itself is an
    Organization, which an Attempt cannot have as its ``assignable``). None for a course key
    of no known form."""
    course_id = text(event.course_id)
    for pattern, usage_key in ROOT_BLOCKS if course_id else ():
        match = pattern.fullmatch(course_id)
        if match:
            return block_iri(usage_key.format(**match.groupdict()), ctx)
    return None


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
                 "scoredBy": lms_application(ctx)}
        extra = {key: value for key, get in (extensions or {}).items()
                 if (value := get(event, ctx)) is not None}
        if extra:
            score["extensions"] = extra
        return score
    return source


def graded_attempt(graded_iri, assignable_iri, assignable_type):
    """Caliper fields of the Attempt that was graded: the learner's (the actor is the LMS)."""
    return (
        Field("object.id",         attempt_id(graded_iri),                      required=True),
        Field("object.type",       const("Attempt")),
        Field("object.assignee",   learner,                                     required=True),
        Field("object.assignable", assignable(assignable_iri, assignable_type)),
    )


def course_attempt():
    """The learner's Attempt at the course (its id derives from the course, as before), with
    the course's root block as what was assigned."""
    return graded_attempt(the_course_iri, course_root_block, "AssignableDigitalResource")


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
        graded_attempt(problem_iri, problem_iri, "AssessmentItem")
        + (Field("generated", caliper_score(problem_iri, PROBLEM_POINTS)),),
    "edx.grades.subsection.grade_calculated":
        graded_attempt(subsection_iri, subsection_iri, "Assessment")
        + (Field("generated", caliper_score(subsection_iri, SUBSECTION_POINTS)),),
    "edx.grades.course.grade_calculated":
        course_attempt()
        + (Field("generated", caliper_score(the_course_iri, percent, {"letterGrade": letter_grade_of})),),
    "edx.course.grade.passed.first_time":
        course_attempt() + (Field("object.extensions.passed", const(True)),),
    "edx.course.grade.now_passed":
        course_attempt() + (Field("object.extensions.passed", const(True)),),
    "edx.course.grade.now_failed":
        course_attempt() + (Field("object.extensions.passed", const(False)),),
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
                       fields=CALIPER_FIELDS[name], family=FAMILY, actor=LMS),  # the LMS computed the grade
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
