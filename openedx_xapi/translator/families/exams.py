"""Special exams: a learner's attempt at a timed, practice or proctored exam.

For ``edx.special_exam.<kind>.attempt.<step>``, kind one of timed, practice, proctored:

================ ============ ================================ =========================================
step             xAPI verb    Caliper                          object
================ ============ ================================ =========================================
created          initialized  Event Created                    xAPI: the exam; Caliper: the attempt
started          started      AssessmentEvent Started          the exam (Assessment), the attempt
ready_to_submit  completed    AssignableEvent Completed        the exam (Assessment), the attempt
submitted        terminated   AssessmentEvent Submitted        the exam (Assessment), the attempt
error            abandoned    Event Abandoned                  xAPI: the exam; Caliper: the attempt
deleted          deleted      Event Deleted                    the attempt, in its exam
verified         approved     Event Reviewed                   the attempt, in its exam
rejected         rejected     Event Reviewed                   the attempt, in its exam
================ ============ ================================ =========================================

These are the attempt events of the tracking-log documentation: error for practice
and proctored exams only, verified and rejected for proctored exams only.

xAPI follows event-routing-backends for created and submitted: the exam (a subsection)
is the object, typed by its kind, with its name and time limit; the attempt is in
``contextActivities.grouping``, with its start, end, elapsed time and number. Deleting,
verifying and rejecting an attempt are done by course staff or the proctoring review,
not by the learner, so there the attempt itself is the object (with the exam as its
``parent``) and no learner is named besides the actor.

The attempt is named by its number, as the proctoring REST API names it
(``<LMS>/api/edx_proctoring/v1/proctored_exam/attempt/<attempt_id>``): ERB uses the
``attempt_code``, which is not an IRI and is the code that lets proctoring software
start the exam, so it is not sent.
"""
from datetime import datetime, timezone

from openedx_xapi.translator import vocabulary as v
from openedx_xapi.translator.caliper import CaliperMapping
from openedx_xapi.translator.common import block_iri, duration, integer, learner, number, text
from openedx_xapi.translator.mapping import Field
from openedx_xapi.translator.registry import register
from openedx_xapi.translator.xapi import XapiMapping

FAMILY = "exams"

# The activity type of each kind of exam (event-routing-backends').
EXAM_TYPES = {
    "timed": v.TIMED_ASSESSMENT,
    "practice": v.PRACTICE_ASSESSMENT,
    "proctored": v.PROCTORED_ASSESSMENT,
}

# ERB maps created and submitted; where our statements differ from its, and why.
_ERB_DIFFERENCE = (
    "The object id is the exam's block IRI <LMS>/xblock/<exam_content_id> (ERB: the bare usage key). The "
    "attempt in contextActivities.grouping is named <LMS>/api/edx_proctoring/v1/proctored_exam/attempt/"
    "<attempt_id> (ERB: the attempt_code, which is not an IRI and lets proctoring software start the exam); "
    "null attempt extensions are left out.")
DIFFERENCES_FROM_ERB = {f"edx.special_exam.{kind}.attempt.{step}": _ERB_DIFFERENCE
                        for kind in EXAM_TYPES for step in ("created", "submitted")}


# --- values --------------------------------------------------------------------------

def amount(value, ctx=None):
    """A non-negative number, as an int when it is whole (minutes, seconds)."""
    value = number(value)
    if value is None or value < 0:
        return None
    return int(value) if value.is_integer() and value < 2 ** 53 else value


# Longer than any exam attempt; and Ralph's (pydantic's) durations stop at 2**32 seconds.
LONGEST_ATTEMPT = 366 * 24 * 3600


def elapsed(seconds, ctx=None):
    """The ISO 8601 duration of an attempt's elapsed seconds, or None when it is not plausible."""
    seconds = number(seconds)
    return duration(seconds) if seconds is not None and 0 <= seconds <= LONGEST_ATTEMPT else None


