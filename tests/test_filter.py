"""Stage 2: which consumer sees which event."""
from openedx_xapi.consumers import from_settings
from openedx_xapi.filter import consumers_for
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
