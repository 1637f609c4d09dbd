"""Caliper 1.2 validation of the events we emit, before they are delivered.

Pure standard library and precompiled at import: every table below is turned into
closures and sets once, so checking an event is a handful of dict lookups per property.

Sources (1EdTech Caliper Analytics 1.2): the Sensor certification guide (event
conformance tables, required event properties, envelope), the JSON Schemas (property
types per entity) and the JSON-LD context ``caliper-v1p2.jsonld`` (the terms: a
property or type that the context does not define cannot be expanded by a JSON-LD
processor, so it is not accepted here; custom data belongs in ``extensions``).

Where the sources disagree we follow the official fixtures and say so next to the rule.

Our own rules, stricter than the specification:

* ``@context`` of an event is the Caliper 1.2 context IRI, or a list that contains it
  (an inline context object cannot be judged without a JSON-LD processor);
* every date-time is ``YYYY-MM-DDTHH:mm:ss.SSSZ`` exactly (UTC, milliseconds), unless
  the caller passes ``strict_time=False`` (then any ISO 8601 date-time with a zone);
* entities are closed: an unknown property is an error.

Errors are strings prefixed with the JSON path of the offending value, e.g.
``"object.type: 'Person' is not allowed ..."``; an empty list means valid. The public
functions never raise.
"""
from __future__ import annotations

import calendar
import json
import math
import re

from openedx_xapi.validator.common import IRI_REST, KNOWN_IRIS, SCHEME, is_absolute_iri, json_kind

__all__ = [
    "ACTIONS",
    "CALIPER_CONTEXT",
    "ENTITY_SUPERTYPES",
    "EVENT_CONFORMANCE",
    "EVENT_TYPES",
    "PROFILES",
    "PROFILE_ROWS",
    "load_and_validate",
    "validate_entity",
    "validate_envelope",
    "validate_event",
]

CALIPER_CONTEXT = "http://purl.imsglobal.org/ctx/caliper/v1p2"

#: Deepest nesting of embedded entities we follow (an event is depth 0).
MAX_DEPTH = 24

# --------------------------------------------------------------------------- vocabulary

#: Caliper 1.2 actions (Appendix "Actions"; schema/Action.json). The JSON-LD context
#: spells two of them "DisabledCloseCaptioning"/"EnabledCloseCaptioning"; the schema,
#: the conformance table and the fixtures say "...ClosedCaptioning", which we use.
ACTIONS = frozenset({
    "Abandoned", "Accepted", "Activated", "Added", "Archived", "Attached", "Bookmarked",
    "ChangedResolution", "ChangedSize", "ChangedSpeed", "ChangedVolume", "Classified",
    "ClosedPopout", "Commented", "Completed", "Copied", "Created", "Deactivated",
    "Declined", "Deleted", "Described", "DisabledClosedCaptioning", "Disliked",
    "Downloaded", "EnabledClosedCaptioning", "Ended", "EnteredFullScreen",
    "ExitedFullScreen", "ForwardedTo", "Graded", "Hid", "Highlighted", "Identified",
    "JumpedTo", "Launched", "Liked", "Linked", "LoggedIn", "LoggedOut", "MarkedAsRead",
    "MarkedAsUnread", "Modified", "Muted", "NavigatedTo", "OpenedPopout", "OptedIn",
    "OptedOut", "Paused", "Posted", "Printed", "Published", "Questioned", "Ranked",
    "Recommended", "Removed", "Reset", "Restarted", "Restored", "Resumed", "Retrieved",
    "Returned", "Reviewed", "Rewound", "Saved", "Searched", "Sent", "Shared", "Showed",
    "Skipped", "Started", "Submitted", "Subscribed", "Tagged", "TimedOut", "Unmuted",
    "Unpublished", "Unsubscribed", "Uploaded", "Used", "Viewed",
})

PROFILES = frozenset({
    "GeneralProfile", "AnnotationProfile", "AssessmentProfile", "AssignableProfile",
    "FeedbackProfile", "ForumProfile", "GradingProfile", "MediaProfile", "ReadingProfile",
    "ResourceManagementProfile", "SearchProfile", "SessionProfile", "SurveyProfile",
    "ToolLaunchProfile", "ToolUseProfile",
})

METRICS = frozenset({
    "AssessmentsPassed", "AssessmentsSubmitted", "MinutesOnTask", "SkillsMastered",
    "StandardsMastered", "UnitsCompleted", "UnitsPassed", "WordsRead",
})

LTI_MESSAGE_TYPES = frozenset({"LtiDeepLinkingRequest", "LtiResourceLinkRequest"})

SYSTEM_IDENTIFIER_TYPES = frozenset({
    "AccountUserName", "CaseItemUri", "EmailAddress", "LisSourcedId", "LtiContextId",
    "LtiDeploymentId", "LtiPlatformId", "LtiToolId", "LtiUserId", "OneRosterSourcedId",
    "Other", "SisSourcedId", "SystemId",
})

STATUSES = frozenset({"Active", "Inactive"})

_ROLE_CONTEXTS = {
    "Administrator": ("Administrator", "Developer", "ExternalDeveloper", "ExternalSupport",
                      "ExternalSystemAdministrator", "Support", "SystemAdministrator"),
    "ContentDeveloper": ("ContentDeveloper", "ContentExpert", "ExternalContentExpert",
                         "Librarian"),
    "Instructor": ("ExternalInstructor", "Grader", "GuestInstructor", "Instructor", "Lecturer",
                   "PrimaryInstructor", "SecondaryInstructor", "TeachingAssistant",
                   "TeachingAssistantGroup", "TeachingAssistantOffering",
                   "TeachingAssistantSection", "TeachingAssistantTemplate"),
    "Learner": ("ExternalLearner", "GuestLearner", "Learner", "NonCreditLearner"),
    "Manager": ("AreaManager", "CourseCoordinator", "ExternalObserver", "Manager", "Observer"),
    "Member": ("Member",),
    "Mentor": ("Advisor", "Auditor", "ExternalAdvisor", "ExternalAuditor",
               "ExternalLearningFacilitator", "ExternalMentor", "ExternalReviewer",
               "ExternalTutor", "LearningFacilitator", "Mentor", "Reviewer", "Tutor"),
    "Officer": ("Chair", "Secretary", "Treasurer", "Vice-Chair"),
}
#: LIS membership roles: "Learner", "Instructor#TeachingAssistant", ...
ROLES = frozenset(_ROLE_CONTEXTS) | frozenset(
    f"{context}#{role}" for context, roles in _ROLE_CONTEXTS.items() for role in roles)

