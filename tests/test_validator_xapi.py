"""The xAPI statement validator: realistic valid statements, one mutation per rule,
a cross-check with Ralph's models, and "never raises" on arbitrary input.

No Django: run with ``-p no:django --noconftest``.
"""
import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openedx_xapi.validator.xapi import XAPI_VERSIONS, validate_statement

LMS = "http://localhost:18000"
COURSE = f"{LMS}/course/course-v1:edX+DemoX+Demo_Course"
PROBLEM = f"{LMS}/xblock/block-v1:edX+DemoX+Demo_Course+type@problem+block@d1b4c7a2"
VIDEO = f"{LMS}/xblock/block-v1:edX+DemoX+Demo_Course+type@video+block@0b9e39477cf34507a7a48f74be381fdd"
ACTOR = {"objectType": "Agent", "account": {"homePage": LMS, "name": "0b7bd3c8-29f4-4f45-9a1b-6a1f7d1c2e3f"}}
COURSE_ACTIVITY = {
    "objectType": "Activity",
    "id": COURSE,
    "definition": {"type": "http://adlnet.gov/expapi/activities/course", "name": {"en": "Demo"}},
}
EVENT_VERSION = "https://github.com/openedx/event-routing-backends/blob/master/docs/xapi-extensions/eventVersion.rst"
SESSION_ID = "http://id.tincanapi.com/extension/session-id"

# --------------------------------------------------------------------------- valid statements

REGISTERED = {
    "id": "2e5a3bc5-7a35-4bb1-9a44-6ab2e2a0cf2a",
    "actor": ACTOR,
    "verb": {"id": "http://adlnet.gov/expapi/verbs/registered", "display": {"en": "registered"}},
    "object": {
        "objectType": "Activity",
        "id": COURSE,
        "definition": {
            "type": "http://adlnet.gov/expapi/activities/course",
            "name": {"en": "Demo"},
            "extensions": {"https://w3id.org/xapi/acrossx/extensions/type": "audit"},
        },
    },
    "context": {
        "contextActivities": {"parent": [COURSE_ACTIVITY]},
        "extensions": {EVENT_VERSION: "1.0", SESSION_ID: "44c2f6b53a6aaf210797a56391a443bc"},
        "registration": "9C6C8E6B-62D7-4D1C-8D0C-3F0A1D2B3C4D",
        "platform": "Open edX",
        "language": "en-US",
    },
    "result": {"score": {"scaled": 0.5, "raw": 5, "min": 0, "max": 10}, "success": True},
    "timestamp": "2020-07-15T06:36:01.917+00:00",
    "version": "1.0.3",
}

PROBLEM_CHECK = {
    "id": "6a5a1f3c-0d8b-4e2a-b7b5-6f2e1d0c9b8a",
    "actor": ACTOR,
    "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered", "fr": "a répondu"}},
    "object": {
        "id": PROBLEM,
        "definition": {
            "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
            "name": {"en": "Checkbox problem"},
            "description": {"en": "Which of these are primary colours?"},
            "interactionType": "choice",
            "correctResponsesPattern": ["red[,]blue"],
            "choices": [
                {"id": "red", "description": {"en": "Red"}},
                {"id": "green", "description": {"en": "Green"}},
                {"id": "blue", "description": {"en": "Blue"}},
            ],
            "extensions": {"http://id.tincanapi.com/extension/attempt-id": 2},
        },
    },
    "result": {
        "score": {"scaled": 1, "raw": 1.0, "min": 0.0, "max": 1.0},
        "success": True,
        "response": "red[,]blue",
        "duration": "PT2M3.25S",
        "extensions": {"http://example.com/xapi/extensions/hints": None},
    },
    "context": {
        "contextActivities": {
            "parent": [COURSE_ACTIVITY],
            "grouping": [{"id": f"{LMS}/course/course-v1:edX+DemoX+Demo_Course/chapter/1"}],
            "category": [{"id": "https://w3id.org/xapi/cmi5/context/categories/moveon"}],
        },
        "extensions": {EVENT_VERSION: "1.1", "http://id.tincanapi.com/extension/datetime": None},
        "platform": "Open edX",
        "revision": "palm.1",
    },
    "timestamp": "2023-02-28T23:59:59.123456Z",
    "version": "1.0.0",
}

VIDEO_PLAYED = {
    "id": "b33b3d4e-0c1a-4b6a-9f3d-2a1b0c9d8e7f",
    "actor": {"account": {"homePage": LMS, "name": "ffbd2a86-3a4e-4e2c-a0c6-7b2c2b0f1d5e"}},
    "verb": {"id": "https://w3id.org/xapi/video/verbs/played", "display": {"en": "played"}},
    "object": {
        "objectType": "Activity",
        "id": VIDEO,
        "definition": {"type": "https://w3id.org/xapi/video/activity-type/video", "name": {"en": "Welcome"}},
    },
    "result": {"extensions": {"https://w3id.org/xapi/video/extensions/time": 12.3}},
    "context": {
        "contextActivities": {"parent": [COURSE_ACTIVITY]},
        "extensions": {
            "https://w3id.org/xapi/video/extensions/length": 195.0,
            "https://w3id.org/xapi/video/extensions/session-id": "e4858858a2e4f3cb2a4d2d5e2e4f3cb2",
            EVENT_VERSION: "1.0",
        },
    },
    "timestamp": "2024-02-29T10:00:00.000Z",
}

