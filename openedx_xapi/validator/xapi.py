"""The project's own xAPI statement validator (xAPI 1.0.3 and 2.0.0).

Written from the xAPI specification ("Data" part, sections cited as
"1.0.3 §2.4.x" for xAPI 1.0.3 and "2.0 §2.4.x" for IEEE 9274.1.1 / xAPI 2.0.0),
plus a few project rules that are stricter than the specification:

* every statement must carry an ``id`` (we always emit one);
* no ``null``, ``""``, ``{}`` or ``[]`` anywhere outside ``extensions`` values;
* ``contextActivities`` values must be arrays (the 0.95 single-object form is refused);
* ``timestamp``/``stored`` must carry a time zone and at least millisecond precision,
  use an upper-case "T" and "Z", and not the "-00:00" offset; seconds 00-59 (no leap
  second).  For 1.0.3 the ISO 8601 basic format and a decimal comma are accepted; for
  2.0.0 only the RFC 3339 form is.

Design: standard library only, every pattern compiled at import, no exceptions on
the happy path.  Each ``_check_*`` function takes the value, its JSON path and the
error list it appends to, and never raises.  Errors read "<json path>: <problem>",
e.g. ``"context.contextActivities.parent[0].id: must be an absolute IRI ..."``.
"""

import math
import re

from openedx_xapi.validator.common import KNOWN_IRIS, is_absolute_iri, json_kind

__all__ = ["XAPI_VERSIONS", "validate_statement"]

XAPI_VERSIONS = ("1.0.3", "2.0.0")

_ARRAY = (list, tuple)
_VOIDED = "http://adlnet.gov/expapi/verbs/voided"

# ---------------------------------------------------------------------------
# Lexical patterns (all compiled once, at import).
# ---------------------------------------------------------------------------

# mbox (1.0.3 §2.4.2.3): "mailto:" followed by an email address.
_MBOX_RE = re.compile(
    r"mailto:[^@\s<>\"{}|\\^`\x00-\x1f\x7f-\x9f]+@[^@\s<>\"{}|\\^`\x00-\x1f\x7f-\x9f]+"
)

# mbox_sha1sum (1.0.3 §2.4.2.3): the hex-encoded SHA1 of an mbox IRI.
_SHA1_RE = re.compile(r"[0-9A-Fa-f]{40}")

# sha2 of an attachment (1.0.3 §2.4.11): hex SHA-224/256/384/512 digest.
_SHA2_RE = re.compile(r"[0-9A-Fa-f]{56}|[0-9A-Fa-f]{64}|[0-9A-Fa-f]{96}|[0-9A-Fa-f]{128}")

# UUID (RFC 4122 textual form, any variant, either case).
_UUID_RE = re.compile(
    r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
)

# Internet Media Type (RFC 2046 / RFC 9110 §8.3.1): type "/" subtype [; parameters].
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z\-]+"
_MEDIA_TYPE_RE = re.compile(rf"{_TOKEN}/{_TOKEN}(?:[ \t]*;.*)?", re.DOTALL)

# Language tag, RFC 5646 §2.1 (syntax only; the IANA registry is not consulted):
#   langtag = language ["-" script] ["-" region] *("-" variant)
#             *("-" extension) ["-" privateuse]
#   language = 2*3ALPHA *3("-" extlang) / 4ALPHA / 5*8ALPHA
# or a private-use-only tag ("x-..."), or a grandfathered tag (below).
_LANGTAG_RE = re.compile(
    r"""
    (?:
        (?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})  # language (+ extlang)
        (?:-[A-Za-z]{4})?                                     # script
        (?:-(?:[A-Za-z]{2}|[0-9]{3}))?                        # region
        (?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*        # variants
        (?:-[0-9A-WYZa-wyz](?:-[A-Za-z0-9]{2,8})+)*           # extensions
        (?:-[Xx](?:-[A-Za-z0-9]{1,8})+)?                      # private use
    |
        [Xx](?:-[A-Za-z0-9]{1,8})+                            # private use only
    )
    """,
    re.VERBOSE,
)
# RFC 5646 §2.2.8 "irregular" grandfathered tags (the "regular" ones already match
# the syntax above).  Compared lower-cased: language tags are case-insensitive.
_GRANDFATHERED = frozenset({
    "en-gb-oed", "i-ami", "i-bnn", "i-default", "i-enochian", "i-hak", "i-klingon",
    "i-lux", "i-mingo", "i-navajo", "i-pwn", "i-tao", "i-tay", "i-tsu",
    "sgn-be-fr", "sgn-be-nl", "sgn-ch-de",
})

# Duration, ISO 8601:2004 §4.4.3.2 (1.0.3 §2.4.5): PnYnMnDTnHnMnS or PnW, at least
# one component, "T" only when a time component follows.  A decimal fraction is
# checked separately to be on the lowest-order (last) component only.
_N = r"[0-9]+(?:[.,][0-9]+)?"
_DURATION_RE = re.compile(
    rf"P(?:{_N}W|(?=[0-9T])(?:{_N}Y)?(?:{_N}M)?(?:{_N}D)?"
    rf"(?:T(?=[0-9])(?:{_N}H)?(?:{_N}M)?(?:{_N}S)?)?)"
)

