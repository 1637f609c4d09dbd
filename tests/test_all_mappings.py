"""Every mapped event, of every family: property-based tests over the whole registry.

For each event name a family maps, its sample event (``SAMPLES`` in the family
module) is varied by hypothesis, kindly (other learners, courses, times, values) and
hostilely (fields removed, replaced by junk of every JSON type). Whatever comes in:

* a document that comes out is valid (our validators, for xAPI 1.0.3 and 2.0.0; Ralph's
  model for xAPI 1.0.3), straight from the translator, before any safety net;
* or the event is refused with a reason, never with another exception;
* ids are deterministic, and different events never share one.
"""
import copy
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ralph.models.xapi.base.statements import BaseXapiStatement

from openedx_xapi.events import MalformedEvent, parse_event
from openedx_xapi.identity import HmacActorIds, UnknownLearner
from openedx_xapi.pipeline import documents_for
from openedx_xapi.translator import TranslationContext, TranslationError, mapped_events, translate
from openedx_xapi.translator.registry import sample_for
from openedx_xapi.validator import validate

CTX = TranslationContext(lms_root_url="http://localhost:18000", actor_ids=HmacActorIds("property-tests"))
CTX_2_0 = TranslationContext(lms_root_url="http://localhost:18000", actor_ids=HmacActorIds("property-tests"),
                             xapi_version="2.0.0")
ALL = [(protocol, name) for protocol in ("xapi", "caliper") for name in mapped_events(protocol)]

JSON_JUNK = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=True)
    | st.text(max_size=30) | st.sampled_from(["", " ", "null", "true", "NaN", "-1", "1e309", "\x00", "é" * 5]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8)


def test_every_mapped_event_has_a_sample():
    missing = sorted({name for _, name in ALL if sample_for(name) is None})
    assert missing == []


@pytest.mark.parametrize("protocol, name", ALL)
def test_the_sample_translates_to_a_valid_document(protocol, name):
    for ctx in ((CTX, CTX_2_0) if protocol == "xapi" else (CTX,)):
        documents = documents_for(parse_event(copy.deepcopy(sample_for(name))), protocol, ctx)
        assert documents
        if protocol == "xapi" and ctx.xapi_version == "1.0.3":
            for statement in documents:
                BaseXapiStatement(**statement)


@pytest.mark.parametrize("name", mapped_events("caliper"))
def test_every_caliper_sample_conforms_to_the_official_1edtech_schemas(name):
    """An independent check of our Caliper validator (needs the reference copy of the schemas)."""
    from .test_validator_caliper import schema_validator_factory
    validator_for = schema_validator_factory()
    for event in documents_for(parse_event(copy.deepcopy(sample_for(name))), "caliper", CTX):
        problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
                    for e in validator_for(event["type"]).iter_errors(event)]
        assert problems == [], event


def _paths(node, prefix=()):
    """Every (path) to a value inside the sample's data and context."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield prefix + (key,)
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield prefix + (index,)
            yield from _paths(value, prefix + (index,))


def _set(event, path, value, delete=False):
    node = event
    for key in path[:-1]:
        node = node[key]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value


@st.composite
def hostile_variants(draw, name):
    event = copy.deepcopy(sample_for(name))

    def inner_paths():  # anything inside data and context, not those two themselves
        return [p for p in _paths({"data": event["data"], "context": event["context"]}) if len(p) > 1]

    paths = inner_paths()
    for _ in range(draw(st.integers(1, 4))):
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        try:
            _set(event, path, None, delete=True) if draw(st.booleans()) else _set(event, path, draw(JSON_JUNK))
        except (KeyError, IndexError, TypeError):
            continue
        paths = inner_paths()
    return event


def _outcome(raw, protocol, ctx):
    """What the translator itself makes of ``raw``: its documents, or a refusal with a reason.

    The translator is called directly, not through ``documents_for``: that one also turns an
    unexpected exception or an invalid document into a rejection (the safety net in front of
    the router), which would hide a mapping's bug from this test."""
    try:
        event = parse_event(raw)
    except MalformedEvent as reason:
        assert str(reason), "a rejection must say why"
        return "refused", None
    if event.is_guest and not ctx.guests:
        return "refused", None
    try:
        return "documents", translate(event, protocol, ctx)
    except (TranslationError, UnknownLearner) as reason:
        assert str(reason), "a rejection must say why"
        return "refused", None


@pytest.mark.parametrize("protocol, name", ALL)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_hostile_variants_give_valid_documents_or_a_reasoned_refusal(protocol, name, data):
    raw = data.draw(hostile_variants(name))
    for ctx in ((CTX, CTX_2_0) if protocol == "xapi" else (CTX,)):
        kind, documents = _outcome(copy.deepcopy(raw), protocol, ctx)  # never any other exception
        for document in documents or ():
            assert validate(document, protocol, ctx.xapi_version) == [], document
            if protocol == "xapi" and ctx.xapi_version == "1.0.3":
                BaseXapiStatement(**document)
        if kind == "documents":  # and the pipeline sends them as they are
            assert documents_for(parse_event(copy.deepcopy(raw)), protocol, ctx) == documents


@pytest.mark.parametrize("protocol, name", ALL)
@settings(max_examples=15, deadline=None)
@given(user_ids=st.lists(st.integers(1, 10**9), min_size=2, max_size=6, unique=True),
       micros=st.integers(0, 999_999))
def test_ids_are_deterministic_and_unique(protocol, name, user_ids, micros):
    seen = set()
    for user_id in user_ids:
        raw = copy.deepcopy(sample_for(name))
        raw["context"]["user_id"] = user_id
        raw["timestamp"] = f"2024-05-06T07:08:09.{micros:06d}+00:00"
        first = documents_for(parse_event(copy.deepcopy(raw)), protocol, CTX)
        again = documents_for(parse_event(copy.deepcopy(raw)), protocol, CTX)
        assert [d["id"] for d in first] == [d["id"] for d in again]
        for document in first:
            value = document["id"].removeprefix("urn:uuid:")
            assert uuid.UUID(value)
            assert value not in seen
            seen.add(value)