COMPLETED_WITH_TEAM = {
    "id": "4b0f2a52-63f7-4b4e-8bcb-0b1c8c3e2d10",
    "actor": {"objectType": "Agent", "name": "Learner One", "mbox": "mailto:learner1@example.com"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
    "object": {"id": COURSE, "objectType": "Activity"},
    "result": {"completion": True, "duration": "P1DT2H", "score": {"raw": -3}},
    "context": {
        "instructor": {"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9", "name": "Prof"},
        "team": {
            "objectType": "Group",
            "name": "Team A",
            "member": [
                {"openid": "https://openid.example.com/learner2"},
                {"objectType": "Agent", "mbox": "mailto:learner3@example.com"},
            ],
        },
        "statement": {"objectType": "StatementRef", "id": "2e5a3bc5-7a35-4bb1-9a44-6ab2e2a0cf2a"},
        "language": "zh-Hant-TW",
    },
    "timestamp": "2021-12-31T23:59:59.999-05:30",
    "stored": "2022-01-01T05:30:00.123Z",
    "authority": {
        "objectType": "Group",
        "member": [
            {"account": {"homePage": "http://example.com/xAPI/OAuth/Token", "name": "oauth_consumer_x75db"}},
            {"mbox": "mailto:admin@example.com"},
        ],
    },
    "attachments": [{
        "usageType": "http://id.tincanapi.com/attachment/certificate-of-completion",
        "display": {"en-US": "Certificate"},
        "description": {"en-US": "The learner's certificate"},
        "contentType": "application/pdf",
        "length": 12345,
        "sha2": "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a",
        "fileUrl": f"{LMS}/certificates/abc",
    }],
}

VOIDED = {
    "id": "c1d9f1b8-3b4e-4a6f-9a2d-7e8f9a0b1c2d",
    "actor": {"objectType": "Group", "name": "Course staff", "account": {"homePage": LMS, "name": "staff"}},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}},
    "object": {"objectType": "StatementRef", "id": "2e5a3bc5-7a35-4bb1-9a44-6ab2e2a0cf2a"},
    "timestamp": "2020-07-15T06:36:01.917+00:00",
}