# Timestamps (1.0.3 §2.4.7, 2.0 §2.4.7).  Project rule: a time zone (Z or an offset)
# and at least three fractional-second digits are required.
# Groups: year, month, day, hour, minute, second, offset sign, offset hh, offset mm.
_TS_RFC3339_RE = re.compile(  # RFC 3339 §5.6 profile; required for 2.0.0
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})\.[0-9]{3,}"
    r"(?:Z|([+-])([0-9]{2}):([0-9]{2}))"
)
_TS_ISO_EXTENDED_RE = re.compile(  # ISO 8601 extended format, "." or "," decimal sign
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})[.,][0-9]{3,}"
    r"(?:Z|([+-])([0-9]{2}):([0-9]{2}))"
)
_TS_ISO_BASIC_RE = re.compile(  # ISO 8601 basic format (offset as +hhmm)
    r"([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})[.,][0-9]{3,}"
    r"(?:Z|([+-])([0-9]{2})([0-9]{2}))"
)
# Last day of each month ("29" for February: the 29th is then checked for a leap year).
_LAST_DAY = {
    "01": "31", "02": "29", "03": "31", "04": "30", "05": "31", "06": "30",
    "07": "31", "08": "31", "09": "30", "10": "31", "11": "30", "12": "31",
}

_VERSION_RES = {
    "1.0.3": re.compile(r"1\.0\.[0-9]+"),
    "2.0.0": re.compile(r"2\.0\.[0-9]+"),
}

# ---------------------------------------------------------------------------
# Allowed properties of each object (one frozenset per object kind).
# ---------------------------------------------------------------------------

_STATEMENT_KEYS = frozenset({
    "id", "actor", "verb", "object", "result", "context", "timestamp", "stored",
    "authority", "version", "attachments",
})
# 1.0.3 §2.4.4.3: a SubStatement MUST NOT have "id", "stored", "version", "authority".
_SUBSTATEMENT_KEYS = frozenset({
    "objectType", "actor", "verb", "object", "result", "context", "timestamp", "attachments",
})
_SUBSTATEMENT_FORBIDDEN = {
    key: "must not be present in a SubStatement" for key in ("id", "stored", "version", "authority")
}
_IFI_KEYS = ("mbox", "mbox_sha1sum", "openid", "account")
_IFI_SET = frozenset(_IFI_KEYS)
_AGENT_KEYS = frozenset({"objectType", "name", *_IFI_KEYS})
_GROUP_KEYS = _AGENT_KEYS | {"member"}
_ACCOUNT_KEYS = frozenset({"homePage", "name"})
_VERB_KEYS = frozenset({"id", "display"})
_ACTIVITY_KEYS = frozenset({"objectType", "id", "definition"})
_STATEMENT_REF_KEYS = frozenset({"objectType", "id"})
_DEFINITION_KEYS = frozenset({
    "name", "description", "type", "moreInfo", "extensions", "interactionType",
    "correctResponsesPattern", "choices", "scale", "source", "target", "steps",
})
_COMPONENT_KEYS = frozenset({"id", "description"})
_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")
_INTERACTION_KEYS = frozenset({"interactionType", "correctResponsesPattern", *_COMPONENT_LISTS})
# 1.0.3 §2.4.4.1 "Interaction Activities": interactionType -> its component lists.
_INTERACTION_TYPES = {
    "true-false": (),
    "choice": ("choices",),
    "fill-in": (),
    "long-fill-in": (),
    "matching": ("source", "target"),
    "performance": ("steps",),
    "sequencing": ("choices",),
    "likert": ("scale",),
    "numeric": (),
    "other": (),
}
_RESULT_KEYS = frozenset({"score", "success", "completion", "response", "duration", "extensions"})
_SCORE_KEYS = frozenset({"scaled", "raw", "min", "max"})
_CONTEXT_KEYS_1 = frozenset({
    "registration", "instructor", "team", "contextActivities", "revision", "platform",
    "language", "statement", "extensions",
})
_CONTEXT_KEYS_2 = _CONTEXT_KEYS_1 | {"contextAgents", "contextGroups"}
_CONTEXT_ONLY_IN_2 = {
    "contextAgents": "not allowed in xAPI 1.0.3 (added in 2.0.0)",
    "contextGroups": "not allowed in xAPI 1.0.3 (added in 2.0.0)",
}
_CONTEXT_ACTIVITIES_KEYS = frozenset({"parent", "grouping", "category", "other"})
_CONTEXT_AGENT_KEYS = frozenset({"objectType", "agent", "relevantTypes"})
_CONTEXT_GROUP_KEYS = frozenset({"objectType", "group", "relevantTypes"})
_ATTACHMENT_KEYS = frozenset({
    "usageType", "display", "description", "contentType", "length", "sha2", "fileUrl",
})
_ATTACHMENT_REQUIRED = ("usageType", "display", "contentType", "length", "sha2")
_OBJECT_TYPES = ("Activity", "Agent", "Group", "StatementRef", "SubStatement")

