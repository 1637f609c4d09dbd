"""Which events of the logs a replay takes: a date range, courses, organisations, event names.

The selection narrows what is replayed; it never widens what a consumer may receive:
the consumer's own restrictions are applied after it, as for live events. Courses,
organisations and event names (with patterns such as ``edx.video.*``) use the same
matching as a consumer's restrictions (``filter/restrictions.py``).
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from openedx_xapi.filter.restrictions import NO_RESTRICTIONS, Facts, Restrictions, org_of


class SelectionError(ValueError):
    pass


def parse_moment(text, end=False):
    """A UTC datetime from ``2024-03-01`` or ``2024-03-01T12:00[:00][+00:00]``.

    A date alone means the start of that day; with ``end``, the end of it (so that
    ``--until 2024-03-02`` includes the whole of the 2nd)."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day + timedelta(days=1) if end else day, time(), tzinfo=timezone.utc)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SelectionError(f"not a date or an ISO 8601 time: {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


@dataclass(frozen=True)
class Selection:
    since: datetime | None = None  # included
    until: datetime | None = None  # excluded
    courses: tuple = ()
    orgs: tuple = ()
    events: tuple = ()
    _restrictions: Restrictions = field(default=NO_RESTRICTIONS, repr=False, compare=False)

    def __post_init__(self):
        if self.since and self.until and self.since >= self.until:
            raise SelectionError("--since must come before --until")
        declared = {key: list(values) for key, values in
                    (("courses", self.courses), ("orgs", self.orgs), ("events", self.events)) if values}
        object.__setattr__(self, "_restrictions", Restrictions.from_mapping(declared))

    def allows(self, event):
        if self.since is not None and event.timestamp < self.since:
            return False
        if self.until is not None and event.timestamp >= self.until:
            return False
        if not self._restrictions.restricts:
            return True
        return self._restrictions.allows(Facts(event.name, event.course_id,
                                               event.org_id or org_of(event.course_id)))

    def describe(self):
        """For the checkpoint (a resumed run must select the same events) and the summary."""
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "courses": sorted(self.courses), "orgs": sorted(self.orgs), "events": sorted(self.events),
        }