# --------------------------------------------------------------------- entity hierarchy

#: Every Caliper 1.2 entity type and its supertype. "X is allowed where Y is required"
#: when Y is X or one of its ancestors. (The deprecated Reading and epub* types are in
#: the 1.2 schemas but not in the 1.2 JSON-LD context, so they are not accepted.)
ENTITY_SUPERTYPES = {
    "Entity": None,
    "Agent": "Entity",
    "Person": "Agent",
    "SoftwareApplication": "Agent",
    "Organization": "Agent",
    "Group": "Organization",
    "CourseOffering": "Organization",
    "CourseSection": "CourseOffering",
    "AggregateMeasure": "Entity",
    "Annotation": "Entity",
    "BookmarkAnnotation": "Annotation",
    "HighlightAnnotation": "Annotation",
    "SharedAnnotation": "Annotation",
    "TagAnnotation": "Annotation",
    "Attempt": "Entity",
    "Collection": "Entity",
    "AggregateMeasureCollection": "Collection",
    "Survey": "Collection",
    "Comment": "Entity",
    "DigitalResource": "Entity",
    "AssignableDigitalResource": "DigitalResource",
    "Assessment": "AssignableDigitalResource",
    "AssessmentItem": "AssignableDigitalResource",
    "Chapter": "DigitalResource",
    "Document": "DigitalResource",
    "Frame": "DigitalResource",
    "LtiLink": "DigitalResource",
    "MediaLocation": "DigitalResource",
    "Message": "DigitalResource",
    "Page": "DigitalResource",
    "QuestionnaireItem": "DigitalResource",
    "SurveyInvitation": "DigitalResource",
    "WebPage": "DigitalResource",
    "MediaObject": "DigitalResource",
    "AudioObject": "MediaObject",
    "ImageObject": "MediaObject",
    "VideoObject": "MediaObject",
    "Question": "DigitalResource",
    "DateTimeQuestion": "Question",
    "MultiselectQuestion": "Question",
    "OpenEndedQuestion": "Question",
    "RatingScaleQuestion": "Question",
    "DigitalResourceCollection": "DigitalResource",
    "Forum": "DigitalResourceCollection",
    "Thread": "DigitalResourceCollection",
    "Questionnaire": "DigitalResourceCollection",
    "LearningObjective": "Entity",
    "Link": "Entity",
    "Membership": "Entity",
    "Query": "Entity",
    "Rating": "Entity",
    "Response": "Entity",
    "DateTimeResponse": "Response",
    "FillinBlankResponse": "Response",
    "MultipleChoiceResponse": "Response",
    "MultipleResponseResponse": "Response",
    "MultiselectResponse": "Response",
    "OpenEndedResponse": "Response",
    "RatingScaleResponse": "Response",
    "SelectTextResponse": "Response",
    "TrueFalseResponse": "Response",
    "Result": "Entity",
    "Scale": "Entity",
    "LikertScale": "Scale",
    "MultiselectScale": "Scale",
    "NumericScale": "Scale",
    "Score": "Entity",
    "SearchResponse": "Entity",
    "Session": "Entity",
    "LtiSession": "Session",
}

#: Structured values that are not entities (no id; never allowed where an Entity is).
VALUE_TYPES = frozenset({"SystemIdentifier", "TextPositionSelector"})


def _ancestors(entity_type):
    chain = []
    while entity_type is not None:
        chain.append(entity_type)
        entity_type = ENTITY_SUPERTYPES[entity_type]
    return frozenset(chain)


_IS_A = {t: _ancestors(t) for t in ENTITY_SUPERTYPES}


def subtypes(*types):
    """The given entity types and all their subtypes."""
    wanted = frozenset(types)
    return frozenset(t for t, ancestors in _IS_A.items() if ancestors & wanted)


# --------------------------------------------------------------- conformance (the guide)

_DR = "DigitalResource"
_MEDIA_ACTIONS = (
    "ChangedResolution", "ChangedSize", "ChangedSpeed", "ChangedVolume", "ClosedPopout",
    "DisabledClosedCaptioning", "EnabledClosedCaptioning", "Ended", "EnteredFullScreen",
    "ExitedFullScreen", "ForwardedTo", "JumpedTo", "Muted", "OpenedPopout", "Paused",
    "Restarted", "Resumed", "Started", "Unmuted",
)
_RESOURCE_MANAGEMENT_ACTIONS = (
    "Archived", "Copied", "Created", "Deleted", "Described", "Downloaded", "Modified",
    "Printed", "Published", "Restored", "Retrieved", "Saved", "Unpublished", "Uploaded",
)

