"""Stage 2: which consumer may see which event, decided before any work is spent.

A consumer receives an event when its protocol maps the event's name, the event has a
learner (or the consumer takes guests' events), and the consumer's restrictions
(courses, orgs, sites, users, event names and families, each allow and deny; see
``restrictions.py``) let it through. The same rule runs in the LMS
request, on facts read cheaply from the raw event, to drop at once what nobody wants,
and in the worker, with the configuration current there.
"""
from openedx_xapi import consumers as consumer_config
from openedx_xapi.events import first_user_id, payload_of, text_or_none
from openedx_xapi.filter.restrictions import Facts, org_of
from openedx_xapi.translator.registry import mapped_events, mapping_for


def facts_of_raw(raw):
    """The filter's facts from an event as event-tracking hands it to the backend."""
    name = raw.get("name")
    context = raw.get("context")
    if not isinstance(context, dict):
        context = {}
    course_id = text_or_none(context.get("course_id"))
    user_id = first_user_id(context.get("user_id"))
    guest = False
    if course_id is None or user_id is None:
        # Fall back on the payload, as events.parse_event does, so both sides decide alike.
        # (Only then: parsing a browser event's string payload is work the request rarely needs.)
        data = raw.get("data")
        data = data if isinstance(data, dict) else payload_of(data)
        course_id = course_id or text_or_none(data.get("course_id"))
        user_id = user_id if user_id is not None else first_user_id(data.get("user_id"))
        guest = user_id is None and not (text_or_none(context.get("username")) or text_or_none(data.get("username")))
    return Facts(
        name=name if isinstance(name, str) else None,
        course_id=course_id,
        org_id=text_or_none(context.get("org_id")) or org_of(course_id),
        site=text_or_none(context.get("host")),
        user_id=user_id,
        guest=guest,
    )


def facts_of_event(event):
    """The filter's facts from a parsed :class:`~openedx_xapi.events.Event`."""
    return Facts(name=event.name, course_id=event.course_id, org_id=event.org_id or org_of(event.course_id),
                 site=event.host, user_id=event.user_id, guest=event.is_guest)


def allows(consumer, facts):
    if not isinstance(facts.name, str):
        return False
    mapping = mapping_for(consumer.protocol, facts.name)
    if mapping is None or (facts.guest and not consumer.guests):
        return False
    restrictions = consumer.restrictions
    if not restrictions.restricts:
        return True
    return restrictions.allows(Facts(facts.name, facts.course_id, facts.org_id, facts.site, facts.user_id,
                                     mapping.family, facts.guest))


def consumers_for(facts, consumers=None):
    """The consumers that may receive an event with these facts."""
    if consumers is None:
        consumers = consumer_config.get_consumers()
    return [consumer for consumer in consumers if allows(consumer, facts)]


_wanted_names = {}


def could_want(name):
    """False when no consumer maps an event of this name: the request's fastest way out.

    (A set lookup, recomputed only when the consumer list is reloaded.)"""
    consumers = consumer_config.get_consumers()
    key = id(consumers)
    names = _wanted_names.get(key)
    if names is None:
        names = frozenset().union(*(mapped_events(protocol) for protocol in {c.protocol for c in consumers}))
        _wanted_names.clear()
        _wanted_names[key] = names
        _wanted_names["consumers"] = consumers  # keeps the tuple alive, so its id is not reused
    return name in names
