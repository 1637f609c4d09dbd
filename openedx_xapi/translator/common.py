"""Transforms and sources shared by the mappings: IRIs of Open edX things, safe
conversions, and what several families read from an event or build for it.

Every transform is ``f(value, ctx)`` and every source ``f(event, ctx)``; each returns
None for a value it cannot use, so the field is left out (or the event rejected, when
the field is required) instead of an exception escaping from a hostile event.
"""
import math
import re
import uuid
from urllib.parse import quote

from openedx_xapi import identity, ids
from openedx_xapi.translator import vocabulary as v
from openedx_xapi.translator.mapping import Field
from openedx_xapi.validator.common import is_absolute_iri


def iri(text_value):
    """``text_value`` if it is a valid absolute IRI, else None (so a hostile id is left out)."""
    return text_value if is_absolute_iri(text_value) else None


def course_iri(course_id, ctx):
    """The activity id of a course run, as event-routing-backends builds it."""
    course_id = text(course_id, ctx)
    return iri(f"{ctx.lms_root_url}/course/{course_id}") if course_id else None


def block_iri(usage_key, ctx):
    """The activity id of a block (problem, video, unit, ...) from its usage key."""
    usage_key = text(usage_key, ctx)
    return iri(f"{ctx.lms_root_url}/xblock/{usage_key}") if usage_key else None


def session_iri(session, ctx):
    return f"{ctx.lms_root_url}/sessions/{session}"


def course_activity(course_id, ctx):
    """The course as an xAPI activity, as it appears in ``contextActivities``."""
    return activity(course_iri(course_id, ctx), v.COURSE)


def text(value, ctx=None):
    """A scalar as a non-empty string (None for anything that is not a scalar)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    value = str(value)
    return value or None


def number(value, ctx=None):
    """A finite float, from a number or a numeric string (Caliper wants decimals as decimals)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None


def integer(value, ctx=None):
    """An int, from an int, an integral float or a string of digits."""
    if isinstance(value, bool):
        return None
    integral_float = isinstance(value, float) and value.is_integer()
    digits = isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value) < 19
    if integral_float or digits:
        value = int(value)
    if isinstance(value, int) and -2**63 <= value < 2**63:  # what JSON consumers (and orjson) take
        return value
    return None


def boolean(value, ctx=None):
    """A bool, from a bool or the strings "true"/"false" (any case); None otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


_LONGEST_DURATION = 10 * 365 * 24 * 3600  # seconds: longer is junk, and some LRSs refuse it


def duration(seconds, ctx=None):
    """ISO 8601 duration from seconds: 75.5 -> "PT1M15.5S"."""
    seconds = number(seconds)
    if seconds is None or seconds < 0 or seconds > _LONGEST_DURATION:
        return None
    minutes, secs = divmod(round(seconds, 3), 60)
    hours, minutes = divmod(int(minutes), 60)
    secs_text = f"{secs:.3f}".rstrip("0").rstrip(".")
    return "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + f"{secs_text}S"


def count(value, ctx=None):
    """A number of things: an integer >= 0, else None."""
    value = integer(value)
    return value if value is not None and value >= 0 else None


def language_map(value, ctx=None):
    """A text as an xAPI language map (``{"en-US": text}``)."""
    value = text(value)
    return {"en-US": value} if value else None


# --- safe IRIs --------------------------------------------------------------------------

_USAGE_KEY = re.compile(r"[A-Za-z0-9._~:+@/\-]+")
_WEB_URL = re.compile(r"(https?://[A-Za-z0-9.\-]+(?::[0-9]{1,5})?)([/?#].*)?", re.IGNORECASE | re.DOTALL)
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_PATH_SAFE = "/:@!$&'()*+,;=~.-_?"
_SEGMENT = re.compile(r"[A-Za-z0-9._~:@!$&'()*+,;=-]+", re.ASCII)


def escape(value, safe=""):
    """Percent-encode everything an IRI cannot hold (and a ``%`` that starts no escape)."""
    return _LONE_PERCENT.sub("%25", quote(value, safe=safe + "%", errors="replace"))


def path_segment(value, ctx=None):
    """A scalar usable as one segment of an IRI path (no "/", "?", "#", spaces...), else None."""
    value = text(value)
    return value if value and len(value) <= 255 and _SEGMENT.fullmatch(value) else None


def usage_iri(usage_key, ctx):
    """The block IRI of a usage key that looks like one (junk gives None, not a bad IRI)."""
    usage_key = text(usage_key)
    return block_iri(usage_key, ctx) if usage_key and _USAGE_KEY.fullmatch(usage_key) else None


def web_iri(url, ctx):
    """An http(s) URL, or a path on the LMS, as a valid IRI; None for anything else."""
    url = text(url)
    if url is None:
        return None
    url = url.strip()
    if url.startswith("/") and not url.startswith("//"):
        url = ctx.lms_root_url.rstrip("/") + url
    match = _WEB_URL.fullmatch(url)
    if match is None:
        return None
    site, rest = match.group(1), match.group(2) or ""
    rest, hash_, fragment = rest.partition("#")
    return site + escape(rest, _PATH_SAFE) + (hash_ + escape(fragment, _PATH_SAFE) if hash_ else "")


def page_iri(url, ctx):
    """A web page (or file) as a thing: its URL without the fragment."""
    iri = web_iri(url, ctx)
    return iri.partition("#")[0] if iri else None


def course_page(event, ctx, path):
    """A page of the event's course on the LMS: ``<LMS>/courses/<course id>/<path>``."""
    course_id = text(event.course_id)
    if not course_id or course_iri(course_id, ctx) is None:
        return None
    return f"{ctx.lms_root_url}/courses/{escape(course_id, ':+@~.-_/')}/{path}"


