"""Deterministic, unique ids."""
import uuid
from datetime import timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from openedx_xapi import ids
from openedx_xapi.events import parse_event

from .conftest import enrollment_event


def test_same_event_same_id_in_either_shape():
    in_process = parse_event(enrollment_event())
    log_line = parse_event({
        "name": "edx.course.enrollment.activated", "time": "2020-07-15T06:36:01.917775+00:00",
        "event": enrollment_event()["data"], "context": {"course_id": "course-v1:edX+DemoX+Demo_Course",
                                                         "user_id": 3},
        "username": "learner3",
    })
    assert ids.statement_id(in_process, "xapi") == ids.statement_id(log_line, "xapi")


def test_id_is_a_uuid_and_differs_per_protocol_and_index():
    event = parse_event(enrollment_event())
    found = {ids.statement_id(event, "xapi"), ids.statement_id(event, "caliper"), ids.statement_id(event, "xapi", 1)}
    assert len(found) == 3
    for value in found:
        assert uuid.UUID(value).version == 5


def test_a_known_value_does_not_drift_between_releases():
    # If this changes, every LRS would receive every replayed statement a second time.
    # This value was computed once by release 0.1.0 and must never change.
    event = parse_event(enrollment_event())
    assert ids.statement_id(event, "xapi") == "a41350b5-5eeb-56ba-9180-8f10a30bdf47"


@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**6), st.sampled_from(["audit", "verified"])),
                min_size=2, max_size=50, unique=True))
def test_different_events_never_share_an_id(variants):
    seen = set()
    for user_id, micro, mode in variants:
        event = parse_event(enrollment_event(user_id=user_id, mode=mode,
                                             timestamp=f"2020-07-15T06:36:01.{micro:06d}+00:00"))
        seen.add(ids.statement_id(event, "xapi"))
    assert len(seen) == len(variants)


@given(st.text(max_size=60), st.sampled_from([uuid.NAMESPACE_URL, ids.STATEMENT_NAMESPACE, ids.REGISTRATION_NAMESPACE]))
def test_the_fast_uuid5_is_the_standard_one(name, namespace):
    assert ids.uuid5_text(namespace, name) == str(uuid.uuid5(namespace, name))


@given(st.binary(min_size=16, max_size=64))
def test_the_fast_uuid4_is_the_standard_one(digest):
    assert ids.uuid4_from_digest(digest) == str(uuid.UUID(bytes=digest[:16], version=4))


def test_registration_ids_are_stable_and_differ_per_learner_and_course():
    first = ids.registration_id("actor-1", "course-v1:A+B+C")
    assert first == ids.registration_id("actor-1", "course-v1:A+B+C")  # from the cache now
    assert first == ids.uuid5_text(ids.REGISTRATION_NAMESPACE, "actor-1\x1fcourse-v1:A+B+C")
    assert len({first, ids.registration_id("actor-2", "course-v1:A+B+C"),
                ids.registration_id("actor-1", "course-v1:A+B+D")}) == 3


ZONES = [timezone.utc, timezone(timedelta(0)), timezone(timedelta(hours=5, minutes=30))]


@given(st.datetimes(timezones=st.sampled_from(ZONES) | st.just(None)))
def test_time_text_is_isoformat_to_the_microsecond(moment):
    assert ids.time_text(moment) == moment.isoformat(timespec="microseconds")
    assert ids.time_text(moment) == moment.isoformat(timespec="microseconds")  # remembered


def test_an_integer_beyond_64_bits_in_the_payload_still_gives_a_stable_id():
    """orjson writes no integer beyond 64 bits: such an event is still identified, and alike each time."""
    from openedx_xapi.events import parse_event
    from openedx_xapi.ids import statement_id

    from .conftest import enrollment_event
    def event(n):
        return parse_event(dict(enrollment_event(), data={"course_id": "x", "n": n, "deep": [{"m": -(2 ** 80)}]}))
    big, again, other = event(2 ** 70), event(2 ** 70), event(2 ** 70 + 1)
    assert statement_id(big, "xapi") == statement_id(again, "xapi") != statement_id(other, "xapi")