#: Event type -> {action -> allowed object types (subtypes accepted)}: the union of the
#: certification guide's event conformance tables over all profiles. The General
#: Profile's generic "Event" allows any action of the vocabulary on any Entity.
EVENT_CONFORMANCE = {
    "Event": {action: {"Entity"} for action in ACTIONS},
    "AnnotationEvent": {a: {_DR} for a in ("Bookmarked", "Highlighted", "Shared", "Tagged")},
    "AssessmentEvent": {a: {"Assessment"} for a in (
        "Paused", "Reset", "Restarted", "Resumed", "Started", "Submitted")},
    "AssessmentItemEvent": {a: {"AssessmentItem"} for a in ("Completed", "Skipped", "Started")},
    "AssignableEvent": {a: {"AssignableDigitalResource"} for a in (
        "Activated", "Completed", "Deactivated", "Reviewed", "Started", "Submitted")},
    "FeedbackEvent": {"Commented": {"Entity"}, "Ranked": {"Entity"}},
    "ForumEvent": {"Subscribed": {"Forum"}, "Unsubscribed": {"Forum"}},
    # The guide writes "MarkedAsUnRead"; the action vocabulary says "MarkedAsUnread".
    "MessageEvent": {"MarkedAsRead": {"Message"}, "MarkedAsUnread": {"Message"},
                     "Posted": {"Message"}},
    "ThreadEvent": {"MarkedAsRead": {"Thread"}, "MarkedAsUnread": {"Thread"}},
    "GradeEvent": {"Graded": {"Attempt"}},
    "MediaEvent": {a: {"MediaObject"} for a in _MEDIA_ACTIONS},
    # Reading, Assessment, Assignable, Forum, Media profiles: DigitalResource; Survey
    # profile: Questionnaire (a DigitalResource too).
    "NavigationEvent": {"NavigatedTo": {_DR, "Questionnaire"}},
    # Grading profile: a Result may be Viewed too.
    "ViewEvent": {"Viewed": {_DR, "Questionnaire", "Result"}},
    "ResourceManagementEvent": {a: {_DR} for a in _RESOURCE_MANAGEMENT_ACTIONS},
    # The guide says DigitalResource; the official Searched fixture searches a
    # SoftwareApplication (a catalog), which the spec's SearchEvent also allows.
    "SearchEvent": {"Searched": {_DR, "SoftwareApplication"}},
    "SessionEvent": {"LoggedIn": {"SoftwareApplication"}, "LoggedOut": {"SoftwareApplication"},
                     "TimedOut": {"Session"}},
    "SurveyInvitationEvent": {a: {"SurveyInvitation"} for a in ("Accepted", "Declined", "Sent")},
    "SurveyEvent": {"OptedIn": {"Survey"}, "OptedOut": {"Survey"}},
    "QuestionnaireEvent": {"Started": {"Questionnaire"}, "Submitted": {"Questionnaire"}},
    "QuestionnaireItemEvent": {a: {"QuestionnaireItem"} for a in ("Completed", "Skipped", "Started")},
    "ToolLaunchEvent": {"Launched": {"SoftwareApplication"}, "Returned": {"SoftwareApplication"}},
    "ToolUseEvent": {"Used": {"SoftwareApplication"}},
}

EVENT_TYPES = frozenset(EVENT_CONFORMANCE)

#: The actor column of the guide: a Person, except where listed here.
DEFAULT_ACTOR_TYPES = {"Person"}
ACTOR_CONFORMANCE = {
    ("Event", None): {"Agent"},               # General Profile: any action, any Agent
    ("GradeEvent", "Graded"): {"Agent"},      # "Agent or subtype" (auto-graders)
    ("ViewEvent", "Viewed"): {"Agent"},       # Grading Profile: Viewed a Result
    ("SessionEvent", "TimedOut"): {"SoftwareApplication"},
}

#: Ranges of the other entity-valued event properties, by event type (spec 1.2 event
#: definitions; the malformed-* fixtures). "*" is the default for the specific event
#: types; the generic Event takes any Entity everywhere.
_ANY = {"Entity"}
EVENT_PROPERTY_RANGES = {
    "*": {
        "edApp": {"SoftwareApplication"},
        "group": {"Organization"},
        "membership": {"Membership"},
        "session": {"Session"},
        "federatedSession": {"LtiSession"},
        "generated": _ANY,
        "target": {_DR},
        "referrer": {_DR, "SoftwareApplication"},
    },
    "Event": {"generated": _ANY, "target": _ANY, "referrer": _ANY},
    "AnnotationEvent": {"generated": {"Annotation"}},
    "AssessmentEvent": {"generated": {"Attempt"}},
    "AssessmentItemEvent": {"generated": {"Attempt", "Response"}},
    "AssignableEvent": {"generated": {"Attempt"}},
    "FeedbackEvent": {"generated": {"Comment", "Rating"}},
    "GradeEvent": {"generated": {"Score"}},
    "MediaEvent": {"target": {"MediaLocation"}},
    "QuestionnaireEvent": {"generated": {"Attempt"}},
    "QuestionnaireItemEvent": {"generated": {"Attempt", "Response"}},
    "ResourceManagementEvent": {"generated": {_DR}},
    "SearchEvent": {"generated": {"SearchResponse"}},
    "ToolLaunchEvent": {"generated": {_DR}, "target": {"Link", "LtiLink"}},
    "ToolUseEvent": {"generated": {"AggregateMeasureCollection"},
                     "target": {_DR, "SoftwareApplication"}},
}

#: Where a profile's own table is narrower than the union above: the same event type and
#: action appear in several profiles' tables with other objects or actors. An event that
#: names its profile is held to that profile's row: (profile, type, action) -> (actor
#: types, object types). The Survey Profile's table says Questionnaire; the official
#: fixtures (caliperEventViewViewedQuestionnaireItem, ...NavigatedToQuestionnaireItem)
#: view and navigate to a QuestionnaireItem under it too, which we follow.
PROFILE_ROWS = {
    **{(profile, event_type, action): ({"Person"}, {_DR})
       for profile in ("AssessmentProfile", "AssignableProfile", "ForumProfile", "MediaProfile",
                       "ReadingProfile")
       for event_type, action in (("NavigationEvent", "NavigatedTo"), ("ViewEvent", "Viewed"))},
    ("SurveyProfile", "NavigationEvent", "NavigatedTo"): ({"Person"}, {"Questionnaire", "QuestionnaireItem"}),
    ("SurveyProfile", "ViewEvent", "Viewed"): ({"Person"}, {"Questionnaire", "QuestionnaireItem"}),
    ("GradingProfile", "ViewEvent", "Viewed"): ({"Agent"}, {"Result"}),
}

REQUIRED_EVENT_PROPERTIES = ("@context", "id", "type", "actor", "action", "object", "eventTime")
#: The official fixtures reject a Launched ToolLaunchEvent without its LtiSession.
EXTRA_REQUIRED_EVENT_PROPERTIES = {"ToolLaunchEvent": ("federatedSession",)}