# ---------------------------------------------------------------------------
# Small caches for the values that repeat across statements (verb ids, activity
# types, extension keys, language tags).  Only *valid* values are cached; the
# caches are emptied when they grow too large, so memory stays bounded.  The IRIs
# are shared with the Caliper validator and the translator (``common.KNOWN_IRIS``).
# ---------------------------------------------------------------------------

_CACHE_LIMIT = 20_000
_VALID_LANGTAGS: set = set()


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def validate_statement(statement: dict, version: str = "1.0.3") -> list[str]:
    """Return a list of human-readable errors, each prefixed with the JSON path.

    e.g. ``"actor.account.name: must be a non-empty string"``.  An empty list means
    the statement is valid for ``version`` (one of :data:`XAPI_VERSIONS`, the xAPI
    version the consumer speaks).  Never raises on any ``statement`` value; raises
    ``ValueError`` only for an unsupported ``version`` argument (a programming error).
    """
    if version not in _VERSION_RES:
        raise ValueError(f"unsupported xAPI version {version!r}; expected one of {XAPI_VERSIONS}")
    errors = []
    try:
        if isinstance(statement, dict):
            _check_statement(statement, "", errors, version, False)
        else:
            errors.append(f"statement: must be an object, got {json_kind(statement)}")
    except Exception as exc:  # pragma: no cover - last-resort guard for exotic inputs
        errors.append(f"statement: could not be validated ({type(exc).__name__})")
    return errors


# ---------------------------------------------------------------------------
# Generic helpers
# ---------------------------------------------------------------------------
#
# Every object checker below follows the same shape: one pass over the object's
# properties, one branch per property the spec defines, and a final ``else`` for
# properties it does not define.  ``null`` values are reported once, up front, so
# the branches only ever see non-null values; rules that relate several
# properties (required ones, exactly-one-IFI, min < max, ...) come after the loop.




def _show(value):
    """Short representation of an offending value, for messages."""
    if isinstance(value, str):
        return repr(value if len(value) <= 80 else value[:77] + "...")
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    return json_kind(value)


def _reject(key, allowed, p, errors, why=None):
    """Report a null value (1.0.3 §2.2: no nulls) or a property the object does not define.

    ``p`` is the path prefix ("" or "actor."); ``why`` maps properties the spec knows
    but forbids here to a more helpful message than "unknown property".
    """
    if key in allowed:
        errors.append(f"{p}{key}: must not be null")
    elif why is not None and isinstance(key, str) and key in why:
        errors.append(f"{p}{key}: {why[key]}")
    else:
        errors.append(f"{p}{key}: unknown property")


def _require(obj, keys, p, errors):
    """Report each required property that is absent."""
    for key in keys:
        if key not in obj:
            errors.append(f"{p}{key}: is required")


def _expect_object(value, path, errors):
    """True if ``value`` is a non-empty JSON object; otherwise record why not.

    Callers test ``type(value) is dict and value`` first, the fast path, and only
    call this for anything else (including dict subclasses, accepted here).
    """
    if isinstance(value, dict):
        if value:
            return True
        errors.append(f"{path}: must not be empty")
        return False
    errors.append(f"{path}: must be an object, got {json_kind(value)}")
    return False


def _expect_array(value, path, errors):
    """True if ``value`` is a non-empty JSON array; otherwise record why not."""
    if isinstance(value, _ARRAY):
        if value:
            return True
        errors.append(f"{path}: must not be an empty array")
        return False
    errors.append(f"{path}: must be an array, got {json_kind(value)}")
    return False


def _check_string(value, path, errors):
    """A non-empty string (project rule: no empty strings outside extensions)."""
    if not isinstance(value, str) or not value:
        errors.append(f"{path}: must be a non-empty string")


def _is_number(value):
    """A finite JSON number (booleans are not numbers; NaN and infinities are not JSON)."""
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, int) and not isinstance(value, bool)


def _check_iri(value, path, errors):
    """An absolute IRI string (IRIs and IRLs alike: 1.0.3 §2.2, §4.1.4.1)."""
    if type(value) is str and value in KNOWN_IRIS:  # fast path: already seen
        return
    if isinstance(value, str) and value:
        if not is_absolute_iri(value):
            errors.append(
                f"{path}: must be an absolute IRI (scheme:rest, no spaces), got {_show(value)}"
            )
    else:
        errors.append(f"{path}: must be a non-empty IRI string")


def _check_uuid(value, path, errors):
    """A UUID string (1.0.3 §2.4.1 id, §2.4.6 registration, §2.4.4.2 StatementRef)."""
    if not (isinstance(value, str) and _UUID_RE.fullmatch(value)):
        errors.append(f"{path}: must be a UUID string, got {_show(value)}")


def _is_language_tag(tag):
    """RFC 5646 syntactic check of the string ``tag`` (plus irregular grandfathered tags)."""
    if tag in _VALID_LANGTAGS:
        return True
    if _LANGTAG_RE.fullmatch(tag) is None and tag.lower() not in _GRANDFATHERED:
        return False
    if len(_VALID_LANGTAGS) >= _CACHE_LIMIT:
        _VALID_LANGTAGS.clear()
    _VALID_LANGTAGS.add(tag)
    return True