def moment(value):
    """A datetime (UTC) from an ISO 8601 date-time string, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
        parsed = parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)
    except (ValueError, OverflowError):  # not a date-time; or out of range once in UTC
        return None
    return parsed if 1000 <= parsed.year <= 9999 else None


def iso_time(value, ctx=None):
    parsed = moment(value)
    return parsed.isoformat() if parsed else None


def caliper_time(value, ctx=None):
    parsed = moment(value)
    return parsed.strftime("%Y-%m-%dT%H:%M:%S.") + f"{parsed.microsecond // 1000:03d}Z" if parsed else None


# --- the exam and the attempt --------------------------------------------------------

def exam_iri(event, ctx):
    return block_iri(event.data.get("exam_content_id"), ctx)


def attempt_iri(event, ctx):
    attempt_id = integer(event.data.get("attempt_id"))
    if attempt_id is None or attempt_id < 0:
        return None
    return f"{ctx.lms_root_url}/api/edx_proctoring/v1/proctored_exam/attempt/{attempt_id}"


def xapi_exam(kind):
    """A source: the exam as an xAPI activity."""
    def source(event, ctx):
        iri = exam_iri(event, ctx)
        if iri is None:
            return None
        definition = {"type": EXAM_TYPES[kind]}
        name = text(event.data.get("exam_name"))
        if name:
            definition["name"] = {"en": name}
        time_limit = amount(event.data.get("exam_default_time_limit_mins"))
        if time_limit is not None:
            definition["extensions"] = {v.EXT_TIME_LIMIT: time_limit}
        return {"objectType": "Activity", "id": iri, "definition": definition}
    return source


def attempt_extensions(event):
    data = event.data
    extensions = {
        v.EXT_ATTEMPT_STARTED: iso_time(data.get("attempt_started_at")),
        v.EXT_ATTEMPT_COMPLETED: iso_time(data.get("attempt_completed_at")),
        v.EXT_DURATION: amount(data.get("attempt_event_elapsed_time_secs")),
        v.EXT_ATTEMPT_ID: amount(data.get("attempt_id")),
    }
    return {key: value for key, value in extensions.items() if value is not None}


def xapi_attempt(event, ctx):
    """The attempt as an xAPI activity, or None when the event does not number it."""
    iri = attempt_iri(event, ctx)
    if iri is None:
        return None
    definition = {"type": v.ATTEMPT}
    name = text(event.data.get("exam_name"))
    if name:
        definition["name"] = {"en": name}
    extensions = attempt_extensions(event)
    if extensions:
        definition["extensions"] = extensions
    return {"objectType": "Activity", "id": iri, "definition": definition}


def in_a_list(source):
    def listed(event, ctx):
        value = source(event, ctx)
        return [value] if value else None
    return listed


def caliper_assessment(kind):
    """A source: the exam as a Caliper Assessment."""
    def source(event, ctx):
        iri = exam_iri(event, ctx)
        if iri is None:
            return None
        assessment = {"id": iri, "type": "Assessment"}
        name = text(event.data.get("exam_name"))
        if name:
            assessment["name"] = name
        extensions = {"examType": kind}
        time_limit = amount(event.data.get("exam_default_time_limit_mins"))
        if time_limit is not None:
            extensions["timeLimitMinutes"] = time_limit
        assessment["extensions"] = extensions
        return assessment
    return source


def caliper_attempt(kind, by_the_learner):
    """A source: the attempt as a Caliper Attempt (the learner as assignee when it is theirs)."""
    assessment = caliper_assessment(kind)

    def source(event, ctx):
        iri = attempt_iri(event, ctx)
        if iri is None:
            return None
        attempt = {"id": iri, "type": "Attempt"}
        if by_the_learner:
            attempt["assignee"] = learner(event, ctx)
        exam = assessment(event, ctx)
        if exam:
            attempt["assignable"] = exam
        data = event.data
        for key, value in (("startedAtTime", caliper_time(data.get("attempt_started_at"))),
                           ("endedAtTime", caliper_time(data.get("attempt_completed_at"))),
                           ("duration", elapsed(data.get("attempt_event_elapsed_time_secs")))):
            if value is not None:
                attempt[key] = value
        status = text(data.get("attempt_status"))
        if status:
            attempt["extensions"] = {"status": status}
        return attempt
    return source


# --- the mapping tables --------------------------------------------------------------

def xapi_fields(kind, by_the_learner):
    if not by_the_learner:  # done to the learner's attempt, by staff or the proctoring review
        return (
            # target                                    source
            Field("object",                             xapi_attempt, required=True),
        )
    return (
        Field("object",                                 xapi_exam(kind), required=True),
        Field("context.contextActivities.grouping",     in_a_list(xapi_attempt)),
        Field("result.duration",                        "data.attempt_event_elapsed_time_secs", elapsed),
    )


def caliper_fields(kind, caliper_object, by_the_learner):
    if caliper_object == "Attempt":
        return (Field("object", caliper_attempt(kind, by_the_learner), required=True),)
    return (
        Field("object",                                 caliper_assessment(kind), required=True),
        Field("generated",                              caliper_attempt(kind, by_the_learner)),
    )


# In xAPI, the learner's own steps have the exam as object (as ERB has it for created and
# submitted), and the attempt in the grouping; the steps of staff or of the proctoring
# review have the attempt as object, in its exam.
STEPS = (
    # step              xAPI verb      Caliper type       action       profile              object        by the learner
    ("created",         v.INITIALIZED, "Event",           "Created",   "GeneralProfile",    "Attempt",    True),
    ("started",         v.STARTED,     "AssessmentEvent", "Started",   "AssessmentProfile", "Assessment", True),
    ("ready_to_submit", v.COMPLETED,   "AssignableEvent", "Completed", "AssignableProfile", "Assessment", True),
    ("submitted",       v.TERMINATED,  "AssessmentEvent", "Submitted", "AssessmentProfile", "Assessment", True),
    ("error",           v.ABANDONED,   "Event",           "Abandoned", "GeneralProfile",    "Attempt",    True),
    ("deleted",         v.DELETED_AS,  "Event",           "Deleted",   "GeneralProfile",    "Attempt",    False),
    ("verified",        v.APPROVED,    "Event",           "Reviewed",  "GeneralProfile",    "Attempt",    False),
    ("rejected",        v.REJECTED,    "Event",           "Reviewed",  "GeneralProfile",    "Attempt",    False),
)

# Which steps the documentation lists for each kind of exam.
KIND_STEPS = {
    "timed": ("created", "started", "ready_to_submit", "submitted", "deleted"),
    "practice": ("created", "started", "ready_to_submit", "submitted", "error", "deleted"),
    "proctored": ("created", "started", "ready_to_submit", "submitted", "error", "deleted", "verified", "rejected"),
}


def event_name(kind, step):
    return f"edx.special_exam.{kind}.attempt.{step}"


for step, verb, caliper_type, action, profile, caliper_object, by_the_learner in STEPS:
    for kind in (kind for kind, steps in KIND_STEPS.items() if step in steps):
        name = event_name(kind, step)
        register(
            XapiMapping(event=name, verb=verb, fields=xapi_fields(kind, by_the_learner), family=FAMILY,
                        parent=None if by_the_learner else xapi_exam(kind)),
            CaliperMapping(event=name, type=caliper_type, action=action, profile=profile,
                           fields=caliper_fields(kind, caliper_object, by_the_learner), family=FAMILY),
        )


# --- samples -------------------------------------------------------------------------

COURSE_ID = "course-v1:edX+DemoX+Demo_Course"
EXAM = "block-v1:edX+DemoX+Demo_Course+type@sequential+block@5b4bf8d7d41c4070b299abefed74155e"
_TIMES = {  # step: (started at, completed at, seconds elapsed)
    "created": (None, None, None),
    "started": ("2024-03-04T10:00:00.125000+00:00", None, 0.0),
    "ready_to_submit": ("2024-03-04T10:00:00.125000+00:00", None, 1210.5),
    "submitted": ("2024-03-04T10:00:00.125000+00:00", "2024-03-04T10:20:30.000000+00:00", 1229.875),
    "error": ("2024-03-04T10:00:00.125000+00:00", None, 600.25),
    "deleted": ("2024-03-04T10:00:00.125000+00:00", "2024-03-04T10:20:30.000000+00:00", 90000.0),
    "verified": ("2024-03-04T10:00:00.125000+00:00", "2024-03-04T10:20:30.000000+00:00", 172800.0),
    "rejected": ("2024-03-04T10:00:00.125000+00:00", "2024-03-04T10:20:30.000000+00:00", 172800.0),
}


def _sample(kind, step):
    started, completed, elapsed = _TIMES[step]
    staff = step in ("deleted", "verified", "rejected")
    return {
        "name": event_name(kind, step),
        "timestamp": "2024-03-04T10:20:30.123456+00:00",
        "context": {"course_id": COURSE_ID, "org_id": "edX", "user_id": 5 if staff else 12,
                    "username": "staff5" if staff else "learner12", "session": "0123456789abcdef",
                    "ip": "10.0.0.1", "host": "lms.example.com", "agent": "Mozilla/5.0",
                    "path": "/api/edx_proctoring/v1/proctored_exam/attempt/7"},
        "data": {
            "exam_id": 3, "exam_content_id": EXAM, "exam_name": "Final exam",
            "exam_default_time_limit_mins": 60, "exam_is_proctored": kind == "proctored",
            "exam_is_practice_exam": kind == "practice", "exam_is_active": True,
            "attempt_id": 7, "attempt_user_id": 12, "attempt_started_at": started,
            "attempt_completed_at": completed, "attempt_code": "438AD672-DE2C-4F0B-8876-35444E7DD746",
            "attempt_allowed_time_limit_mins": 60, "attempt_status": step,
            "attempt_event_elapsed_time_secs": elapsed,
        },
    }


SAMPLES = {event_name(kind, step): _sample(kind, step) for kind, steps in KIND_STEPS.items() for step in steps}