SUBSTATEMENT = {
    "id": "d2e0a2c9-4c5f-4b70-8b3e-8f9a0b1c2d3e",
    "actor": ACTOR,
    "verb": {"id": "http://adlnet.gov/expapi/verbs/planned", "display": {"en": "planned"}},
    "object": {
        "objectType": "SubStatement",
        "actor": {"objectType": "Agent", "account": {"homePage": LMS, "name": "learner3"}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
        "object": {"id": VIDEO, "definition": {"type": "https://w3id.org/xapi/video/activity-type/video"}},
        "result": {"completion": False},
        "context": {"extensions": {EVENT_VERSION: "1.0"}, "platform": "Open edX"},
        "timestamp": "2020-07-16T08:00:00.000Z",
    },
    "timestamp": "2020-07-15T06:36:01.917Z",
}

MENTORED = {
    "id": "e3f1b3da-5d60-4c81-9c4f-9a0b1c2d3e4f",
    "actor": {"objectType": "Agent", "account": {"homePage": LMS, "name": "staff-7"}},
    "verb": {"id": "http://id.tincanapi.com/verb/mentored", "display": {"en-GB": "mentored"}},
    "object": {"objectType": "Agent", "name": "Learner Three", "mbox": "mailto:learner3@example.com"},
    "context": {"contextActivities": {"grouping": [COURSE_ACTIVITY]}, "language": "en-GB"},
    "timestamp": "2020-07-15T06:36:01.917+02:00",
    "version": "1.0.3",
}

VALID_1_0_3 = {
    "registered": REGISTERED,
    "problem_check": PROBLEM_CHECK,
    "video_played": VIDEO_PLAYED,
    "completed_with_team": COMPLETED_WITH_TEAM,
    "voided": VOIDED,
    "substatement": SUBSTATEMENT,
    "mentored": MENTORED,
}

# xAPI 2.0.0 adds contextAgents / contextGroups (and the version must be 2.0.x).
REGISTERED_2_0 = {
    **copy.deepcopy(REGISTERED),
    "version": "2.0.0",
    "context": {
        **copy.deepcopy(REGISTERED["context"]),
        "contextAgents": [{
            "objectType": "contextAgent",
            "agent": {"account": {"homePage": LMS, "name": "instructor-1"}},
            "relevantTypes": ["https://w3id.org/xapi/cmi5/context/categories/instructor"],
        }],
        "contextGroups": [{
            "objectType": "contextGroup",
            "group": {"objectType": "Group", "member": [{"mbox": "mailto:learner2@example.com"}]},
        }],
    },
}


def for_version(statement, version):
    """``statement`` as a consumer speaking ``version`` would receive it."""
    statement = copy.deepcopy(statement)
    if "version" in statement:
        statement["version"] = "2.0.0" if version == "2.0.0" else "1.0.3"
    return statement


def valid_cases():
    for name, statement in VALID_1_0_3.items():
        for version in XAPI_VERSIONS:
            yield pytest.param(for_version(statement, version), version, id=f"{name}-{version}")
    yield pytest.param(REGISTERED_2_0, "2.0.0", id="registered_with_context_agents-2.0.0")


@pytest.mark.parametrize("statement, version", list(valid_cases()))
def test_valid_statements_are_accepted(statement, version):
    assert validate_statement(statement, version) == []


def test_more_valid_forms():
    """Forms the spec allows that the fixtures don't exercise."""
    ok = copy.deepcopy(REGISTERED)
    ok["id"] = ok["id"].upper()
    ok["timestamp"] = "20200715T063601,917+0000"  # ISO 8601 basic format (1.0.3 only)
    ok["result"]["duration"] = "P3W"
    ok["verb"]["display"] = {"i-klingon": "x", "x-private": "y", "sgn-BE-FR": "z", "und": "?",
                             "de-CH-1901": "a", "en-a-bbb-x-a-ccc": "b", "sl-rozaj-biske": "c"}
    ok["actor"] = {"openid": "urn:uuid:0b7bd3c8-29f4-4f45-9a1b-6a1f7d1c2e3f"}
    ok["object"]["definition"]["moreInfo"] = "https://example.com/%C3%A9t%C3%A9/caf\u00e9"
    assert validate_statement(ok) == []


@pytest.mark.parametrize("duration", [
    "PT1S", "PT0.5S", "PT1,5S", "P1Y2M3DT4H5M6.789S", "P1D", "PT1H", "P0D", "PT1.5H", "P2W", "P1M",
])
def test_valid_durations(duration):
    statement = copy.deepcopy(REGISTERED)
    statement["result"]["duration"] = duration
    assert validate_statement(statement) == []


@pytest.mark.parametrize("duration", [
    "P", "PT", "P1DT", "1D", "PT1H30", "P1.5DT2H", "PT-1S", "P1W2D", "pt1s", "PT1S ", "P١D", "PT.5S",
])
def test_invalid_durations(duration):
    statement = copy.deepcopy(REGISTERED)
    statement["result"]["duration"] = duration
    assert [e for e in validate_statement(statement) if e.startswith("result.duration:")]


# --------------------------------------------------------------------------- one mutation per rule

DELETE = object()


def mutate(statement, path, value):
    """A deep copy of ``statement`` with the property at ``path`` set to ``value`` (or deleted)."""
    statement = copy.deepcopy(statement)
    target = statement
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return statement


SUB = ("object",)
OBJ_DEF = ("object", "definition")
CTX = ("context",)
CA = ("context", "contextActivities")
SCORE = ("result", "score")

# (rule, fixture, path to mutate, new value, path the error must point at, versions)
BOTH = XAPI_VERSIONS
V1 = ("1.0.3",)
V2 = ("2.0.0",)
MUTATIONS = [
    # statement
    ("unknown top-level property", REGISTERED, ("objectType",), "Statement", "objectType", BOTH),
    ("id required (project rule)", REGISTERED, ("id",), DELETE, "id", BOTH),
    ("id must be a UUID", REGISTERED, ("id",), "2e5a3bc5-7a35-4bb1-9a44", "id", BOTH),
    ("id must be a string", REGISTERED, ("id",), 12345, "id", BOTH),
    ("actor required", REGISTERED, ("actor",), DELETE, "actor", BOTH),
    ("verb required", REGISTERED, ("verb",), DELETE, "verb", BOTH),
    ("object required", REGISTERED, ("object",), DELETE, "object", BOTH),
    ("no null values", REGISTERED, ("result",), None, "result", BOTH),
    ("no empty objects", REGISTERED, ("context",), {}, "context", BOTH),
    ("version 1.0.x for 1.0.3", REGISTERED, ("version",), "2.0.0", "version", V1),
    ("version 2.0.x for 2.0.0", REGISTERED, ("version",), "1.0.3", "version", V2),
    ("version must be semver 1.0.x", REGISTERED, ("version",), "1.0", "version", V1),
    # actor: Agent, account, IFIs
    ("account name non-empty", REGISTERED, ("actor", "account", "name"), "", "actor.account.name", BOTH),
    ("account name required", REGISTERED, ("actor", "account", "name"), DELETE, "actor.account.name", BOTH),
    ("account homePage is an IRL", REGISTERED, ("actor", "account", "homePage"), "localhost 18000",
     "actor.account.homePage", BOTH),
    ("account homePage needs a scheme", REGISTERED, ("actor", "account", "homePage"), "//localhost:18000",
     "actor.account.homePage", BOTH),
    ("no unknown account property", REGISTERED, ("actor", "account", "id"), "3", "actor.account.id", BOTH),
    ("exactly one IFI: not two", REGISTERED, ("actor", "mbox"), "mailto:a@example.com", "actor", BOTH),
    ("exactly one IFI: not none", REGISTERED, ("actor", "account"), DELETE, "actor", BOTH),
    ("mbox is a mailto IRI", COMPLETED_WITH_TEAM, ("actor", "mbox"), "learner1@example.com", "actor.mbox", BOTH),
    ("mbox_sha1sum is 40 hex", COMPLETED_WITH_TEAM, ("context", "instructor", "mbox_sha1sum"),
     "ebd31e95054c018b10727ccffd2ef2ec3a016ee", "context.instructor.mbox_sha1sum", BOTH),
    ("openid is an absolute IRI", COMPLETED_WITH_TEAM, ("context", "team", "member", 0, "openid"),
     "openid.example.com/learner2", "context.team.member[0].openid", BOTH),
    ("actor objectType Agent or Group", REGISTERED, ("actor", "objectType"), "Person", "actor.objectType", BOTH),
    ("agent name non-empty", REGISTERED, ("actor", "name"), "", "actor.name", BOTH),
    ("agent name not null", REGISTERED, ("actor", "name"), None, "actor.name", BOTH),
    ("no unknown agent property", REGISTERED, ("actor", "email"), "a@example.com", "actor.email", BOTH),
    # groups
    ("anonymous group needs member", COMPLETED_WITH_TEAM, ("context", "team", "member"), DELETE,
     "context.team.member", BOTH),
    ("group members are not groups", COMPLETED_WITH_TEAM, ("context", "team", "member", 1, "objectType"), "Group",
     "context.team.member[1]", BOTH),
    ("group member list non-empty", COMPLETED_WITH_TEAM, ("context", "team", "member"), [], "context.team.member",
     BOTH),
    ("identified group: one IFI", VOIDED, ("actor", "mbox"), "mailto:staff@example.com", "actor", BOTH),
    ("team objectType Group required", COMPLETED_WITH_TEAM, ("context", "team", "objectType"), DELETE,
     "context.team.objectType", BOTH),
    ("member agents need an IFI", COMPLETED_WITH_TEAM, ("context", "team", "member", 0, "openid"), DELETE,
     "context.team.member[0]", BOTH),
    ("authority group has two agents", COMPLETED_WITH_TEAM, ("authority", "member"),
     [{"mbox": "mailto:admin@example.com"}], "authority.member", BOTH),
    # verb and language maps
    ("verb id is an absolute IRI", REGISTERED, ("verb", "id"), "registered", "verb.id", BOTH),
    ("verb id required", REGISTERED, ("verb", "id"), DELETE, "verb.id", BOTH),
    ("no unknown verb property", REGISTERED, ("verb", "name"), "registered", "verb.name", BOTH),
    ("language map non-empty", REGISTERED, ("verb", "display"), {}, "verb.display", BOTH),
    ("language map keys are RFC 5646", REGISTERED, ("verb", "display"), {"en_US": "registered"},
     "verb.display.en_US", BOTH),
    ("language tag subtags", REGISTERED, ("verb", "display"), {"en-": "registered"}, "verb.display.en-", BOTH),
    ("language tag subtag length", REGISTERED, ("verb", "display"), {"en-californias": "x"},
     "verb.display.en-californias", BOTH),
    ("language map values are strings", REGISTERED, ("verb", "display", "en"), 5, "verb.display.en", BOTH),
    ("language map values non-empty", REGISTERED, ("verb", "display", "en"), "", "verb.display.en", BOTH),
    ("language map is an object", REGISTERED, ("verb", "display"), ["en", "registered"], "verb.display", BOTH),
    # object: activity and definition
    ("invalid objectType", REGISTERED, ("object", "objectType"), "GroupActivity", "object.objectType", BOTH),
    ("activity id is an absolute IRI", REGISTERED, ("object", "id"), "/course/course-v1:edX+DemoX", "object.id",
     BOTH),
    ("activity id has no whitespace", REGISTERED, ("object", "id"), f"{COURSE} ", "object.id", BOTH),
    ("activity id has no forbidden characters", REGISTERED, ("object", "id"), f"{LMS}/course/<x>", "object.id",
     BOTH),
    ("activity id percent-escapes", REGISTERED, ("object", "id"), f"{LMS}/course/100%", "object.id", BOTH),
    ("activity id required", REGISTERED, ("object", "id"), DELETE, "object.id", BOTH),
    ("no unknown activity property", REGISTERED, ("object", "name"), {"en": "Demo"}, "object.name", BOTH),
    ("definition type is an IRI", REGISTERED, OBJ_DEF + ("type",), "course", "object.definition.type", BOTH),
    ("definition moreInfo is an IRL", REGISTERED, OBJ_DEF + ("moreInfo",), "about demo",
     "object.definition.moreInfo", BOTH),
    ("definition name is a language map", REGISTERED, OBJ_DEF + ("name",), "Demo", "object.definition.name", BOTH),
    ("definition non-empty", REGISTERED, OBJ_DEF, {}, "object.definition", BOTH),
    ("no unknown definition property", REGISTERED, OBJ_DEF + ("title",), {"en": "Demo"},
     "object.definition.title", BOTH),
    ("extension keys are IRIs", REGISTERED, OBJ_DEF + ("extensions",), {"type": "audit"},
     "object.definition.extensions.type", BOTH),
    ("extensions non-empty", REGISTERED, OBJ_DEF + ("extensions",), {}, "object.definition.extensions", BOTH),
    ("extensions is an object", REGISTERED, OBJ_DEF + ("extensions",), ["audit"], "object.definition.extensions",
     BOTH),
    ("interactionType from the spec's list", PROBLEM_CHECK, OBJ_DEF + ("interactionType",), "multiple-choice",
     "object.definition.interactionType", BOTH),
    ("components match interactionType", PROBLEM_CHECK, OBJ_DEF + ("scale",), [{"id": "1"}],
     "object.definition.scale", BOTH),
    ("components need an interactionType", PROBLEM_CHECK, OBJ_DEF + ("interactionType",), DELETE,
     "object.definition.interactionType", BOTH),
    ("correctResponsesPattern is a list", PROBLEM_CHECK, OBJ_DEF + ("correctResponsesPattern",), "red[,]blue",
     "object.definition.correctResponsesPattern", BOTH),
    ("correctResponsesPattern items are strings", PROBLEM_CHECK, OBJ_DEF + ("correctResponsesPattern",), [1],
     "object.definition.correctResponsesPattern[0]", BOTH),
    ("component ids unique", PROBLEM_CHECK, OBJ_DEF + ("choices", 1, "id"), "red",
     "object.definition.choices[1].id", BOTH),
    ("component ids without whitespace", PROBLEM_CHECK, OBJ_DEF + ("choices", 0, "id"), "dark red",
     "object.definition.choices[0].id", BOTH),
    ("no unknown component property", PROBLEM_CHECK, OBJ_DEF + ("choices", 0, "label"), "Red",
     "object.definition.choices[0].label", BOTH),
    ("activity objectType is Activity", PROBLEM_CHECK, ("object", "objectType"), "activity", "object.objectType",
     BOTH),
    # object: agent, statement ref, sub-statement
    ("agent object needs objectType", MENTORED, ("object", "objectType"), DELETE, "object", BOTH),
    ("agent object needs an IFI", MENTORED, ("object", "mbox"), DELETE, "object", BOTH),
    ("no unknown agent object property", MENTORED, ("object", "id"), COURSE, "object.id", BOTH),
    ("sub-statement object is checked", SUBSTATEMENT, SUB + ("object", "id"), "video", "object.object.id", BOTH),
    ("sub-statement platform needs an Activity object", SUBSTATEMENT, SUB + ("object",),
     {"objectType": "Agent", "mbox": "mailto:x@example.com"}, "object.context.platform", BOTH),
    ("statement ref id is a UUID", VOIDED, ("object", "id"), "statement-1", "object.id", BOTH),
    ("no unknown statement ref property", VOIDED, ("object", "definition"), {"type": COURSE},
     "object.definition", BOTH),
    ("voiding statement needs a statement ref", VOIDED, ("object",), COURSE_ACTIVITY, "object", BOTH),
    ("sub-statement has no id", SUBSTATEMENT, SUB + ("id",), "2e5a3bc5-7a35-4bb1-9a44-6ab2e2a0cf2a", "object.id",
     BOTH),
    ("sub-statement has no stored", SUBSTATEMENT, SUB + ("stored",), "2020-07-16T08:00:00.000Z", "object.stored",
     BOTH),
    ("sub-statement has no version", SUBSTATEMENT, SUB + ("version",), "1.0.3", "object.version", BOTH),
    ("sub-statement has no authority", SUBSTATEMENT, SUB + ("authority",), ACTOR, "object.authority", BOTH),
    ("sub-statement does not nest", SUBSTATEMENT, SUB + ("object",),
     {"objectType": "SubStatement", "actor": ACTOR, "verb": {"id": COURSE}, "object": {"id": COURSE}},
     "object.object.objectType", BOTH),
    ("sub-statement needs a verb", SUBSTATEMENT, SUB + ("verb",), DELETE, "object.verb", BOTH),
    ("sub-statement timestamp rules", SUBSTATEMENT, SUB + ("timestamp",), "2020-07-16", "object.timestamp", BOTH),
    # result
    ("score scaled within -1..1", REGISTERED, SCORE + ("scaled",), 1.5, "result.score.scaled", BOTH),
    ("score raw <= max", REGISTERED, SCORE + ("raw",), 11, "result.score.raw", BOTH),
    ("score raw >= min", REGISTERED, SCORE + ("raw",), -1, "result.score.raw", BOTH),
    ("score min < max", REGISTERED, SCORE + ("min",), 10, "result.score.min", BOTH),
    ("score numbers are not booleans", REGISTERED, SCORE + ("scaled",), True, "result.score.scaled", BOTH),
    ("score numbers are not strings", REGISTERED, SCORE + ("raw",), "5", "result.score.raw", BOTH),
    ("score numbers are finite", REGISTERED, SCORE + ("raw",), float("nan"), "result.score.raw", BOTH),
    ("score non-empty", REGISTERED, SCORE, {}, "result.score", BOTH),
    ("no unknown score property", REGISTERED, SCORE + ("percent",), 50, "result.score.percent", BOTH),
    ("success is a boolean", REGISTERED, ("result", "success"), "true", "result.success", BOTH),
    ("completion is a boolean", COMPLETED_WITH_TEAM, ("result", "completion"), 1, "result.completion", BOTH),
    ("response is a string", PROBLEM_CHECK, ("result", "response"), ["red", "blue"], "result.response", BOTH),
    ("duration is ISO 8601", PROBLEM_CHECK, ("result", "duration"), "PT", "result.duration", BOTH),
    ("duration is not seconds", PROBLEM_CHECK, ("result", "duration"), 123.25, "result.duration", BOTH),
    ("no unknown result property", REGISTERED, ("result", "grade"), "A", "result.grade", BOTH),
    # context
    ("registration is a UUID", REGISTERED, CTX + ("registration",), "abc", "context.registration", BOTH),
    ("contextActivities values are arrays", REGISTERED, CA + ("parent",), COURSE_ACTIVITY,
     "context.contextActivities.parent", BOTH),
    ("contextActivities arrays non-empty", REGISTERED, CA + ("parent",), [], "context.contextActivities.parent",
     BOTH),
    ("contextActivities keys", REGISTERED, CA + ("ancestors",), [COURSE_ACTIVITY],
     "context.contextActivities.ancestors", BOTH),
    ("contextActivities items are activities", REGISTERED, CA + ("parent", 0, "id"), "Demo",
     "context.contextActivities.parent[0].id", BOTH),
    ("contextActivities items are objects", REGISTERED, CA + ("parent", 0), COURSE,
     "context.contextActivities.parent[0]", BOTH),
    ("platform only with an Activity object", REGISTERED, ("object",),
     {"objectType": "StatementRef", "id": "2e5a3bc5-7a35-4bb1-9a44-6ab2e2a0cf2a"}, "context.platform", BOTH),
    ("revision only with an Activity object", PROBLEM_CHECK, ("object",),
     {"objectType": "Agent", "mbox": "mailto:x@example.com"}, "context.revision", BOTH),
    ("platform is a non-empty string", REGISTERED, CTX + ("platform",), "", "context.platform", BOTH),
    ("context language is RFC 5646", REGISTERED, CTX + ("language",), "en_US", "context.language", BOTH),
    ("context statement is a StatementRef", COMPLETED_WITH_TEAM, CTX + ("statement", "objectType"), DELETE,
     "context.statement.objectType", BOTH),
    ("instructor is an Agent or Group", COMPLETED_WITH_TEAM, CTX + ("instructor",), {"name": "Prof"},
     "context.instructor", BOTH),
    ("context extensions keys are IRIs", REGISTERED, CTX + ("extensions", "eventVersion"), "1.0",
     "context.extensions.eventVersion", BOTH),
    ("no unknown context property", REGISTERED, CTX + ("course_id",), "course-v1:edX+DemoX+Demo_Course",
     "context.course_id", BOTH),
    ("contextAgents not in 1.0.3", REGISTERED, CTX + ("contextAgents",), REGISTERED_2_0["context"]["contextAgents"],
     "context.contextAgents", V1),
    ("contextGroups not in 1.0.3", REGISTERED, CTX + ("contextGroups",), REGISTERED_2_0["context"]["contextGroups"],
     "context.contextGroups", V1),
    ("contextAgent objectType", REGISTERED_2_0, CTX + ("contextAgents", 0, "objectType"), "Agent",
     "context.contextAgents[0].objectType", V2),
    ("contextAgent agent required", REGISTERED_2_0, CTX + ("contextAgents", 0, "agent"), DELETE,
     "context.contextAgents[0].agent", V2),
    ("contextAgent agent is an Agent", REGISTERED_2_0, CTX + ("contextAgents", 0, "agent", "account"), DELETE,
     "context.contextAgents[0].agent", V2),
    ("relevantTypes non-empty", REGISTERED_2_0, CTX + ("contextAgents", 0, "relevantTypes"), [],
     "context.contextAgents[0].relevantTypes", V2),
    ("relevantTypes are IRIs", REGISTERED_2_0, CTX + ("contextAgents", 0, "relevantTypes", 0), "instructor",
     "context.contextAgents[0].relevantTypes[0]", V2),
    ("contextGroup group is a Group", REGISTERED_2_0, CTX + ("contextGroups", 0, "group", "objectType"), DELETE,
     "context.contextGroups[0].group.objectType", V2),
    ("contextGroups is a list", REGISTERED_2_0, CTX + ("contextGroups",),
     {"objectType": "contextGroup", "group": {"objectType": "Group", "mbox": "mailto:g@example.com"}},
     "context.contextGroups", V2),
    ("no unknown contextGroup property", REGISTERED_2_0, CTX + ("contextGroups", 0, "agent"), ACTOR,
     "context.contextGroups[0].agent", V2),
    # timestamp / stored
    ("timestamp needs a time zone", REGISTERED, ("timestamp",), "2020-07-15T06:36:01.917", "timestamp", BOTH),
    ("timestamp needs milliseconds", REGISTERED, ("timestamp",), "2020-07-15T06:36:01+00:00", "timestamp", BOTH),
    ("timestamp needs 3 fraction digits", REGISTERED, ("timestamp",), "2020-07-15T06:36:01.91Z", "timestamp",
     BOTH),
    ("timestamp is a real date", REGISTERED, ("timestamp",), "2021-02-29T06:36:01.917Z", "timestamp", BOTH),
    ("timestamp month in range", REGISTERED, ("timestamp",), "2021-13-01T06:36:01.917Z", "timestamp", BOTH),
    ("timestamp hour in range", REGISTERED, ("timestamp",), "2021-01-01T24:00:00.000Z", "timestamp", BOTH),
    ("timestamp offset in range", REGISTERED, ("timestamp",), "2021-01-01T10:00:00.000+01:60", "timestamp", BOTH),
    ("timestamp not -00:00", REGISTERED, ("timestamp",), "2020-07-15T06:36:01.917-00:00", "timestamp", BOTH),
    ("timestamp T separator", REGISTERED, ("timestamp",), "2020-07-15 06:36:01.917+00:00", "timestamp", BOTH),
    ("timestamp is a string", REGISTERED, ("timestamp",), 1594794961.917, "timestamp", BOTH),
    ("2.0 timestamp is RFC 3339 (no basic format)", REGISTERED, ("timestamp",), "20200715T063601.917Z",
     "timestamp", V2),
    ("2.0 timestamp is RFC 3339 (no decimal comma)", REGISTERED, ("timestamp",), "2020-07-15T06:36:01,917Z",
     "timestamp", V2),
    ("stored follows the timestamp rules", COMPLETED_WITH_TEAM, ("stored",), "2022-01-01", "stored", BOTH),
    # attachments
    ("attachments non-empty", COMPLETED_WITH_TEAM, ("attachments",), [], "attachments", BOTH),
    ("attachment sha2 required", COMPLETED_WITH_TEAM, ("attachments", 0, "sha2"), DELETE, "attachments[0].sha2",
     BOTH),
    ("attachment sha2 is a digest", COMPLETED_WITH_TEAM, ("attachments", 0, "sha2"), "abc", "attachments[0].sha2",
     BOTH),
    ("attachment length >= 0", COMPLETED_WITH_TEAM, ("attachments", 0, "length"), -1, "attachments[0].length",
     BOTH),
    ("attachment length is an integer", COMPLETED_WITH_TEAM, ("attachments", 0, "length"), 12.5,
     "attachments[0].length", BOTH),
    ("attachment usageType is an IRI", COMPLETED_WITH_TEAM, ("attachments", 0, "usageType"), "certificate",
     "attachments[0].usageType", BOTH),
    ("attachment display is a language map", COMPLETED_WITH_TEAM, ("attachments", 0, "display"), "Certificate",
     "attachments[0].display", BOTH),
    ("attachment contentType is a media type", COMPLETED_WITH_TEAM, ("attachments", 0, "contentType"), "pdf",
     "attachments[0].contentType", BOTH),
    ("attachment fileUrl is an IRL", COMPLETED_WITH_TEAM, ("attachments", 0, "fileUrl"), "/certificates/abc",
     "attachments[0].fileUrl", BOTH),
    ("no unknown attachment property", COMPLETED_WITH_TEAM, ("attachments", 0, "name"), "cert.pdf",
     "attachments[0].name", BOTH),
]


def mutation_cases():
    for rule, fixture, path, value, where, versions in MUTATIONS:
        for version in versions:
            yield pytest.param(for_version(fixture, version), path, value, where, version, id=f"{rule}-{version}")


def error_paths(errors):
    return [error.split(": ", 1)[0] for error in errors]


def points_at(error_path, where):
    return error_path == where or error_path.startswith((where + ".", where + "["))


def test_mutation_table_covers_enough_rules():
    assert len({rule for rule, *_ in MUTATIONS}) >= 40


@pytest.mark.parametrize("fixture, path, value, where, version", list(mutation_cases()))
def test_each_mutation_is_reported_where_it_happened(fixture, path, value, where, version):
    assert validate_statement(fixture, version) == []  # the unmutated fixture is valid
    errors = validate_statement(mutate(fixture, path, value), version)
    assert errors, "mutation not detected"
    assert all(isinstance(error, str) and ": " in error for error in errors)
    assert any(points_at(p, where) for p in error_paths(errors)), errors


def test_error_message_format():
    errors = validate_statement(mutate(REGISTERED, ("actor", "account", "name"), ""))
    assert errors == ["actor.account.name: must be a non-empty string"]


def test_extension_values_may_be_anything():
    statement = mutate(REGISTERED, ("context", "extensions", SESSION_ID),
                       {"a": None, "b": [], "c": {}, "d": "", "e": [None, {"": ""}]})
    assert validate_statement(statement) == []


def test_not_an_object():
    for value in (None, [], "statement", 3, True, [REGISTERED]):
        errors = validate_statement(value)
        assert errors and errors[0].startswith("statement: ")


def test_unsupported_version_argument_is_a_programming_error():
    with pytest.raises(ValueError):
        validate_statement(REGISTERED, "1.0.0")


# --------------------------------------------------------------------------- cross-check with Ralph


def ralph_accepts(statement):
    models = pytest.importorskip("ralph.models.xapi.base.statements")
    from pydantic import ValidationError

    try:
        models.BaseXapiStatement(**copy.deepcopy(statement))
    except (ValidationError, KeyError):  # Ralph 5.1 raises KeyError when "object" is missing
        return False
    return True


@pytest.mark.parametrize("name", list(VALID_1_0_3))
def test_ralph_accepts_our_valid_statements(name):
    assert ralph_accepts(VALID_1_0_3[name])


# Invalid statements Ralph's pydantic models also reject: both must say no.
RALPH_ALSO_REJECTS = [
    "unknown top-level property", "id must be a UUID", "actor required", "verb required", "object required",
    "no null values", "no empty objects", "version 1.0.x for 1.0.3", "account name non-empty",
    "account name required", "no unknown account property", "exactly one IFI: not two", "exactly one IFI: not none",
    "mbox is a mailto IRI", "mbox_sha1sum is 40 hex", "verb id is an absolute IRI", "verb id required",
    "no unknown verb property", "language tag subtags", "language map values non-empty",
    "invalid objectType", "activity id has no whitespace", "activity id required", "definition type is an IRI",
    "extension keys are IRIs", "interactionType from the spec's list", "score scaled within -1..1",
    "score raw <= max", "score min < max", "success is a boolean", "registration is a UUID",
    "platform only with an Activity object", "timestamp is a real date", "agent object needs an IFI",
    "sub-statement has no id", "sub-statement does not nest", "attachment sha2 required",
]


@pytest.mark.parametrize("rule", RALPH_ALSO_REJECTS)
def test_ralph_and_we_reject_the_same_invalid_statements(rule):
    (fixture, path, value), = [(f, p, v) for r, f, p, v, _, versions in MUTATIONS if r == rule and "1.0.3" in versions]
    statement = mutate(for_version(fixture, "1.0.3"), path, value)
    assert validate_statement(statement, "1.0.3")
    assert not ralph_accepts(statement)


# --------------------------------------------------------------------------- never raises

JSON_SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
                | st.text(max_size=20))