def _check_language_map(value, path, errors):
    """Language Map (1.0.3 §4.1.2): RFC 5646 tag -> non-empty string, at least one entry."""
    if not (type(value) is dict and value) and not _expect_object(value, path, errors):
        return
    for tag, text in value.items():
        if tag not in _VALID_LANGTAGS and not (isinstance(tag, str) and _is_language_tag(tag)):
            errors.append(f"{path}.{tag}: key is not an RFC 5646 language tag")
        if not isinstance(text, str) or not text:
            errors.append(f"{path}.{tag}: must be a non-empty string")


def _check_extensions(value, path, errors):
    """Extensions (1.0.3 §4.1.3): keys are absolute IRIs; values are any JSON (even null)."""
    if not (type(value) is dict and value) and not _expect_object(value, path, errors):
        return
    for key in value:
        if key not in KNOWN_IRIS and not is_absolute_iri(key):
            errors.append(f"{path}.{key}: extension key must be an absolute IRI")


def _check_timestamp(value, path, errors, version):
    """Timestamp / stored (1.0.3 §2.4.7-8: ISO 8601; 2.0: RFC 3339) + project precision rule.

    A time zone (Z or ±hh:mm) and 3+ fractional-second digits are required; the
    "-00:00" offset ("unknown local offset", RFC 3339 §4.3) is refused, as the ADL
    LRS conformance suite does.
    """
    if not isinstance(value, str):
        errors.append(f"{path}: must be a date-time string, got {json_kind(value)}")
        return
    if version == "2.0.0":
        match = _TS_RFC3339_RE.fullmatch(value)
        wanted = "an RFC 3339 date-time"
    else:
        match = _TS_ISO_EXTENDED_RE.fullmatch(value) or _TS_ISO_BASIC_RE.fullmatch(value)
        wanted = "an ISO 8601 date-time"
    if match is None:
        errors.append(
            f"{path}: must be {wanted} with a time zone and at least millisecond precision"
            f" (e.g. 2020-07-15T06:36:01.917+00:00), got {_show(value)}"
        )
        return
    # All fields are fixed-width ASCII digits, so comparing strings compares numbers.
    year, month, day, hour, minute, second, sign, off_h, off_m = match.groups()
    last_day = _LAST_DAY.get(month)
    if last_day is None:
        errors.append(f"{path}: month {month} is out of range")
    elif not "01" <= day <= last_day or (
        month == "02" and day == "29" and not _is_leap_year(int(year))
    ):
        errors.append(f"{path}: day {day} is out of range for {year}-{month}")
    if hour > "23" or minute > "59" or second > "59":
        errors.append(f"{path}: time {hour}:{minute}:{second} is out of range")
    if sign is not None:
        if off_h > "23" or off_m > "59":
            errors.append(f"{path}: time zone offset is out of range")
        elif sign == "-" and off_h == "00" and off_m == "00":
            errors.append(f"{path}: the -00:00 time zone offset is not allowed")


def _is_leap_year(year):
    """Gregorian leap year."""
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _check_duration(value, path, errors):
    """Duration (1.0.3 §2.4.5): ISO 8601 PnYnMnDTnHnMnS or PnW, not an empty "P"/"PT".

    A decimal fraction is allowed on the lowest-order component only (ISO 8601 §4.4.3.2).
    """
    if isinstance(value, str) and _DURATION_RE.fullmatch(value):
        dot, comma = value.find("."), value.find(",")
        if dot < 0 and comma < 0:
            return
        end = (comma if dot < 0 else dot if comma < 0 else min(dot, comma)) + 1
        while value[end] in "0123456789":
            end += 1
        if end == len(value) - 1:  # the fraction's designator is the last character
            return
    errors.append(
        f"{path}: must be an ISO 8601 duration such as PT1H30M or PT4.5S, got {_show(value)}"
    )


# ---------------------------------------------------------------------------
# Statement and SubStatement (1.0.3 §2.4, §2.4.4.3)
# ---------------------------------------------------------------------------


