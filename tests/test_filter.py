"""Stage 2: which consumer sees which event."""
from openedx_xapi.consumers import from_settings
from openedx_xapi.filter import consumers_for, facts_of_event, facts_of_raw
from openedx_xapi.filter.restrictions import Facts

ALL = from_settings({"name": "all", "url": "http://127.0.0.1:1/xAPI/", "auth": {"username": "u"}})
DEMO = from_settings({"name": "demo", "url": "http://127.0.0.1:1/xAPI/", "auth": {"username": "u"},
                      "courses": ["course-v1:edX+DemoX+Demo_Course"]})
NONE = from_settings({"name": "none", "url": "http://127.0.0.1:1/xAPI/", "auth": {"username": "u"}, "courses": []})
CALIPER = from_settings({"name": "cal", "protocol": "caliper", "url": "http://127.0.0.1:1/",
                         "auth": {"type": "bearer", "token": "t"}})


def names(event_name, course_id):
    return [c.name for c in consumers_for(Facts(event_name, course_id=course_id), (ALL, DEMO, NONE, CALIPER))]


def test_course_restrictions():
    assert names("edx.course.enrollment.activated", "course-v1:edX+DemoX+Demo_Course") == ["all", "demo", "cal"]
    assert names("edx.course.enrollment.activated", "course-v1:Other+C+1") == ["all", "cal"]
    assert names("edx.course.enrollment.activated", None) == ["all", "cal"]


def test_unmapped_events_go_nowhere():
    assert names("edx.ui.something.unmapped", "course-v1:edX+DemoX+Demo_Course") == []
    assert names(None, None) == []
    assert names(["not", "a", "name"], None) == []


# --- guests: dropped in the request unless a consumer takes them ------------------------------

GUESTS = from_settings({"name": "guests", "url": "http://127.0.0.1:1/xAPI/", "auth": {"username": "u"},
                        "guests": True})


def guest_event(**context):
    return {"name": "edx.ui.lms.link_clicked", "timestamp": "2024-01-02T03:04:05Z",
            "context": {"course_id": "course-v1:edX+DemoX+Demo_Course", "user_id": "", "username": "",
                        "session": "abc", **context},
            "data": {"current_url": "http://localhost/a", "target_url": "http://localhost/b"}}


def test_a_guests_event_goes_only_to_consumers_that_take_guests():
    facts = facts_of_raw(guest_event())
    assert facts.guest
    assert [c.name for c in consumers_for(facts, (ALL, DEMO, CALIPER, GUESTS))] == ["guests"]


def test_a_learner_named_by_username_only_is_no_guest():
    facts = facts_of_raw(guest_event(username="learner-ada"))
    assert not facts.guest
    assert [c.name for c in consumers_for(facts, (ALL, GUESTS))] == ["all", "guests"]


def test_the_request_and_the_worker_agree_on_who_is_a_guest():
    from openedx_xapi.events import parse_event
    for raw in (guest_event(), guest_event(username="learner-ada"), guest_event(user_id=7)):
        assert facts_of_raw(raw).guest == facts_of_event(parse_event(raw)).guest == parse_event(raw).is_guest