KEYS = st.sampled_from([
    "id", "actor", "verb", "object", "result", "context", "timestamp", "stored", "authority", "version",
    "attachments", "objectType", "name", "mbox", "mbox_sha1sum", "openid", "account", "homePage", "member",
    "display", "definition", "description", "type", "moreInfo", "extensions", "interactionType",
    "correctResponsesPattern", "choices", "scale", "source", "target", "steps", "score", "scaled", "raw", "min",
    "max", "success", "completion", "response", "duration", "registration", "instructor", "team",
    "contextActivities", "parent", "grouping", "category", "other", "revision", "platform", "language",
    "statement", "contextAgents", "contextGroups", "agent", "group", "relevantTypes", "usageType", "contentType",
    "length", "sha2", "fileUrl", "en", "Agent", "Group", "SubStatement", "StatementRef",
]) | st.text(max_size=10) | st.integers()
OBJECT_TYPES = st.sampled_from(["Activity", "Agent", "Group", "StatementRef", "SubStatement", "contextAgent",
                                "contextGroup"])
JSON_VALUES = st.recursive(
    JSON_SCALARS | OBJECT_TYPES,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=6),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=JSON_VALUES, version=st.sampled_from(XAPI_VERSIONS))
def test_arbitrary_json_never_raises(value, version):
    errors = validate_statement(value, version)
    assert isinstance(errors, list) and all(isinstance(error, str) for error in errors)