def _check_statement(stmt, p, errors, version, is_sub):
    """A Statement (``is_sub`` False, ``p`` "") or a SubStatement (``p`` "object.").

    Statement: actor, verb, object required; id required too (project rule).
    SubStatement: objectType required; MUST NOT have id, stored, version, authority;
    its object MUST NOT be another SubStatement.
    """
    allowed = _SUBSTATEMENT_KEYS if is_sub else _STATEMENT_KEYS
    why = _SUBSTATEMENT_FORBIDDEN if is_sub else None
    context = None
    for key, item in stmt.items():
        if item is None:
            _reject(key, allowed, p, errors, why)
        elif key == "actor":
            _check_actor(item, p + key, errors)
        elif key == "verb":
            _check_verb(item, p + key, errors)
        elif key == "object":
            _check_object(item, p + key, errors, version, is_sub)
        elif key == "context":
            context = item  # checked below: its rules depend on the object's type
        elif key == "result":
            _check_result(item, p + key, errors)
        elif key == "timestamp":
            _check_timestamp(item, p + key, errors, version)
        elif key == "attachments":
            _check_attachments(item, p + key, errors)
        elif key == "objectType" and is_sub:
            if item != "SubStatement":  # only reachable via dispatch on this value
                errors.append(f"{p}objectType: must be 'SubStatement'")
        elif is_sub:
            _reject(key, allowed, p, errors, why)
        elif key == "id":
            _check_uuid(item, key, errors)
        elif key == "stored":
            _check_timestamp(item, key, errors, version)
        elif key == "authority":
            _check_authority(item, key, errors)
        elif key == "version":
            if not (isinstance(item, str) and _VERSION_RES[version].fullmatch(item)):
                wanted = "1.0.x" if version == "1.0.3" else "2.0.x"
                errors.append(f"version: must be a string of the form {wanted}, got {_show(item)}")
        else:
            _reject(key, allowed, p, errors)
    _require(stmt, ("actor", "verb", "object") if is_sub else ("id", "actor", "verb", "object"),
             p, errors)

    obj = stmt.get("object")
    object_type = obj.get("objectType", "Activity") if isinstance(obj, dict) else None
    if context is not None:
        _check_context(context, p + "context", errors, version, object_type)
    # 1.0.3 §2.4.8 (Voided): a voiding Statement's object MUST be a StatementRef.
    verb = stmt.get("verb")
    if (
        not is_sub and isinstance(verb, dict) and verb.get("id") == _VOIDED
        and object_type is not None and object_type != "StatementRef"
    ):
        errors.append("object: a voiding statement's object must be a StatementRef")


# ---------------------------------------------------------------------------
# Actors: Agent, Group, account (1.0.3 §2.4.2)
# ---------------------------------------------------------------------------


def _check_actor(value, path, errors):
    """Actor (1.0.3 §2.4.2): a Group if objectType is "Group", else an Agent."""
    if isinstance(value, dict) and value.get("objectType") == "Group":
        _check_group(value, path, errors)
    else:
        _check_agent(value, path, errors)


def _check_agent(value, path, errors, type_required=False):
    """Agent (1.0.3 §2.4.2.1): optional objectType "Agent", optional name, exactly one IFI.

    objectType is required when the Agent is a Statement's object (§2.4.4.2).
    """
    if not (type(value) is dict and value) and not _expect_object(value, path, errors):
        return
    p = path + "."
    ifis = 0
    for key, item in value.items():
        if item is None:
            _reject(key, _AGENT_KEYS, p, errors)
        elif key in _IFI_SET:
            ifis += 1
            _check_ifi(key, item, p, errors)
        elif key == "objectType":
            if item != "Agent":
                errors.append(f"{p}objectType: must be 'Agent', got {_show(item)}")
        elif key == "name":
            _check_string(item, p + key, errors)
        else:
            _reject(key, _AGENT_KEYS, p, errors)
    if type_required and "objectType" not in value:
        errors.append(f"{p}objectType: is required (must be 'Agent')")
    if ifis != 1:
        errors.append(
            f"{path}: an Agent must have exactly one inverse functional identifier"
            f" (mbox, mbox_sha1sum, openid or account), found {ifis}"
        )


def _check_group(value, path, errors):
    """Group (1.0.3 §2.4.2.2): objectType "Group" required, members are Agents.

    Either anonymous (member list, no IFI) or identified (exactly one IFI, optional
    member list).  Members are Agents, never Groups.
    """
    if not (type(value) is dict and value) and not _expect_object(value, path, errors):
        return
    p = path + "."
    ifis = 0
    for key, item in value.items():
        if item is None:
            _reject(key, _GROUP_KEYS, p, errors)
        elif key in _IFI_SET:
            ifis += 1
            _check_ifi(key, item, p, errors)
        elif key == "objectType":
            if item != "Group":
                errors.append(f"{p}objectType: must be 'Group', got {_show(item)}")
        elif key == "name":
            _check_string(item, p + key, errors)
        elif key == "member":
            if _expect_array(item, p + key, errors):
                for index, member in enumerate(item):
                    member_path = f"{p}member[{index}]"
                    if isinstance(member, dict) and member.get("objectType") == "Group":
                        errors.append(f"{member_path}: a Group member must be an Agent, not a Group")
                    else:
                        _check_agent(member, member_path, errors)
        else:
            _reject(key, _GROUP_KEYS, p, errors)
    if "objectType" not in value:
        errors.append(f"{p}objectType: is required (must be 'Group')")
    if ifis > 1:
        errors.append(
            f"{path}: an identified Group must have exactly one inverse functional"
            f" identifier, found {ifis}"
        )
    elif ifis == 0 and "member" not in value:
        errors.append(f"{p}member: is required for an anonymous Group")


def _check_ifi(key, value, p, errors):
    """One Inverse Functional Identifier (1.0.3 §2.4.2.3)."""
    if key == "account":
        _check_account(value, p + key, errors)
    elif key == "mbox":
        if not (isinstance(value, str) and _MBOX_RE.fullmatch(value)):
            errors.append(f"{p}mbox: must be a mailto: IRI (mailto:name@example.com)")
    elif key == "mbox_sha1sum":
        if not (isinstance(value, str) and _SHA1_RE.fullmatch(value)):
            errors.append(f"{p}mbox_sha1sum: must be 40 hexadecimal characters")
    else:  # openid
        _check_iri(value, p + key, errors)


