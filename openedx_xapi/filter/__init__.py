"""Stage 2: which consumer may see which event, decided before any work is spent.

A consumer receives an event when its protocol has a mapping for the event's name
and the event's course is among the consumer's courses (all courses when it has no
course restriction). The same rule runs in the LMS request (on the raw event, to
drop at once what nobody wants) and in the worker (with the configuration current
there).
"""
from openedx_xapi import consumers as consumer_config
from openedx_xapi.translator import is_mapped


def allows(consumer, event_name, course_id):
    return is_mapped(consumer.protocol, event_name) and consumer.allows_course(course_id)


def consumers_for(event_name, course_id, consumers=None):
    """The consumers that may receive an event of this name in this course."""
    if not isinstance(event_name, str):
        return []
    if consumers is None:
        consumers = consumer_config.get_consumers()
    return [consumer for consumer in consumers if allows(consumer, event_name, course_id)]
