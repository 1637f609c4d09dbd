"""Completion: how far a learner has completed a block of the course.

======================================= ========== ============================ =========
Open edX event                          xAPI verb  Caliper                      object
======================================= ========== ============================ =========
edx.completion.block_completion.changed progressed AssignableEvent Completed    the block
                                                   (Event Modified if partial)
edx.done.toggled                        progressed the same, from "done"        the block
======================================= ========== ============================ =========

xAPI: the completion (0 to 1) is the cmi5 progress extension in percent, and
``result.completion`` is true at 100 %, as event-routing-backends writes it; the block
is the object (``edx.done.toggled`` names it in its context, as the XBlock runtime
publishes it).

Caliper has no "progressed": a complete block is an ``AssignableEvent`` ``Completed``
(Assignable Profile); a block marked not (or not yet fully) complete is a generic
``Event`` ``Modified``. Both carry the completion in the object's extensions.
"""
from openedx_xapi.translator import vocabulary as v
from openedx_xapi.translator.caliper import CaliperMapping
from openedx_xapi.translator.common import block_iri, boolean, module_iri, number
from openedx_xapi.translator.mapping import Field, const
from openedx_xapi.translator.mappings import Either
from openedx_xapi.translator.registry import register
from openedx_xapi.translator.xapi import XapiMapping

FAMILY = "completion"


# --- what each event says ------------------------------------------------------------

def completion_of_block(event, ctx):
    """``data.completion``: a fraction between 0 and 1."""
    value = number(event.data.get("completion"))
    return value if value is not None and 0 <= value <= 1 else None


def completion_of_toggle(event, ctx):
    """``data.done``: the "done" toggle, as a completion of 1 or 0."""
    done = boolean(event.data.get("done"))
    return None if done is None else float(done)


toggled_block = module_iri  # the block that published the event (``context.module.usage_key``)


def block_of_data(event, ctx):
    return block_iri(event.data.get("block_id"), ctx)


def progress(completion):
    def source(event, ctx):
        value = completion(event, ctx)
        return None if value is None else value * 100
    return source


def is_complete(completion):
    def source(event, ctx):
        value = completion(event, ctx)
        return None if value is None else value >= 1
    return source


# --- the mapping tables --------------------------------------------------------------

def xapi_fields(block, completion):
    return (
        # target                                         source
        Field("object.objectType",                       const("Activity")),
        Field("object.id",                               block, required=True),
        Field("object.definition.type",                  const(v.RESOURCE)),
        Field("result.completion",                       is_complete(completion), required=True),
        Field(f"result.extensions[{v.EXT_PROGRESS}]",    progress(completion)),
    )


def caliper_fields(block, completion):
    return (
        Field("object.id",                               block, required=True),
        Field("object.type",                             const("AssignableDigitalResource")),
        Field("object.extensions.completion",            completion, required=True),
    )


EVENTS = (
    # Open edX event                             the block       its completion
    ("edx.completion.block_completion.changed",  block_of_data,  completion_of_block),
    ("edx.done.toggled",                         toggled_block,  completion_of_toggle),
)


def completed(completion):
    """A test of an event: is the block complete (its completion 1)? (Completions read only the event.)"""
    def test(event):
        value = completion(event, None)
        return value is not None and value >= 1
    return test


for name, block, completion in EVENTS:
    fields = caliper_fields(block, completion)
    register(
        XapiMapping(event=name, verb=v.PROGRESSED, fields=xapi_fields(block, completion), family=FAMILY),
        Either(completed(completion),
               CaliperMapping(event=name, type="AssignableEvent", action="Completed",
                              profile="AssignableProfile", fields=fields, family=FAMILY),
               CaliperMapping(event=name, type="Event", action="Modified",
                              profile="GeneralProfile", fields=fields, family=FAMILY)),
    )


# --- samples -------------------------------------------------------------------------

COURSE_ID = "course-v1:edX+DemoX+Demo_Course"
PROBLEM = "block-v1:edX+DemoX+Demo_Course+type@problem+block@7c54b16c8ed34f9f8772015178c7a175"
COMPLETABLE = "block-v1:edX+DemoX+Demo_Course+type@completable+block@0e5f8b0f0f1c4a4c9d51a6f9fbd35a61"


def _sample(name, data, context=None):
    return {
        "name": name,
        "timestamp": "2024-03-04T10:20:30.123456+00:00",
        "context": {"course_id": COURSE_ID, "org_id": "edX", "user_id": 12, "username": "learner12",
                    "session": "0123456789abcdef", "ip": "10.0.0.1", "host": "lms.example.com",
                    "path": "/courses/course-v1:edX+DemoX+Demo_Course/xblock/handler", "agent": "Mozilla/5.0",
                    **(context or {})},
        "data": data,
    }


SAMPLES = {
    "edx.completion.block_completion.changed": _sample("edx.completion.block_completion.changed", {
        "user_id": 12, "course_id": COURSE_ID, "context_key": COURSE_ID, "block_id": PROBLEM,
        "block_type": "problem", "completion": 1.0, "is_new": False}),
    "edx.done.toggled": _sample("edx.done.toggled", {"done": True},
                                {"module": {"usage_key": COMPLETABLE, "display_name": "Mark as done"}}),
}