def _check_account(value, path, errors):
    """Account (1.0.3 §2.4.2.4): homePage (IRL) and name, both required."""
    if not (type(value) is dict and value) and not _expect_object(value, path, errors):
        return
    p = path + "."
    for key, item in value.items():
        if item is None:
            _reject(key, _ACCOUNT_KEYS, p, errors)
        elif key == "homePage":
            _check_iri(item, p + key, errors)
        elif key == "name":
            _check_string(item, p + key, errors)
        else:
            _reject(key, _ACCOUNT_KEYS, p, errors)
    _require(value, ("homePage", "name"), p, errors)


def _check_authority(value, path, errors):
    """Authority (1.0.3 §2.4.9): an Agent, or a Group of exactly two Agents (3-legged OAuth)."""
    if not (isinstance(value, dict) and value.get("objectType") == "Group"):
        _check_agent(value, path, errors)
        return
    _check_group(value, path, errors)
    members = value.get("member")
    if isinstance(members, _ARRAY) and len(members) != 2:
        errors.append(f"{path}.member: an authority Group must have exactly two Agents")


# ---------------------------------------------------------------------------
# Verb (1.0.3 §2.4.3)
# ---------------------------------------------------------------------------


def _check_verb(value, path, errors):
    """Verb: id (IRI) required, display (Language Map) optional, nothing else."""
    if not (type(value) is dict and value) and not _expect_object(value, path, errors):
        return
    p = path + "."
    for key, item in value.items():
        if item is None:
            _reject(key, _VERB_KEYS, p, errors)
        elif key == "id":
            _check_iri(item, p + key, errors)
        elif key == "display":
            _check_language_map(item, p + key, errors)
        else:
            _reject(key, _VERB_KEYS, p, errors)
    if "id" not in value:
        errors.append(f"{p}id: is required")


# ---------------------------------------------------------------------------
# Object (1.0.3 §2.4.4): Activity, Agent, Group, StatementRef, SubStatement
# ---------------------------------------------------------------------------


def _check_object(value, path, errors, version, in_substatement):
    """Dispatch on objectType (absent means Activity); a SubStatement can't nest one."""
    if not (type(value) is dict and value) and not _expect_object(value, path, errors):
        return
    object_type = value.get("objectType", "Activity")
    if object_type == "Activity":
        _check_activity(value, path, errors)
    elif object_type == "Agent":
        _check_agent(value, path, errors, type_required=True)
    elif object_type == "Group":
        _check_group(value, path, errors)
    elif object_type == "StatementRef":
        _check_statement_ref(value, path, errors)
    elif object_type == "SubStatement":
        if in_substatement:
            errors.append(f"{path}.objectType: a SubStatement must not contain a SubStatement")
        else:
            _check_statement(value, path + ".", errors, version, True)
    elif object_type is None:
        errors.append(f"{path}.objectType: must not be null")
    else:
        errors.append(
            f"{path}.objectType: must be one of {', '.join(_OBJECT_TYPES)},"
            f" got {_show(object_type)}"
        )


def _check_activity(value, path, errors):
    """Activity (1.0.3 §2.4.4.1): optional objectType "Activity", id IRI, optional definition."""
    if not (type(value) is dict and value) and not _expect_object(value, path, errors):
        return
    p = path + "."
    for key, item in value.items():
        if item is None:
            _reject(key, _ACTIVITY_KEYS, p, errors)
        elif key == "id":
            _check_iri(item, p + key, errors)
        elif key == "definition":
            _check_definition(item, p + key, errors)
        elif key == "objectType":
            if item != "Activity":
                errors.append(f"{p}objectType: must be 'Activity', got {_show(item)}")
        else:
            _reject(key, _ACTIVITY_KEYS, p, errors)
    if "id" not in value:
        errors.append(f"{p}id: is required")


def _check_definition(value, path, errors):
    """Activity Definition (1.0.3 §2.4.4.1), including Interaction Activities.

    Component lists (choices, scale, source, target, steps) need an interactionType
    that uses them; correctResponsesPattern needs an interactionType.
    """
    if not (type(value) is dict and value) and not _expect_object(value, path, errors):
        return
    p = path + "."
    interactive = False
    for key, item in value.items():
        if item is None:
            _reject(key, _DEFINITION_KEYS, p, errors)
        elif key == "name" or key == "description":
            _check_language_map(item, p + key, errors)
        elif key == "type" or key == "moreInfo":
            _check_iri(item, p + key, errors)
        elif key == "extensions":
            _check_extensions(item, p + key, errors)
        elif key in _INTERACTION_KEYS:
            interactive = True
        else:
            _reject(key, _DEFINITION_KEYS, p, errors)
    if interactive:
        _check_interaction(value, p, errors)