#: Which event types a profile covers (certification guide); GeneralProfile: any.
PROFILE_EVENT_TYPES = {
    "GeneralProfile": EVENT_TYPES,
    "AnnotationProfile": {"AnnotationEvent"},
    "AssessmentProfile": {"AssessmentEvent", "AssessmentItemEvent", "NavigationEvent", "ViewEvent"},
    "AssignableProfile": {"AssignableEvent", "NavigationEvent", "ViewEvent"},
    "FeedbackProfile": {"FeedbackEvent"},
    "ForumProfile": {"ForumEvent", "MessageEvent", "ThreadEvent", "NavigationEvent", "ViewEvent"},
    "GradingProfile": {"GradeEvent", "ViewEvent"},
    "MediaProfile": {"MediaEvent", "NavigationEvent", "ViewEvent"},
    "ReadingProfile": {"NavigationEvent", "ViewEvent"},
    "ResourceManagementProfile": {"ResourceManagementEvent"},
    "SearchProfile": {"SearchEvent"},
    "SessionProfile": {"SessionEvent"},
    "SurveyProfile": {"SurveyInvitationEvent", "SurveyEvent", "QuestionnaireEvent",
                      "QuestionnaireItemEvent", "NavigationEvent", "ViewEvent"},
    "ToolLaunchProfile": {"ToolLaunchEvent"},
    "ToolUseProfile": {"ToolUseEvent"},
}

# ------------------------------------------------------------------- value checkers
# A property's kind is either a plain JSON type (str, bool or dict: checked inline, the
# common case) or a checker ``check(value, path, errors, strict, depth)`` that appends
# what is wrong to ``errors``.

_ISO_DATE = r"([0-9]{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T(?:[01][0-9]|2[0-3]):[0-5][0-9]"
_STRICT_DATETIME = re.compile(_ISO_DATE + r":[0-5][0-9]\.[0-9]{3}Z", re.ASCII).fullmatch
_ISO_DATETIME = re.compile(
    _ISO_DATE + r"(?::[0-5][0-9](?:[.,][0-9]+)?)?(?:Z|[+-](?:[01][0-9]|2[0-3]):?[0-5][0-9])",
    re.ASCII).fullmatch
_N = r"[0-9]+(?:[.,][0-9]+)?"
_DURATION = re.compile(
    rf"P(?=[0-9T])(?:{_N}Y)?(?:{_N}M)?(?:{_N}W)?(?:{_N}D)?"
    rf"(?:T(?=[0-9])(?:{_N}H)?(?:{_N}M)?(?:{_N}S)?)?", re.ASCII).fullmatch
#: An absolute IRI (scheme ":" and no whitespace or characters RFC 3987 excludes), or a
#: JSON-LD blank node identifier ("_:b0").
_IRI = re.compile(f"(?:{SCHEME}|_):{IRI_REST}").fullmatch
_URN_UUID = re.compile(
    r"urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
    re.ASCII).fullmatch


def _is_iri(value):
    """``value`` (a string) is an absolute IRI (remembered once checked) or a blank node."""
    return value in KNOWN_IRIS or is_absolute_iri(value) or _IRI(value) is not None


def _join(path, key):
    return f"{path}.{key}" if path else str(key)