# --- xAPI activities and Caliper entities -----------------------------------------------

def activity(iri, activity_type):
    """An xAPI activity of ``activity_type``; None when there is no ``iri``."""
    return {"objectType": "Activity", "id": iri, "definition": {"type": activity_type}} if iri else None


def entity(iri, entity_type):
    """A Caliper entity of ``entity_type``; None when there is no ``iri``."""
    return {"id": iri, "type": entity_type} if iri else None


def course_entity(event, ctx):
    """The event's course as a Caliper CourseOffering (``isPartOf``, ``subOrganizationOf``)."""
    return entity(course_iri(event.course_id, ctx), "CourseOffering")


def generated_id(event, index=1):
    """A stable id for an entity the Caliper event generates (the event itself is index 0)."""
    return f"urn:uuid:{ids.statement_id(event, 'caliper', index)}"


# --- the XBlock that published the event ------------------------------------------------

def module(event):
    """The block that published the event (``context.module``), or an empty dict."""
    found = event.context.get("module")
    return found if isinstance(found, dict) else {}


def module_iri(event, ctx):
    """The IRI of the block that published the event (``context.module.usage_key``)."""
    return block_iri(module(event).get("usage_key"), ctx)


def display_name(event, ctx):
    """The display name of the block that published the event."""
    return text(module(event).get("display_name"))


# --- the learner and their attempts (Caliper) -------------------------------------------

# The learner's attempt at one graded thing: the same id in every event about it.
ATTEMPT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/openedx-xapi/attempt")


def learner_key(event, ctx):
    """What identifies the actor for this consumer (its identity), for ids derived from it."""
    return identity.learner(event, ctx, "caliper")[2]


def learner_iri(event, ctx):
    """The actor as Caliper names them (``<LMS>/user/<actor id>`` by default)."""
    return identity.learner(event, ctx, "caliper")[1]["id"]


def learner(event, ctx):
    """The actor as a Caliper Person."""
    return dict(identity.learner(event, ctx, "caliper")[1])


def attempt_urn(event, ctx, graded):
    """The learner's Attempt at the thing ``graded`` (an IRI): a stable urn:uuid per learner and thing."""
    return f"urn:uuid:{uuid.uuid5(ATTEMPT_NAMESPACE, learner_iri(event, ctx) + ' ' + graded)}"


# --- scores and searches ----------------------------------------------------------------

def xapi_score(get_points):
    """A source: ``result.score`` for the ``(earned, possible)`` points ``get_points(event)`` gives
    (None for no score); only the raw score when no points are known to be possible."""
    def source(event, ctx):
        given = get_points(event)
        if given is None:
            return None
        earned, possible = given
        if not possible:
            return {"raw": earned}
        return {"scaled": earned / possible, "raw": earned, "min": 0.0, "max": possible}
    return source


def search_response(terms, results_count):
    """A Caliper SearchResponse source: the query's terms and the number of results."""
    def source(event, ctx):
        query, results = text(terms(event)), integer(results_count(event))
        if query is None and results is None:
            return None
        response = {"id": generated_id(event, 1), "type": "SearchResponse"}
        if query is not None:
            response["query"] = {"id": generated_id(event, 2), "type": "Query", "searchTerms": query}
        if results is not None and results >= 0:
            response["searchResultsItemCount"] = results
        return response
    return source


# --- memberships (teams, cohorts) -------------------------------------------------------

_MEMBERSHIP_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/openedx-xapi/membership")


def user_id(value):
    """A user id as event parsing reads one: an int >= 0, or a string of digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str) and value.isdigit() and len(value) < 20:
        return int(value)
    return None


def member_id(event):
    """The member an event is about (``data.user_id``), or None."""
    return user_id(event.data.get("user_id"))


def is_own_membership(event):
    """True when the member is the actor: a learner joining or leaving themselves."""
    member = member_id(event)
    return member is not None and member == event.user_id


def membership(organization):
    """A Caliper Membership source for the organization given by the source ``organization``:
    the member is named only when it is the actor; the id is stable per organization and
    member for one's own membership, one per event otherwise."""
    def source(event, ctx):
        group = organization(event, ctx)
        if not group:
            return None
        found = {"id": None, "type": "Membership", "organization": group, "roles": ["Member"]}
        if is_own_membership(event):
            key = learner_key(event, ctx)
            found["id"] = f"urn:uuid:{uuid.uuid5(_MEMBERSHIP_NAMESPACE, group['id'] + ' ' + key)}"
            found["member"] = learner(event, ctx)
        else:
            found["id"] = generated_id(event, 1)
        found["status"] = "Inactive" if event.name.endswith("removed") else "Active"
        return found
    return source


# --- teams in the xAPI context ------------------------------------------------------------

def team_group(team_id, ctx):
    """A learner team as an identified xAPI Group (``context.team``, in 1.0.3 and 2.0.0)."""
    team_id = path_segment(team_id)
    if not team_id:
        return None
    return {"objectType": "Group", "account": {"homePage": ctx.lms_root_url, "name": f"team/{team_id}"}}


def team_context_groups(team_id, ctx):
    """The same team as xAPI 2.0's ``context.contextGroups`` (left out for 1.0.3)."""
    group = team_group(team_id, ctx) if ctx.xapi_version == "2.0.0" else None
    return [{"objectType": "contextGroup", "group": group}] if group else None


TEAM_CONTEXT_FIELDS = (
    Field("context.team",          "data.team_id", team_group),
    Field("context.contextGroups", "data.team_id", team_context_groups),
)