def _check_interaction(value, p, errors):
    """Interaction Activity properties of a definition (1.0.3 §2.4.4.1, "Interaction")."""
    interaction_type = value.get("interactionType")
    allowed_lists = ()
    if interaction_type is None:
        if "interactionType" not in value:
            errors.append(f"{p}interactionType: is required by {p}correctResponsesPattern or"
                          " interaction components")
    elif isinstance(interaction_type, str) and interaction_type in _INTERACTION_TYPES:
        allowed_lists = _INTERACTION_TYPES[interaction_type]
    else:
        errors.append(
            f"{p}interactionType: must be one of {', '.join(_INTERACTION_TYPES)},"
            f" got {_show(interaction_type)}"
        )
        allowed_lists = None  # unknown type: don't also complain about its components
    patterns = value.get("correctResponsesPattern")
    if patterns is not None and _expect_array(patterns, p + "correctResponsesPattern", errors):
        for index, pattern in enumerate(patterns):
            _check_string(pattern, f"{p}correctResponsesPattern[{index}]", errors)
    for key in _COMPONENT_LISTS:
        components = value.get(key)
        if components is None:
            continue
        if allowed_lists is not None and interaction_type is not None and key not in allowed_lists:
            errors.append(f"{p}{key}: not allowed for interactionType {_show(interaction_type)}")
        _check_components(components, p + key, errors)


def _check_components(value, path, errors):
    """Interaction Components (1.0.3 §2.4.4.1): {id, description?}; ids unique, no spaces."""
    if not _expect_array(value, path, errors):
        return
    seen = set()
    for index, component in enumerate(value):
        item_path = f"{path}[{index}]"
        if not (type(component) is dict and component) and not _expect_object(
            component, item_path, errors
        ):
            continue
        p = item_path + "."
        for key, item in component.items():
            if item is None:
                _reject(key, _COMPONENT_KEYS, p, errors)
            elif key == "id":
                if not isinstance(item, str) or not item:
                    errors.append(f"{p}id: must be a non-empty string")
                elif item.split() != [item]:
                    errors.append(f"{p}id: must not contain whitespace")
                elif item in seen:
                    errors.append(f"{p}id: duplicate id {_show(item)} in {path}")
                else:
                    seen.add(item)
            elif key == "description":
                _check_language_map(item, p + key, errors)
            else:
                _reject(key, _COMPONENT_KEYS, p, errors)
        if "id" not in component:
            errors.append(f"{p}id: is required")


def _check_statement_ref(value, path, errors):
    """Statement Reference (1.0.3 §2.4.4.2): objectType "StatementRef" and a UUID id."""
    if not (type(value) is dict and value) and not _expect_object(value, path, errors):
        return
    p = path + "."
    for key, item in value.items():
        if item is None:
            _reject(key, _STATEMENT_REF_KEYS, p, errors)
        elif key == "id":
            _check_uuid(item, p + key, errors)
        elif key == "objectType":
            if item != "StatementRef":
                errors.append(f"{p}objectType: must be 'StatementRef', got {_show(item)}")
        else:
            _reject(key, _STATEMENT_REF_KEYS, p, errors)
    _require(value, ("objectType", "id"), p, errors)


# ---------------------------------------------------------------------------
# Result (1.0.3 §2.4.5)
# ---------------------------------------------------------------------------


def _check_result(value, path, errors):
    """Result: score, success and completion (booleans), response, duration, extensions."""
    if not (type(value) is dict and value) and not _expect_object(value, path, errors):
        return
    p = path + "."
    for key, item in value.items():
        if item is None:
            _reject(key, _RESULT_KEYS, p, errors)
        elif key == "score":
            _check_score(item, p + key, errors)
        elif key == "success" or key == "completion":
            if item is not True and item is not False:
                errors.append(f"{p}{key}: must be a boolean, got {json_kind(item)}")
        elif key == "response":
            _check_string(item, p + key, errors)
        elif key == "duration":
            _check_duration(item, p + key, errors)
        elif key == "extensions":
            _check_extensions(item, p + key, errors)
        else:
            _reject(key, _RESULT_KEYS, p, errors)


def _check_score(value, path, errors):
    """Score (1.0.3 §2.4.5.1): numbers; scaled in [-1, 1]; min < max; min <= raw <= max."""
    if not (type(value) is dict and value) and not _expect_object(value, path, errors):
        return
    p = path + "."
    scaled = raw = low = high = None
    for key, item in value.items():
        if item is None or key not in _SCORE_KEYS:
            _reject(key, _SCORE_KEYS, p, errors)
        elif not _is_number(item):
            errors.append(f"{p}{key}: must be a finite number, got {_show(item)}")
        elif key == "scaled":
            scaled = item
        elif key == "raw":
            raw = item
        elif key == "min":
            low = item
        else:
            high = item
    if scaled is not None and not -1 <= scaled <= 1:
        errors.append(f"{p}scaled: must be between -1 and 1, got {scaled!r}")
    if low is not None and high is not None and not low < high:
        errors.append(f"{p}min: must be less than max ({low!r} >= {high!r})")
    if raw is not None:
        if low is not None and raw < low:
            errors.append(f"{p}raw: must not be less than min ({raw!r} < {low!r})")
        if high is not None and raw > high:
            errors.append(f"{p}raw: must not be greater than max ({raw!r} > {high!r})")


# ---------------------------------------------------------------------------
# Context (1.0.3 §2.4.6; 2.0 adds contextAgents and contextGroups)
# ---------------------------------------------------------------------------


