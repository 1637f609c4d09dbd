"""What a consumer may receive: allow and deny lists over the facts of an event.

Six kinds of restriction, each with an ``exclude_`` twin:

=============  ==========================================================
key            matches
=============  ==========================================================
``courses``    the course run id
``orgs``       the organisation (the event's ``org_id``, or the course's)
``sites``      the LMS host the event came from (with or without its port)
``users``      the learner's user id
``events``     event names, or glob patterns such as ``edx.video.*``
``families``   event families, as in ``docs/event-mapping/`` (``video``, ...)
=============  ==========================================================

A restriction that is absent does not restrict. One that is present lets through only
what it lists, so a present and empty one lets nothing through. An ``exclude_`` list
always wins. An event that lacks the fact a present restriction needs (no course, no
user id) does not pass it: restrictions fail closed.
"""
import fnmatch
import re
from dataclasses import dataclass

KINDS = ("courses", "orgs", "sites", "users", "events", "families")
KEYS = KINDS + tuple(f"exclude_{kind}" for kind in KINDS)


class RestrictionError(ValueError):
    """A restriction that cannot be used; the message says what to fix."""


@dataclass(frozen=True, slots=True)
class Facts:
    """What the filter looks at, read from the raw event in the request or the parsed one."""
    name: str
    course_id: str | None = None
    org_id: str | None = None
    site: str | None = None
    user_id: int | None = None
    family: str | None = None
    guest: bool = False  # no learner signed in: only for consumers that take guests


def org_of(course_id):
    """``course-v1:edX+DemoX+2024`` and ``edX/DemoX/2024`` both give ``edX``."""
    if not isinstance(course_id, str):
        return None
    key = course_id.split(":", 1)[1] if ":" in course_id else course_id
    org = re.split(r"[+/]", key, maxsplit=1)[0]
    return org or None


class _Set:
    """One allow or deny list. ``None`` values never match."""

    def __init__(self, values, kind):
        self.values = frozenset(values)
        self.kind = kind
        if kind == "events":
            patterns = [fnmatch.translate(v) for v in self.values]
            self._regex = re.compile("|".join(patterns)).fullmatch if patterns else None

    def __contains__(self, value):
        if value is None:
            return False
        if self.kind == "events":
            return self._regex is not None and self._regex(value) is not None
        if self.kind == "sites":
            return value in self.values or _without_port(value) in self.values
        return value in self.values


def _without_port(host):
    """``lms.example.com:8000`` -> ``lms.example.com``; ``[::1]:8000`` -> ``[::1]``."""
    if host.startswith("["):
        return host[:host.find("]") + 1] if "]" in host else host
    return host.split(":", 1)[0]


_FACT_OF_KIND = {"courses": "course_id", "orgs": "org_id", "sites": "site", "users": "user_id",
                 "events": "name", "families": "family"}


@dataclass(frozen=True)
class Restrictions:
    """Parsed restrictions of one consumer; ``allows(facts)`` is the whole rule."""
    declared: tuple  # ((key, tuple of values), ...) as declared, for display
    _checks: tuple = ()  # ((fact attribute, allow _Set or None, deny _Set or None), ...)

    @classmethod
    def from_mapping(cls, declared):
        """From ``{"courses": [...], "exclude_orgs": [...], ...}``; unknown keys are errors."""
        declared = declared or {}
        if not isinstance(declared, dict):
            raise RestrictionError("restrictions must be a JSON object, e.g. {\"courses\": [...]}")
        unknown = set(declared) - set(KEYS)
        if unknown:
            raise RestrictionError(f"unknown restriction(s) {', '.join(sorted(unknown))}; "
                                   f"use {', '.join(KEYS)}")
        cleaned = {}
        for key, values in declared.items():
            if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple, set, frozenset)):
                raise RestrictionError(f"'{key}' must be a list")
            kind = key.removeprefix("exclude_")
            for value in values:
                if kind == "users":
                    if isinstance(value, bool) or not isinstance(value, int):
                        raise RestrictionError(f"'{key}' lists user ids (integers), not {value!r}")
                elif not isinstance(value, str) or not value:
                    raise RestrictionError(f"'{key}' lists non-empty strings, not {value!r}")
            cleaned[key] = tuple(values)
        checks = []
        for kind in KINDS:
            allow = _Set(cleaned[kind], kind) if kind in cleaned else None
            deny = _Set(cleaned[f"exclude_{kind}"], kind) if cleaned.get(f"exclude_{kind}") else None
            if allow is not None or deny is not None:
                checks.append((_FACT_OF_KIND[kind], allow, deny))
        return cls(declared=tuple(sorted(cleaned.items())), _checks=tuple(checks))

    @property
    def restricts(self):
        return bool(self._checks)

    def allows(self, facts):
        for attribute, allow, deny in self._checks:
            value = getattr(facts, attribute)
            if deny is not None and value in deny:
                return False
            if allow is not None and value not in allow:
                return False
        return True

    def as_dict(self):
        return {key: list(values) for key, values in self.declared}

    def describe(self):
        """A short summary for the admin: what is restricted, and how."""
        if not self.declared:
            return "everything"
        parts = []
        for key, values in self.declared:
            if key.startswith("exclude_"):
                parts.append(f"{key.replace('_', ' ')}: {len(values)}")
            else:
                parts.append(f"only {len(values)} {key}" if values else f"no {key} (nothing passes)")
        return "; ".join(parts)


NO_RESTRICTIONS = Restrictions.from_mapping({})