def _short(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."




_PLAIN_TYPE_NAMES = {str: "a string", bool: "a JSON boolean (true/false)", dict: "a JSON object"}


def _plain_type_error(expected, value, path):
    return f"{path}: must be {_PLAIN_TYPE_NAMES[expected]}, not {json_kind(value)} {_short(value, 40)}"


def _check_uint(value, path, errors, strict, depth):
    if type(value) is not int or value < 0:
        errors.append(f"{path}: must be a non-negative integer, not {json_kind(value)} {_short(value)}")


def _check_integer(value, path, errors, strict, depth):
    if type(value) is not int:
        errors.append(f"{path}: must be an integer, not {json_kind(value)} {_short(value)}")


def _check_decimal(value, path, errors, strict, depth):
    # xsd:decimal / schema "format": "float". The official malformed fixtures reject an
    # integer literal (maxScore: 50), so a decimal is written with a fraction: 50.0.
    if type(value) is not float:
        if type(value) is int:
            errors.append(f"{path}: must be a decimal number written with a fraction "
                          f"(e.g. {value}.0), not the integer {value}")
        else:
            errors.append(f"{path}: must be a decimal number, not {json_kind(value)} {_short(value)}")
    elif not math.isfinite(value):
        errors.append(f"{path}: must be a finite number")


def _check_datetime(value, path, errors, strict, depth):
    if type(value) is not str:
        errors.append(f"{path}: must be a date-time string, not {json_kind(value)}")
        return
    match = _STRICT_DATETIME(value) if strict else _ISO_DATETIME(value)
    if match is None:
        if strict:
            errors.append(f"{path}: {_short(value)} is not a UTC date-time YYYY-MM-DDTHH:mm:ss.SSSZ")
        else:
            errors.append(f"{path}: {_short(value)} is not an ISO 8601 date-time with a time zone")
        return
    if value[8:10] > "28" and int(value[8:10]) > calendar.monthrange(
            int(value[:4]), int(value[5:7]))[1]:
        errors.append(f"{path}: {_short(value)} is not a real calendar date")


def _check_duration(value, path, errors, strict, depth):
    if type(value) is not str or _DURATION(value) is None:
        errors.append(f"{path}: {_short(value)} is not an ISO 8601 duration (e.g. PT1M30S)")


def _check_iri(value, path, errors, strict, depth):
    if type(value) is not str:
        errors.append(f"{path}: must be an IRI string, not {json_kind(value)}")
    elif not _is_iri(value):
        errors.append(f"{path}: {_short(value)} is not a valid IRI")


def _check_context(value, path, errors, strict, depth):
    if type(value) is str:
        if value != CALIPER_CONTEXT:
            errors.append(f"{path}: must be {CALIPER_CONTEXT!r}, not {_short(value)}")
    elif type(value) is list:
        if CALIPER_CONTEXT not in value:
            errors.append(f"{path}: the list must contain {CALIPER_CONTEXT!r}")
    else:
        errors.append(f"{path}: must be {CALIPER_CONTEXT!r} or a list containing it, "
                      f"not {json_kind(value)}")


def _check_strings(value, path, errors, strict, depth):
    if type(value) is not list:
        errors.append(f"{path}: must be an array of strings, not {json_kind(value)}")
        return
    for index, item in enumerate(value):
        if type(item) is not str:
            errors.append(f"{path}[{index}]: must be a string, not {json_kind(item)}")


def _enum(values):
    listed = ", ".join(sorted(values)) if len(values) <= 16 else f"{len(values)} known values"

    def check(value, path, errors, strict, depth):
        if type(value) is not str or value not in values:
            errors.append(f"{path}: {_short(value)} is not one of: {listed}")
    return check


def _enums(values):
    check_one = _enum(values)

    def check(value, path, errors, strict, depth):
        if type(value) is not list:
            errors.append(f"{path}: must be an array, not {json_kind(value)}")
            return
        for index, item in enumerate(value):
            check_one(item, f"{path}[{index}]", errors, strict, depth)
    return check


def _ref(*types):
    """An entity of one of ``types`` (or a subtype), embedded or as an IRI."""
    allowed = subtypes(*types)
    label = " or ".join(types)

    def check(value, path, errors, strict, depth):
        if type(value) is str:
            if not _is_iri(value):
                errors.append(f"{path}: {_short(value)} is not a valid IRI "
                              f"(expected an IRI or an embedded {label})")
        elif type(value) is dict and depth < MAX_DEPTH:
            entity_type = value.get("type")
            properties = _TYPE_PROPERTIES.get(entity_type) if type(entity_type) is str else None
            if properties is None:
                _bad_entity_type(value, path, errors, label)
                return
            if entity_type not in allowed:
                errors.append(f"{path}.type: {entity_type!r} is not allowed here; "
                              f"expected {label} (or a subtype)")
            if "id" not in value:
                errors.append(f"{path}.id: required property missing")
            _check_properties(value, entity_type, properties, _TYPE_REQUIRED[entity_type],
                              path, errors, strict, depth)
        else:
            _check_entity_node(value, path, errors, strict, depth, allowed, label)
    check.label = label
    return check


def _refs(*types):
    check_one = _ref(*types)

    def check(value, path, errors, strict, depth):
        if type(value) is not list:
            errors.append(f"{path}: must be an array of {check_one.label}, not {json_kind(value)}")
            return
        for index, item in enumerate(value):
            check_one(item, f"{path}[{index}]", errors, strict, depth)
    return check


def _value(value_type):
    """A structured non-entity value (TextPositionSelector...)."""
    def check(value, path, errors, strict, depth):
        _check_value_node(value, path, errors, strict, depth, value_type)
    return check


def _values(value_type):
    def check(value, path, errors, strict, depth):
        if type(value) is not list:
            errors.append(f"{path}: must be an array of {value_type}, not {json_kind(value)}")
            return
        for index, item in enumerate(value):
            _check_value_node(item, f"{path}[{index}]", errors, strict, depth, value_type)
    return check


STRING, BOOLEAN, OBJECT = str, bool, dict
INTEGER, UINT, DECIMAL = _check_integer, _check_uint, _check_decimal
DATETIME, DURATION, STRINGS = _check_datetime, _check_duration, _check_strings

# ------------------------------------------------------------- properties of each type

#: Own properties of each entity type (a type also has those of its ancestors). Names
#: are the terms of the 1.2 JSON-LD context; types from the JSON Schemas and the spec.
ENTITY_PROPERTIES = {
    "Entity": {
        "@context": _check_context, "id": _check_iri, "type": STRING,
        "name": STRING, "description": STRING, "dateCreated": DATETIME,
        "dateModified": DATETIME, "otherIdentifiers": _values("SystemIdentifier"),
        "extensions": OBJECT,
    },
    "Organization": {"members": _refs("Agent"), "subOrganizationOf": _ref("Organization")},
    "CourseOffering": {"courseNumber": STRING, "academicSession": STRING},
    "CourseSection": {"category": STRING},
    "SoftwareApplication": {"host": STRING, "ipAddress": STRING, "userAgent": STRING,
                            "version": STRING},
    "AggregateMeasure": {"metric": _enum(METRICS), "metricValue": DECIMAL,
                         "maxMetricValue": DECIMAL, "startedAtTime": DATETIME,
                         "endedAtTime": DATETIME},
    "Annotation": {"annotator": _ref("Person"), "annotated": _ref(_DR)},
    "BookmarkAnnotation": {"bookmarkNotes": STRING},
    "HighlightAnnotation": {"selection": _value("TextPositionSelector"), "selectionText": STRING},
    "SharedAnnotation": {"withAgents": _refs("Agent")},
    "TagAnnotation": {"tags": STRINGS},
    "Attempt": {"assignee": _ref("Person"), "assignable": _ref(_DR), "isPartOf": _ref("Attempt"),
                "count": UINT, "startedAtTime": DATETIME, "endedAtTime": DATETIME,
                "duration": DURATION},
    "Collection": {"items": _refs("Entity")},
    "AggregateMeasureCollection": {"items": _refs("AggregateMeasure")},
    "Survey": {"items": _refs("Questionnaire")},
    "Comment": {"commenter": _ref("Person"), "commentedOn": _ref("Entity"), "value": STRING},
    "DigitalResource": {"creators": _refs("Agent"), "mediaType": STRING, "keywords": STRINGS,
                        "learningObjectives": _refs("LearningObjective"),
                        "isPartOf": _ref("Entity"), "datePublished": DATETIME,
                        "version": STRING, "storageName": STRING},
    "AssignableDigitalResource": {"dateToActivate": DATETIME, "dateToShow": DATETIME,
                                  "dateToStartOn": DATETIME, "dateToSubmit": DATETIME,
                                  "maxAttempts": UINT, "maxSubmits": UINT, "maxScore": DECIMAL},
    "Assessment": {"items": _refs("AssessmentItem")},
    "AssessmentItem": {"isTimeDependent": BOOLEAN},
    "Frame": {"index": INTEGER},
    "LtiLink": {"messageType": _enum(LTI_MESSAGE_TYPES)},
    "MediaLocation": {"currentTime": DURATION},
    "Message": {"replyTo": _ref("Message"), "body": STRING, "attachments": _refs(_DR)},
    "QuestionnaireItem": {"question": _ref("Question"), "categories": STRINGS, "weight": DECIMAL},
    "SurveyInvitation": {"rater": _ref("Person"), "survey": _ref("Survey"), "sentCount": UINT,
                         "dateSent": DATETIME},
    "MediaObject": {"duration": DURATION},
    "AudioObject": {"volumeMin": STRING, "volumeMax": STRING, "volumeLevel": STRING,
                    "muted": BOOLEAN},
    "Question": {"questionPosed": STRING},
    "DateTimeQuestion": {"minDateTime": DATETIME, "minLabel": STRING, "maxDateTime": DATETIME,
                         "maxLabel": STRING},
    "MultiselectQuestion": {"points": UINT, "itemLabels": STRINGS, "itemValues": STRINGS},
    "RatingScaleQuestion": {"scale": _ref("Scale")},
    "DigitalResourceCollection": {"items": _refs(_DR)},
    "Forum": {"items": _refs("Thread")},
    "Thread": {"items": _refs("Message")},
    "Questionnaire": {"items": _refs("QuestionnaireItem")},
    "Membership": {"member": _ref("Person"), "organization": _ref("Organization"),
                   "roles": _enums(ROLES), "status": _enum(STATUSES)},
    "Query": {"creator": _ref("Person"), "searchTarget": _ref("Entity"), "searchTerms": STRING},
    "Rating": {"rater": _ref("Person"), "rated": _ref("Entity"), "question": _ref("Question"),
               "selections": STRINGS, "ratingComment": _ref("Comment"), "scale": _ref("Scale")},
    "Response": {"attempt": _ref("Attempt"), "startedAtTime": DATETIME,
                 "endedAtTime": DATETIME, "duration": DURATION},
    "DateTimeResponse": {"dateTimeSelected": DATETIME},
    "FillinBlankResponse": {"values": STRINGS},
    "MultipleChoiceResponse": {"value": STRING},
    "MultipleResponseResponse": {"values": STRINGS},
    "MultiselectResponse": {"selections": STRINGS},
    "OpenEndedResponse": {"value": STRING},
    "RatingScaleResponse": {"selections": STRINGS},
    "SelectTextResponse": {"values": STRINGS},
    "TrueFalseResponse": {"value": STRING},
    "Result": {"attempt": _ref("Attempt"), "maxResultScore": DECIMAL, "resultScore": DECIMAL,
               "scoredBy": _ref("Agent"), "comment": STRING},
    "LikertScale": {"scalePoints": UINT, "itemLabels": STRINGS, "itemValues": STRINGS},
    "MultiselectScale": {"scalePoints": UINT, "itemLabels": STRINGS, "itemValues": STRINGS,
                         "isOrderedSelection": BOOLEAN, "minSelections": UINT,
                         "maxSelections": UINT},
    "NumericScale": {"minValue": DECIMAL, "minLabel": STRING, "maxValue": DECIMAL,
                     "maxLabel": STRING, "step": DECIMAL},
    "Score": {"attempt": _ref("Attempt"), "maxScore": DECIMAL, "scoreGiven": DECIMAL,
              "scoredBy": _ref("Agent"), "comment": STRING},
    "SearchResponse": {"searchProvider": _ref("SoftwareApplication"),
                       "searchTarget": _ref("Entity"), "query": _ref("Query"),
                       "searchResultsItemCount": UINT},
    "Session": {"user": _ref("Person"), "client": _ref("SoftwareApplication"),
                "startedAtTime": DATETIME, "endedAtTime": DATETIME, "duration": DURATION},
    "LtiSession": {"messageParameters": OBJECT},
}

#: Properties of the structured non-entity values.
VALUE_PROPERTIES = {
    "SystemIdentifier": {
        "@context": _check_context, "type": STRING, "identifier": STRING,
        "identifierType": _enum(SYSTEM_IDENTIFIER_TYPES),
        "source": _ref("SoftwareApplication"), "extensions": OBJECT,
    },
    "TextPositionSelector": {"@context": _check_context, "type": STRING,
                             "start": UINT, "end": UINT},
}

#: Required properties besides ``type`` (and ``id``, which every entity has).
REQUIRED_PROPERTIES = {
    "AggregateMeasure": ("metric", "metricValue"),
    "SystemIdentifier": ("identifier", "identifierType"),
    "TextPositionSelector": ("start", "end"),
}


def _all_properties(entity_type):
    merged = {}
    for ancestor in reversed(_ordered_ancestors(entity_type)):
        merged.update(ENTITY_PROPERTIES.get(ancestor, {}))
    return merged


def _ordered_ancestors(entity_type):
    chain = []
    while entity_type is not None:
        chain.append(entity_type)
        entity_type = ENTITY_SUPERTYPES[entity_type]
    return chain


def _all_required(entity_type):
    required = []
    for ancestor in reversed(_ordered_ancestors(entity_type)):
        required.extend(REQUIRED_PROPERTIES.get(ancestor, ()))
    return tuple(required)


_TYPE_PROPERTIES = {t: _all_properties(t) for t in ENTITY_SUPERTYPES}
_TYPE_REQUIRED = {t: _all_required(t) for t in ENTITY_SUPERTYPES}

# ------------------------------------------------------------------- entity checking


def _check_entity_node(value, path, errors, strict, depth, allowed, label):
    """An embedded entity: a dict with a known ``type`` among ``allowed``."""
    if type(value) is not dict:
        errors.append(f"{path}: must be an IRI or an embedded {label}, not {json_kind(value)}")
        return
    if depth >= MAX_DEPTH:
        errors.append(f"{path}: nested deeper than {MAX_DEPTH} levels")
        return
    entity_type = value.get("type")
    properties = _TYPE_PROPERTIES.get(entity_type) if type(entity_type) is str else None
    if properties is None:
        _bad_entity_type(value, path, errors, label)
        return
    if allowed is not None and entity_type not in allowed:
        errors.append(f"{_join(path, 'type')}: {entity_type!r} is not allowed here; "
                      f"expected {label} (or a subtype)")
    if "id" not in value:
        errors.append(f"{_join(path, 'id')}: required property missing")
    _check_properties(value, entity_type, properties, _TYPE_REQUIRED[entity_type],
                      path, errors, strict, depth)


def _bad_entity_type(value, path, errors, label):
    entity_type = value.get("type")
    if entity_type is None:
        errors.append(f"{_join(path, 'type')}: required property missing")
    elif type(entity_type) is not str:
        errors.append(f"{_join(path, 'type')}: must be a string, not {json_kind(entity_type)}")
    elif entity_type in VALUE_TYPES:
        errors.append(f"{_join(path, 'type')}: a {entity_type} is not an entity; expected {label}")
    else:
        errors.append(f"{_join(path, 'type')}: unknown Caliper 1.2 entity type {_short(entity_type)}")


def _check_value_node(value, path, errors, strict, depth, value_type):
    if type(value) is not dict:
        errors.append(f"{path}: must be a {value_type} object, not {json_kind(value)}")
        return
    if depth >= MAX_DEPTH:
        errors.append(f"{path}: nested deeper than {MAX_DEPTH} levels")
        return
    given = value.get("type")
    if given is None:
        if value_type == "SystemIdentifier":  # the schema requires its type
            errors.append(f"{_join(path, 'type')}: required property missing")
    elif given != value_type:
        errors.append(f"{_join(path, 'type')}: must be {value_type!r}, not {_short(given)}")
        return
    _check_properties(value, value_type, VALUE_PROPERTIES[value_type],
                      REQUIRED_PROPERTIES.get(value_type, ()), path, errors, strict, depth)


def _check_properties(value, value_type, properties, required, path, errors, strict, depth):
    for name in required:
        if name not in value:
            errors.append(f"{_join(path, name)}: required property missing")
    prefix = f"{path}." if path else ""
    depth += 1
    for key, item in value.items():
        kind = properties.get(key)
        if kind is None:
            errors.append(f"{prefix}{key if type(key) is str else _short(key, 40)}: unknown "
                          f"property for {value_type} (custom data belongs in 'extensions')")
        elif kind.__class__ is type:  # a plain JSON type
            if type(item) is not kind:
                errors.append(_plain_type_error(kind, item, prefix + key))
        else:
            kind(item, prefix + key, errors, strict, depth)


# -------------------------------------------------------------------- event checking

def _compile_event_tables():
    """Precompute, for every (event type, action), the accepted actor and object types."""
    actors, objects = {}, {}
    for event_type, actions in EVENT_CONFORMANCE.items():
        for action, object_types in actions.items():
            actor_types = ACTOR_CONFORMANCE.get(
                (event_type, action), ACTOR_CONFORMANCE.get((event_type, None), DEFAULT_ACTOR_TYPES))
            actors[event_type, action] = _ref(*sorted(actor_types))
            objects[event_type, action] = _ref(*sorted(object_types))
    ranges = {}
    for event_type in EVENT_TYPES:
        merged = dict(EVENT_PROPERTY_RANGES["*"])
        merged.update(EVENT_PROPERTY_RANGES.get(event_type, {}))
        ranges[event_type] = {name: _ref(*sorted(types)) for name, types in merged.items()}
    return actors, objects, ranges


_ACTOR_CHECKS, _OBJECT_CHECKS, _RANGE_CHECKS = _compile_event_tables()
for (_profile, _type, _action), (_actors, _objects) in PROFILE_ROWS.items():
    _ACTOR_CHECKS[_profile, _type, _action] = _ref(*sorted(_actors))
    _OBJECT_CHECKS[_profile, _type, _action] = _ref(*sorted(_objects))
_ANY_AGENT, _ANY_ENTITY = _ref("Agent"), _ref("Entity")
_GENERIC_RANGES = _RANGE_CHECKS["Event"]
_ALLOWED_ACTIONS = {t: ", ".join(sorted(a)) for t, a in EVENT_CONFORMANCE.items()}
_CORE_EVENT_PROPERTIES = frozenset(REQUIRED_EVENT_PROPERTIES) | {"profile", "extensions"}


def _validate_event(event, path, errors, strict):
    if type(event) is not dict:
        errors.append(f"{path or '$'}: an event must be a JSON object, not {json_kind(event)}")
        return
    for name in REQUIRED_EVENT_PROPERTIES:
        if name not in event:
            errors.append(f"{_join(path, name)}: required property missing")

    if "@context" in event:
        _check_context(event["@context"], _join(path, "@context"), errors, strict, 0)

    event_id = event.get("id")
    if "id" in event and (type(event_id) is not str or _URN_UUID(event_id) is None):
        errors.append(f"{_join(path, 'id')}: {_short(event_id)} is not urn:uuid:<UUID>")

    event_type = event.get("type")
    if type(event_type) is not str or event_type not in EVENT_TYPES:
        if "type" in event:
            errors.append(f"{_join(path, 'type')}: {_short(event_type)} is not a Caliper 1.2 event type")
        event_type = None

    action = event.get("action")
    conformant = False
    if type(action) is not str or action not in ACTIONS:
        if "action" in event:
            errors.append(f"{_join(path, 'action')}: {_short(action)} is not in the Caliper 1.2 "
                          f"actions vocabulary")
    elif event_type is not None:
        if action in EVENT_CONFORMANCE[event_type]:
            conformant = True
        else:
            errors.append(f"{_join(path, 'action')}: {action!r} is not allowed for {event_type} "
                          f"(allowed: {_ALLOWED_ACTIONS[event_type]})")

    row = (event_type, action)
    profile = event.get("profile")
    if conformant and type(profile) is str and (profile, event_type, action) in PROFILE_ROWS:
        row = (profile, event_type, action)  # the named profile's own row
    if "actor" in event:
        check = _ACTOR_CHECKS[row] if conformant else _ANY_AGENT
        check(event["actor"], _join(path, "actor"), errors, strict, 0)
    if "object" in event:
        check = _OBJECT_CHECKS[row] if conformant else _ANY_ENTITY
        check(event["object"], _join(path, "object"), errors, strict, 0)
    if "eventTime" in event:
        _check_datetime(event["eventTime"], _join(path, "eventTime"), errors, strict, 0)

    if "profile" in event:
        profile = event["profile"]
        if type(profile) is not str or profile not in PROFILES:
            errors.append(f"{_join(path, 'profile')}: {_short(profile)} is not a Caliper 1.2 profile")
        elif event_type is not None and event_type not in PROFILE_EVENT_TYPES[profile]:
            errors.append(f"{_join(path, 'profile')}: {profile} has no {event_type}")
    if "extensions" in event and type(event["extensions"]) is not dict:
        errors.append(_plain_type_error(dict, event["extensions"], _join(path, "extensions")))

    if event_type is not None:
        for name in EXTRA_REQUIRED_EVENT_PROPERTIES.get(event_type, ()):
            if name not in event:
                errors.append(f"{_join(path, name)}: required for {event_type}")

    ranges = _RANGE_CHECKS[event_type] if event_type is not None else _GENERIC_RANGES
    for key, value in event.items():
        if key in _CORE_EVENT_PROPERTIES:
            continue
        check = ranges.get(key) if type(key) is str else None
        if check is None:
            name = key if type(key) is str else _short(key, 40)
            errors.append(f"{_join(path, name)}: unknown event property "
                          f"(custom data belongs in 'extensions')")
        else:
            check(value, _join(path, key), errors, strict, 0)


def _is_value_type(value):
    return type(value) is str and value in VALUE_TYPES


def _validate_entity(entity, path, errors, strict):
    if type(entity) is str:
        _check_iri(entity, path or "$", errors, strict, 0)
    elif type(entity) is dict and _is_value_type(entity.get("type")):
        _check_value_node(entity, path, errors, strict, 0, entity["type"])
    elif type(entity) is dict:
        _check_entity_node(entity, path, errors, strict, 0, None, "Entity")
    else:
        errors.append(f"{path or '$'}: an entity must be a JSON object or an IRI, not {json_kind(entity)}")


_ENVELOPE_PROPERTIES = frozenset({"sensor", "sendTime", "dataVersion", "data"})


def _validate_envelope(envelope, errors, strict):
    if type(envelope) is not dict:
        errors.append(f"$: an envelope must be a JSON object, not {json_kind(envelope)}")
        return
    for name in ("sensor", "sendTime", "dataVersion", "data"):
        if name not in envelope:
            errors.append(f"{name}: required property missing")
    for key in envelope:
        if key not in _ENVELOPE_PROPERTIES:
            errors.append(f"{key if type(key) is str else _short(key, 40)}: unknown envelope property")
    if "sensor" in envelope:
        _check_iri(envelope["sensor"], "sensor", errors, strict, 0)
    if "sendTime" in envelope:
        _check_datetime(envelope["sendTime"], "sendTime", errors, strict, 0)
    if "dataVersion" in envelope and envelope["dataVersion"] != CALIPER_CONTEXT:
        errors.append(f"dataVersion: must be {CALIPER_CONTEXT!r}, not {_short(envelope['dataVersion'])}")
    if "data" in envelope:
        data = envelope["data"]
        if type(data) is not list or not data:
            errors.append("data: must be a non-empty array of events and entities")
            return
        for index, item in enumerate(data):
            item_path = f"data[{index}]"
            if type(item) is dict and "action" in item:
                _validate_event(item, item_path, errors, strict)
            else:
                _validate_entity(item, item_path, errors, strict)


# ------------------------------------------------------------------------ public API

def _guarded(run):
    """Last line of defence: whatever happens, report instead of raising."""
    errors = []
    try:
        run(errors)
    except RecursionError:
        errors.append("$: nested too deeply to validate")
    except Exception as exc:  # noqa: BLE001 - the contract is "never raise"
        errors.append(f"$: could not be validated ({type(exc).__name__})")
    return errors


def validate_event(event: dict, *, strict_time: bool = True) -> list[str]:
    """Errors prefixed with a JSON path, e.g. "object.type: ...". Empty list means valid."""
    return _guarded(lambda errors: _validate_event(event, "", errors, strict_time))


def validate_envelope(envelope: dict, *, strict_time: bool = True) -> list[str]:
    """Envelope: sensor (IRI), sendTime (date-time), dataVersion == CALIPER_CONTEXT, data
    a non-empty list whose items are events (they have an ``action``) or entities; error
    paths like ``data[3].actor.id``."""
    return _guarded(lambda errors: _validate_envelope(envelope, errors, strict_time))


def validate_entity(entity, path="", *, strict_time: bool = True) -> list[str]:
    """An entity (an IRI, or an object with a known ``type``), or a SystemIdentifier /
    TextPositionSelector value; ``path`` prefixes the error paths."""
    return _guarded(lambda errors: _validate_entity(entity, path, errors, strict_time))


def _no_constants(name):
    raise ValueError(f"{name} is not valid JSON")


def _is_event_type(value):
    return type(value) is str and value in EVENT_TYPES


def load_and_validate(text, *, strict_time: bool = True) -> list[str]:
    """Parse a JSON document and validate it as an envelope (it has ``dataVersion`` or
    ``sensor``), an event (it has an ``action`` or an event ``type``) or an entity. Text
    that is not JSON is an error, not an exception."""
    try:
        document = json.loads(text, parse_constant=_no_constants)
    except (ValueError, TypeError, RecursionError) as exc:
        return [f"$: not valid JSON ({str(exc)[:80]})"]
    if type(document) is dict and ("dataVersion" in document or "sensor" in document):
        return validate_envelope(document, strict_time=strict_time)
    if type(document) is dict and ("action" in document or _is_event_type(document.get("type"))):
        return validate_event(document, strict_time=strict_time)
    return validate_entity(document, strict_time=strict_time)