def _check_context(value, path, errors, version, object_type):
    """Context; revision and platform only when the Statement's object is an Activity."""
    if not (type(value) is dict and value) and not _expect_object(value, path, errors):
        return
    p = path + "."
    v2 = version == "2.0.0"
    allowed = _CONTEXT_KEYS_2 if v2 else _CONTEXT_KEYS_1
    for key, item in value.items():
        if item is None:
            _reject(key, allowed, p, errors, _CONTEXT_ONLY_IN_2)
        elif key == "contextActivities":
            _check_context_activities(item, p + key, errors)
        elif key == "extensions":
            _check_extensions(item, p + key, errors)
        elif key == "registration":
            _check_uuid(item, p + key, errors)
        elif key == "instructor":
            _check_actor(item, p + key, errors)
        elif key == "team":
            _check_group(item, p + key, errors)
        elif key == "revision" or key == "platform":
            _check_string(item, p + key, errors)
            if object_type is not None and object_type != "Activity":
                errors.append(f"{p}{key}: only allowed when the statement's object is an Activity")
        elif key == "language":
            if not (isinstance(item, str) and _is_language_tag(item)):
                errors.append(f"{p}language: must be an RFC 5646 language tag, got {_show(item)}")
        elif key == "statement":
            _check_statement_ref(item, p + key, errors)
        elif key == "contextAgents" and v2:
            _check_context_actors(item, p + key, errors, "contextAgent", "agent", _check_agent)
        elif key == "contextGroups" and v2:
            _check_context_actors(item, p + key, errors, "contextGroup", "group", _check_group)
        else:
            _reject(key, allowed, p, errors, _CONTEXT_ONLY_IN_2)


def _check_context_activities(value, path, errors):
    """contextActivities (1.0.3 §2.4.6.2): parent/grouping/category/other -> [Activity].

    Project rule: values must be non-empty arrays (the single-object form is refused).
    """
    if not (type(value) is dict and value) and not _expect_object(value, path, errors):
        return
    p = path + "."
    for key, item in value.items():
        if item is None or key not in _CONTEXT_ACTIVITIES_KEYS:
            _reject(key, _CONTEXT_ACTIVITIES_KEYS, p, errors)
        elif isinstance(item, dict):
            errors.append(f"{p}{key}: must be an array of Activities, not a single object")
        elif _expect_array(item, p + key, errors):
            for index, activity in enumerate(item):
                _check_activity(activity, f"{p}{key}[{index}]", errors)


def _check_context_actors(value, path, errors, entry_type, member_key, check):
    """contextAgents / contextGroups (2.0 §2.4.6.3-4), non-empty arrays of entries.

    Entry: {objectType: "contextAgent" | "contextGroup", agent | group, relevantTypes?: [IRI]}.
    """
    if not _expect_array(value, path, errors):
        return
    allowed = _CONTEXT_AGENT_KEYS if member_key == "agent" else _CONTEXT_GROUP_KEYS
    for index, entry in enumerate(value):
        item_path = f"{path}[{index}]"
        if not _expect_object(entry, item_path, errors):
            continue
        p = item_path + "."
        for key, item in entry.items():
            if item is None:
                _reject(key, allowed, p, errors)
            elif key == member_key:
                check(item, p + key, errors)
            elif key == "objectType":
                if item != entry_type:
                    errors.append(f"{p}objectType: must be {entry_type!r}, got {_show(item)}")
            elif key == "relevantTypes":
                if _expect_array(item, p + key, errors):
                    for type_index, iri in enumerate(item):
                        _check_iri(iri, f"{p}relevantTypes[{type_index}]", errors)
            else:
                _reject(key, allowed, p, errors)
        _require(entry, ("objectType", member_key), p, errors)


# ---------------------------------------------------------------------------
# Attachments (1.0.3 §2.4.11)
# ---------------------------------------------------------------------------


def _check_attachments(value, path, errors):
    """Attachments: usageType IRI, display Language Map, contentType, length, sha2 required;

    description (Language Map) and fileUrl (IRL) optional.
    """
    if not _expect_array(value, path, errors):
        return
    for index, attachment in enumerate(value):
        item_path = f"{path}[{index}]"
        if not _expect_object(attachment, item_path, errors):
            continue
        p = item_path + "."
        for key, item in attachment.items():
            if item is None:
                _reject(key, _ATTACHMENT_KEYS, p, errors)
            elif key == "usageType" or key == "fileUrl":
                _check_iri(item, p + key, errors)
            elif key == "display" or key == "description":
                _check_language_map(item, p + key, errors)
            elif key == "contentType":
                if not (isinstance(item, str) and _MEDIA_TYPE_RE.fullmatch(item)):
                    errors.append(f"{p}contentType: must be an Internet Media Type (type/subtype)")
            elif key == "length":
                if isinstance(item, bool) or not isinstance(item, int) or item < 0:
                    errors.append(f"{p}length: must be a non-negative integer, got {_show(item)}")
            elif key == "sha2":
                if not (isinstance(item, str) and _SHA2_RE.fullmatch(item)):
                    errors.append(f"{p}sha2: must be a hex SHA-2 digest (56, 64, 96 or 128 digits)")
            else:
                _reject(key, _ATTACHMENT_KEYS, p, errors)
        _require(attachment, _ATTACHMENT_REQUIRED, p, errors)