def paths_of(value, prefix=()):
    """Every path into the dicts and lists of ``value``."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths_of(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths_of(item, prefix + (index,))


ALL_VALID = [for_version(s, v) for s in VALID_1_0_3.values() for v in XAPI_VERSIONS] + [REGISTERED_2_0]


@settings(max_examples=400, deadline=None)
@given(data=st.data(), value=JSON_VALUES)
def test_arbitrary_replacement_inside_a_valid_statement_never_raises(data, value):
    statement = data.draw(st.sampled_from(ALL_VALID))
    path = data.draw(st.sampled_from([p for p in paths_of(statement) if p]))
    mutated = mutate(statement, path, value)
    for version in XAPI_VERSIONS:
        errors = validate_statement(mutated, version)
        assert isinstance(errors, list) and all(isinstance(error, str) for error in errors)


# --------------------------------------------------------------------------- the IRI grammar

def _iri_by_the_rfc():
    """The IRI grammar as RFC 3987 reads (a character or a %-escape, repeated): the
    reference for the faster form ``validator.common`` compiles."""
    import re

    from openedx_xapi.validator import common
    char = rf"[A-Za-z0-9\-._~:/?#@!$&'()*+,;={common._UCSCHAR}]|%[0-9A-Fa-f]{{2}}"
    return re.compile(rf"{common.SCHEME}:(?://\[[0-9A-Fa-f:.]+\](?:{char})*|(?:{char})+)").fullmatch


IRI_PIECES = st.sampled_from(["http", "urn", "x", ":", "//", "/", "[", "]", "::1", "%", "%4", "%41", "%zz", "a",
                              "é", " ", "\u2028", "\ud7ff", "\ufffe", "\U0001F600", "\U000F0000", "#", "?",
                              "+", "-", ".", "<", "\x00", "\\", "^", "{", "_", "~", "0"])


@settings(max_examples=3000, deadline=None)
@given(st.lists(IRI_PIECES, max_size=12).map("".join) | st.text(max_size=20))
def test_the_compiled_iri_grammar_accepts_exactly_the_rfc_one(text):
    from openedx_xapi.validator.common import is_absolute_iri
    assert is_absolute_iri(text) == (_iri_by_the_rfc()(text) is not None)
