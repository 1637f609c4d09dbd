"""Reading Open edX events in both shapes, and rejecting what is not one."""
import json
from datetime import datetime, timezone

import pytest

from openedx_xapi.events import MalformedEvent, parse_event

from .conftest import COURSE, enrollment_event

LOG_PREFIX = "2023-05-23 13:53:13,461 INFO 20 [tracking] [user 6] [ip 10.0.0.1] logger.py:41 - "


def tracking_log_line(prefix=True, event_as_string=False):
    payload = {"course_id": COURSE, "user_id": 6, "mode": "verified"}
    record = {
        "name": "edx.course.enrollment.activated", "event_type": "edx.course.enrollment.activated",
        "time": "2023-05-23T13:53:13.460372+00:00", "event_source": "server",
        "event": json.dumps(payload) if event_as_string else payload,
        "context": {"course_id": COURSE, "org_id": "edX", "user_id": 6, "path": "/change_enrollment"},
        "username": "learner6", "session": "abc", "ip": "10.0.0.1", "agent": "curl", "host": "lms.example.com",
        "referer": "", "accept_language": "en", "page": None,
    }
    return (LOG_PREFIX if prefix else "") + json.dumps(record)


def test_in_process_shape():
    event = parse_event(enrollment_event())
    assert event.name == "edx.course.enrollment.activated"
    assert event.timestamp == datetime(2020, 7, 15, 6, 36, 1, 917775, tzinfo=timezone.utc)
    assert (event.user_id, event.course_id, event.org_id, event.username) == (3, COURSE, "edX", "learner3")
    assert event.data["mode"] == "audit"
    assert event.session == "44c2f6b53a6aaf210797a56391a443bc"


def test_in_process_shape_with_a_datetime_as_event_tracking_gives_it():
    raw = enrollment_event()
    raw["timestamp"] = datetime(2024, 1, 2, 3, 4, 5, 678000)  # naive: event-tracking's UTC
    assert parse_event(raw).timestamp == datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)


@pytest.mark.parametrize("prefix", [True, False])
@pytest.mark.parametrize("as_string", [True, False])
def test_tracking_log_shape(prefix, as_string):
    event = parse_event(tracking_log_line(prefix, as_string))
    assert event.name == "edx.course.enrollment.activated"
    assert event.user_id == 6
    assert event.username == "learner6"
    assert event.data == {"course_id": COURSE, "user_id": 6, "mode": "verified"}
    assert event.host == "lms.example.com"
    assert event.timestamp.year == 2023


def test_user_id_from_data_when_context_has_none():
    raw = enrollment_event(user_id="")
    raw["data"]["user_id"] = 7
    assert parse_event(raw).user_id == 7


def test_string_user_ids_are_read_and_junk_ignored():
    assert parse_event(enrollment_event(user_id="42")).user_id == 42
    raw = enrollment_event(user_id=True)
    raw["data"]["user_id"] = "not a number"
    assert parse_event(raw).user_id is None


def test_other_timezones_are_converted_to_utc():
    event = parse_event(enrollment_event(timestamp="2020-07-15T08:36:01.917+02:00"))
    assert event.timestamp == datetime(2020, 7, 15, 6, 36, 1, 917000, tzinfo=timezone.utc)


@pytest.mark.parametrize("raw, reason", [
    ("not json at all", "no JSON object"),
    ("{broken", "invalid JSON"),
    ("[1, 2]", "not an array"),
    ('[{"name": "a"}]', "not an array"),
    ('[tracking] {"name": "a", "data": {}}', "missing timestamp"),  # a prefix in brackets is a prefix
    (42, "must be a JSON object"),
    ({"timestamp": "2020-01-01T00:00:00Z", "data": {}}, "missing event name"),
    ({"name": "", "timestamp": "2020-01-01T00:00:00Z", "data": {}}, "missing event name"),
    ({"name": 12, "timestamp": "2020-01-01T00:00:00Z", "data": {}}, "missing event name"),
    ({"name": "x" * 300, "timestamp": "2020-01-01T00:00:00Z", "data": {}}, "longer than"),
    ({"name": "a", "data": {}}, "missing timestamp"),
    ({"name": "a", "timestamp": "yesterday", "data": {}}, "unreadable timestamp"),
    ({"name": "a", "timestamp": 1577836800, "data": {}}, "unreadable timestamp"),
    ({"name": "a", "timestamp": "0001-01-01T00:00:00+14:00", "data": {}}, "timestamp out of range"),
    ({"name": "a", "timestamp": "9999-12-31T23:59:59-05:00", "data": {}}, "timestamp out of range"),
    ({"name": "a", "timestamp": "2020-01-01T00:00:00Z", "data": {}, "context": "x"}, "'context' must be"),
    ({"hello": "world"}, "neither the event-tracking shape"),
])
def test_malformed_events_are_rejected_with_a_reason(raw, reason):
    with pytest.raises(MalformedEvent, match=reason):
        parse_event(raw)


def test_a_browser_event_whose_payload_is_not_json_keeps_it_as_a_value():
    record = json.loads(tracking_log_line(prefix=False))
    record["event"] = "input_abc=def"
    assert parse_event(json.dumps(record)).data == {"value": "input_abc=def"}


@pytest.mark.parametrize("payload, data", [
    ("input_abc=def&input_x=1", {"value": "input_abc=def&input_x=1"}),  # a browser problem_check
    (["input_a=1", "<div>html</div>"], {"value": ["input_a=1", "<div>html</div>"]}),  # problem_graded
    ('{"id": "v1", "currentTime": 3}', {"id": "v1", "currentTime": 3}),  # a JSON string
    ("[1, 2]", {"value": [1, 2]}),
    ("", {}),
    (5, {"value": 5}),
])
def test_browser_payloads_that_are_not_objects_are_kept_as_a_value(payload, data):
    assert parse_event({"name": "a", "timestamp": "2020-01-01T00:00:00Z", "data": payload}).data == data
    assert parse_event({"name": "a", "time": "2020-01-01T00:00:00Z", "event": payload}).data == data
