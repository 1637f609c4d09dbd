"""Which consumer may receive which event: every rule of the restrictions, and a property
test that runs random event streams and random consumers through the real filter code,
in the request (``facts_of_raw``) and in the worker (``facts_of_event(parse_event(...))``),
against an oracle written here from the rules alone."""
import copy
import fnmatch
from collections import Counter

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openedx_xapi.consumers import ConsumerConfigError, from_settings
from openedx_xapi.events import parse_event
from openedx_xapi.filter import allows, consumers_for, facts_of_event, facts_of_raw
from openedx_xapi.filter.restrictions import KEYS, KINDS, Facts, RestrictionError, Restrictions
from openedx_xapi.translator.registry import mapped_events, mapping_for, sample_for

DEMO = "course-v1:edX+DemoX+Demo_Course"
ENROLLED = "edx.course.enrollment.activated"
VIDEO = "edx.video.played" if mapping_for("xapi", "edx.video.played") else "play_video"


def consumer(protocol="xapi", **restrictions):
    if protocol == "caliper":
        base = {"name": "c", "protocol": "caliper", "url": "https://caliper.example.com/e",
                "auth": {"type": "bearer", "token": "t"}}
    else:
        base = {"name": "c", "url": "https://lrs.example.com/xAPI/", "auth": {"username": "u", "password": "p"}}
    return from_settings({**base, **restrictions})


def facts(name=ENROLLED, course_id=DEMO, org_id="edX", site="lms.example.com", user_id=12):
    return Facts(name=name, course_id=course_id, org_id=org_id, site=site, user_id=user_id)


def raw_event(**context):
    """An enrollment in the shape event-tracking hands over; its learner named by username
    unless ``context`` says otherwise (a guest's event goes to no consumer by default)."""
    return {"name": ENROLLED, "timestamp": "2024-01-01T00:00:00+00:00",
            "context": {"username": "a-learner", **context}, "data": {}}


def passes(facts_, **restrictions):
    return allows(consumer(**restrictions), facts_)


# --- each kind: absent, present, empty, excluded -----------------------------------------

KIND_CASES = [  # kind, a value the facts have, another value
    ("courses", DEMO, "course-v1:Other+X+1"),
    ("orgs", "edX", "OrgB"),
    ("sites", "lms.example.com", "other.example.org"),
    ("users", 12, 13),
    ("events", ENROLLED, "edx.course.enrollment.deactivated"),
    ("families", "enrollment", "video"),
]


@pytest.mark.parametrize("kind, has, other", KIND_CASES)
def test_absent_restriction_does_not_restrict(kind, has, other):
    assert passes(facts())
    assert passes(facts(), **{f"exclude_{k}": [] for k in KINDS})  # empty excludes exclude nothing


@pytest.mark.parametrize("kind, has, other", KIND_CASES)
def test_present_restriction_lets_through_only_what_it_lists(kind, has, other):
    assert passes(facts(), **{kind: [has]})
    assert passes(facts(), **{kind: [other, has]})
    assert not passes(facts(), **{kind: [other]})


@pytest.mark.parametrize("kind, has, other", KIND_CASES)
def test_present_and_empty_lets_nothing_through(kind, has, other):
    assert not passes(facts(), **{kind: []})
    assert not consumer(**{kind: []}).restrictions.allows(Facts(ENROLLED, DEMO, "edX", "lms.example.com", 12,
                                                               "enrollment"))


@pytest.mark.parametrize("kind, has, other", KIND_CASES)
def test_exclude_always_wins(kind, has, other):
    assert not passes(facts(), **{f"exclude_{kind}": [has]})
    assert not passes(facts(), **{kind: [has], f"exclude_{kind}": [has]})
    assert passes(facts(), **{f"exclude_{kind}": [other]})
    assert passes(facts(), **{kind: [has], f"exclude_{kind}": [other]})


def test_an_exclude_of_one_kind_wins_over_an_allow_of_another():
    assert not passes(facts(), courses=[DEMO], exclude_users=[12])
    assert not passes(facts(), orgs=["edX"], exclude_events=["edx.course.*"])
    assert passes(facts(user_id=13), courses=[DEMO], exclude_users=[12])


def test_every_present_kind_must_pass():
    assert passes(facts(), courses=[DEMO], orgs=["edX"], users=[12])
    assert not passes(facts(), courses=[DEMO], orgs=["OrgB"], users=[12])
    assert not passes(facts(user_id=13), courses=[DEMO], orgs=["edX"], users=[12])


@pytest.mark.parametrize("kind, missing", [
    ("courses", {"course_id": None}),
    ("orgs", {"course_id": None, "org_id": None}),
    ("sites", {"site": None}),
    ("users", {"user_id": None}),
])
def test_a_missing_fact_fails_closed(kind, missing):
    value = {"courses": DEMO, "orgs": "edX", "sites": "lms.example.com", "users": 12}[kind]
    assert passes(facts(), **{kind: [value]})
    assert not passes(facts(**missing), **{kind: [value]})
    # ... and an exclude cannot match what is not there: the event passes it.
    assert passes(facts(**missing), **{f"exclude_{kind}": [value]})


def test_a_guest_event_is_dropped_by_a_users_restriction_whatever_it_lists():
    assert not passes(facts(user_id=None), users=[0, 1, 12])


def test_event_globs():
    assert passes(facts(name=VIDEO), events=["edx.video.*"]) == VIDEO.startswith("edx.video.")
    assert passes(facts(name="edx.video.played"), events=["edx.video.*"])
    assert passes(facts(name="edx.video.transcript.shown"), events=["edx.video.*"])  # * spans dots
    assert not passes(facts(name="edx.course.enrollment.activated"), events=["edx.video.*"])
    assert not passes(facts(name="edx.video.played"), events=["edx.video"])  # a pattern matches whole names
    assert not passes(facts(name="xedx.video.played"), events=["edx.video.*"])
    assert passes(facts(name="edx.course.enrollment.activated"), events=["edx.course.enrollment.?ctivated"])
    assert passes(facts(name="edx.course.enrollment.deactivated"), events=["*.deactivated"])
    assert not passes(facts(name="edx.video.played"), exclude_events=["edx.video.*"], events=["*"])
    assert passes(facts(name="edx.course.enrollment.activated"), exclude_events=["edx.video.*"])


def test_event_patterns_are_globs_not_regular_expressions():
    # "." is a plain dot, not "any character"; "+" is a plain plus.
    assert not passes(facts(name="edxXcourseXenrollmentXactivated"), events=["edx.course.enrollment.activated"])
    assert not passes(facts(name=ENROLLED), events=["edx.course.enrollment.activated+"])
    assert passes(facts(name=ENROLLED), events=["edx.course.enrollment.[ab]ctivated"])


@pytest.mark.parametrize("site, listed, expected", [
    ("lms.example.com", ["lms.example.com"], True),
    ("lms.example.com:8000", ["lms.example.com"], True),  # the port is optional in the list
    ("lms.example.com:8000", ["lms.example.com:8000"], True),
    ("lms.example.com:8001", ["lms.example.com:8000"], False),  # a listed port must be the port
    ("lms.example.com", ["lms.example.com:8000"], False),
    ("lms.example.com.evil.org", ["lms.example.com"], False),
    ("evil.org:lms.example.com", ["lms.example.com"], False),
    ("other.example.org:443", ["lms.example.com"], False),
])
def test_sites_match_the_host_with_or_without_its_port(site, listed, expected):
    assert passes(facts(site=site), sites=listed) is expected
    assert passes(facts(site=site), exclude_sites=listed) is (not expected)


def test_sites_with_an_ipv6_host_and_a_port():
    # Django's request.get_host() gives "[::1]:8000"; the host without its port is "[::1]".
    assert passes(facts(site="[::1]:8000"), sites=["[::1]:8000"])
    assert passes(facts(site="[::1]:8000"), sites=["[::1]"])
    assert not passes(facts(site="[::1]:8000"), exclude_sites=["[::1]"])


def test_users_are_integers_and_match_ids_given_as_digit_strings():
    assert passes(facts(user_id=12), users=[12])
    raw = raw_event(user_id="12")
    assert facts_of_raw(raw).user_id == 12
    assert facts_of_event(parse_event(raw)).user_id == 12
    assert allows(consumer(users=[12]), facts_of_raw(raw))
    assert allows(consumer(users=[12]), facts_of_event(parse_event(raw)))
    assert not allows(consumer(users=[1]), facts_of_raw(raw))


@pytest.mark.parametrize("context, orgs, expected", [
    ({"course_id": "course-v1:OrgB+X+1"}, ["OrgB"], True),
    ({"course_id": "OrgB/X/2013"}, ["OrgB"], True),  # an old-style course id
    ({"course_id": "course-v1:OrgB+X+1"}, ["edX"], False),
    ({"course_id": "course-v1:OrgB+X+1", "org_id": "edX"}, ["edX"], True),  # the LMS's org_id wins
    ({"course_id": "course-v1:OrgB+X+1", "org_id": "edX"}, ["OrgB"], False),
    ({"course_id": "course-v1:OrgB+X+1", "org_id": ""}, ["OrgB"], True),
    ({}, ["OrgB"], False),
])
def test_orgs_come_from_the_event_or_else_from_its_course(context, orgs, expected):
    raw = raw_event(**context)
    assert allows(consumer(orgs=orgs), facts_of_raw(raw)) is expected
    assert allows(consumer(orgs=orgs), facts_of_event(parse_event(raw))) is expected
    assert allows(consumer(exclude_orgs=orgs), facts_of_raw(raw)) is (not expected)


@pytest.mark.parametrize("where", ["course_id", "user_id"])
def test_the_request_and_the_worker_read_the_same_facts_when_they_are_only_in_the_data(where):
    """Some events carry their course or learner only in their payload (``data``): the worker
    reads them there (``parse_event``), so the request must too, or a restricted consumer
    silently loses the event before the worker ever sees it."""
    value = {"course_id": DEMO, "user_id": 12}[where]
    kind = {"course_id": "courses", "user_id": "users"}[where]
    raw = {"name": ENROLLED, "timestamp": "2024-01-01T00:00:00+00:00", "context": {"username": "a-learner"},
           "data": {where: value}}
    restricted = consumer(**{kind: [value]})
    assert allows(restricted, facts_of_event(parse_event(raw)))  # the worker would send it ...
    assert allows(restricted, facts_of_raw(raw))  # ... so the request must not drop it
    assert getattr(facts_of_raw(raw), where) == getattr(facts_of_event(parse_event(raw)), where)


def test_families_are_the_family_of_the_consumers_mapping():
    video = next(name for name in mapped_events("xapi") if mapping_for("xapi", name).family == "video")
    assert passes(facts(name=video), families=["video"])
    assert not passes(facts(name=video), families=["enrollment"])
    assert not passes(facts(name=video), exclude_families=["video"])
    assert allows(consumer("caliper", families=["video"]), facts(name=video)) == \
        (mapping_for("caliper", video) is not None and mapping_for("caliper", video).family == "video")
    # Every mapped event belongs to a family that restricts it, for both protocols.
    for protocol in ("xapi", "caliper"):
        for name in mapped_events(protocol):
            family = mapping_for(protocol, name).family
            assert family, name
            assert allows(consumer(protocol, families=[family]), facts(name=name)), name
            assert not allows(consumer(protocol, exclude_families=[family]), facts(name=name)), name


def test_unmapped_events_never_pass_whatever_the_restrictions_say():
    assert not passes(facts(name="edx.ui.lms.link_clicked.not_mapped"))
    assert not passes(facts(name="edx.ui.lms.link_clicked.not_mapped"), events=["*"])
    assert not allows(consumer(), Facts(name=None))


def test_consumers_for_keeps_the_order_and_picks_only_the_allowed():
    everything = consumer()
    demo = from_settings({"name": "demo", "url": "https://x.example.com/", "auth": {"username": "u"},
                          "courses": [DEMO]})
    nobody = from_settings({"name": "nobody", "url": "https://x.example.com/", "auth": {"username": "u"},
                            "users": []})
    assert [c.name for c in consumers_for(facts(), [everything, demo, nobody])] == ["c", "demo"]
    assert [c.name for c in consumers_for(facts(course_id="course-v1:Other+X+1"), [nobody, demo, everything])] \
        == ["c"]


def test_restrictions_from_settings_and_the_database_agree(db):
    from openedx_xapi.consumers import from_model
    from openedx_xapi.models import Consumer
    declared = {"courses": [DEMO], "exclude_users": [13], "events": ["edx.course.*"]}
    row = Consumer(name="db", url="https://x.example.com/", username="u", restrictions=declared)
    for config in (from_model(row), consumer(**declared)):
        assert config.restrictions.as_dict() == declared
        assert allows(config, facts())
        assert not allows(config, facts(user_id=13))
        assert not allows(config, facts(name=VIDEO))


def test_describe_says_what_is_restricted():
    assert Restrictions.from_mapping({}).describe() == "everything"
    text = Restrictions.from_mapping({"courses": [DEMO], "orgs": [], "exclude_users": [1, 2]}).describe()
    assert "only 1 courses" in text and "no orgs (nothing passes)" in text and "exclude users: 2" in text


# --- settings errors ----------------------------------------------------------------------

@pytest.mark.parametrize("declared, message", [
    ({"courses": DEMO}, "'courses' must be a list"),
    ({"exclude_orgs": "edX"}, "'exclude_orgs' must be a list"),
    ({"events": {"edx.video.*": True}}, "'events' must be a list"),
    ({"users": ["12"]}, "'users' lists user ids"),
    ({"exclude_users": [True]}, "'exclude_users' lists user ids"),
    ({"users": [1.5]}, "'users' lists user ids"),
    ({"courses": [""]}, "'courses' lists non-empty strings"),
    ({"sites": [443]}, "'sites' lists non-empty strings"),
    ({"families": [None]}, "'families' lists non-empty strings"),
    ({"course": [DEMO]}, "unknown"),
    ({"include_courses": [DEMO]}, "unknown"),
])
def test_bad_restrictions_say_what_to_fix(declared, message):
    with pytest.raises(RestrictionError, match=message):
        Restrictions.from_mapping(declared)
    with pytest.raises(ConsumerConfigError, match=message if "unknown" not in message else "unknown keys"):
        consumer(**declared)


def test_restrictions_must_be_an_object():
    with pytest.raises(RestrictionError, match="JSON object"):
        Restrictions.from_mapping(["courses"])


def test_every_key_is_accepted_from_settings():
    values = {"courses": [DEMO], "orgs": ["edX"], "sites": ["lms.example.com"], "users": [12],
              "events": ["edx.*"], "families": ["enrollment"]}
    declared = {**values, **{f"exclude_{kind}": [] for kind in KINDS}}
    assert set(declared) == set(KEYS)
    config = consumer(**declared)
    assert config.restrictions.as_dict() == declared
    assert allows(config, Facts(ENROLLED, DEMO, "edX", "lms.example.com", 12))


# --- the property: request filter == worker filter == the rules -------------------------

COURSES = {  # course id -> its org
    "course-v1:edX+DemoX+Demo_Course": "edX",
    "course-v1:OrgB+Chem+2024": "OrgB",
    "course-v1:edX+Other+2025": "edX",
    "OrgC/Old/2013": "OrgC",
}
ORGS = ["edX", "OrgB", "OrgC", "OrgD"]
HOSTS = ["lms.example.com", "lms.example.com:8000", "other.example.org", "localhost:18000"]
SITE_VALUES = ["lms.example.com", "lms.example.com:8000", "other.example.org", "localhost", "localhost:18000",
               "nowhere.example.net"]
USERS = [3, 12, 17, 99]
XAPI_NAMES = mapped_events("xapi")
CALIPER_NAMES = mapped_events("caliper")
ALL_NAMES = sorted(set(XAPI_NAMES) | set(CALIPER_NAMES))
FAMILIES = sorted({mapping_for(p, n).family for p, names in (("xapi", XAPI_NAMES), ("caliper", CALIPER_NAMES))
                   for n in names}) + ["no-such-family"]
EVENT_PATTERNS = ["edx.video.*", "edx.course.enrollment.*", "*.completed", "edx.forum.*", "edx.grades.*",
                  "?dx.course.enrollment.activated", "*", "no.such.event"]
UNMAPPED = "edx.ui.lms.not_a_mapped_event"


def _restriction_values(kind):
    pools = {
        "courses": st.sampled_from(sorted(COURSES) + ["course-v1:Nobody+X+1"]),
        "orgs": st.sampled_from(ORGS),
        "sites": st.sampled_from(SITE_VALUES),
        "users": st.sampled_from(USERS + [1000]),
        "events": st.one_of(st.sampled_from(EVENT_PATTERNS), st.sampled_from(ALL_NAMES)),
        "families": st.sampled_from(FAMILIES),
    }
    return st.lists(pools[kind.removeprefix("exclude_")], max_size=4)


# A few kinds per consumer (each with a short list, sometimes empty), so that events pass
# often enough for the property to check both ways.
restriction_sets = st.lists(st.sampled_from(KEYS), max_size=4, unique=True).flatmap(
    lambda keys: st.fixed_dictionaries({key: _restriction_values(key) for key in keys}))

consumer_declarations = st.lists(
    st.tuples(st.sampled_from(["xapi", "caliper"]), restriction_sets), min_size=1, max_size=4)


def make_event(pick):
    """One event as event-tracking hands it to the backend, and the truth about it; ``pick(options)``
    makes each choice (Hypothesis draws, or a seeded random generator)."""
    name = pick(ALL_NAMES + [UNMAPPED])
    raw = copy.deepcopy(sample_for(name) or sample_for(ENROLLED))
    raw["name"] = name
    context, data = raw.setdefault("context", {}), raw.setdefault("data", {})
    if not isinstance(data, dict):  # a payload that is not an object holds no course or user
        data = {}
    for key in ("course_id", "org_id", "user_id", "host"):
        context.pop(key, None)
    data.pop("course_id", None)
    data.pop("user_id", None)
    course = pick([None] + sorted(COURSES))
    if course is not None:
        where = pick(["context", "context and data", "data"])
        if "context" in where:
            context["course_id"] = course
        if "data" in where:
            data["course_id"] = course
    org = pick([None] + ORGS)
    if org is not None:
        context["org_id"] = org
    user = pick([None] + USERS)
    if user is not None:
        where = pick(["context", "context as text", "context and data", "data"])
        if "context" in where:
            context["user_id"] = str(user) if where == "context as text" else user
        if "data" in where:
            data["user_id"] = user
    host = pick([None] + HOSTS)
    if host is not None:
        context["host"] = host
    truth = {"name": name, "course": course, "org": org or (COURSES[course] if course else None),
             "site": host, "user": user}
    return raw, truth


@st.composite
def source_events(draw):
    return make_event(lambda options: draw(st.sampled_from(options)))


def oracle(protocol, declared, truth):
    """Should a consumer of ``protocol`` with these restrictions receive this event? From the rules only."""
    mapped = XAPI_NAMES if protocol == "xapi" else CALIPER_NAMES
    if truth["name"] not in mapped:
        return False
    family = mapping_for(protocol, truth["name"]).family
    values = {"courses": truth["course"], "orgs": truth["org"], "sites": truth["site"], "users": truth["user"],
              "events": truth["name"], "families": family}

    def listed(kind, value, values_listed):
        if value is None:
            return False
        if kind == "events":
            return any(fnmatch.fnmatchcase(value, pattern) for pattern in values_listed)
        if kind == "sites":
            return any(value == site or value.partition(":")[0] == site for site in values_listed)
        return value in values_listed

    for kind in ("courses", "orgs", "sites", "users", "events", "families"):
        if listed(kind, values[kind], declared.get(f"exclude_{kind}") or ()):
            return False
    for kind in ("courses", "orgs", "sites", "users", "events", "families"):
        if kind in declared and not listed(kind, values[kind], declared[kind]):
            return False
    return True


def build_consumers(declarations):
    built = []
    for index, (protocol, restrictions) in enumerate(declarations):
        base = {"name": f"consumer-{index}", "protocol": protocol, "url": "https://endpoint.example.com/x/"}
        base["auth"] = {"type": "bearer", "token": "t"} if protocol == "caliper" else {"username": "u"}
        built.append((from_settings({**base, **restrictions}), protocol, restrictions))
    return built


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(declarations=consumer_declarations, stream=st.lists(source_events(), min_size=1, max_size=25))
def test_every_consumer_gets_exactly_what_its_restrictions_allow(declarations, stream):
    built = build_consumers(declarations)
    configs = [config for config, _, _ in built]
    for raw, truth in stream:
        expected = [config.name for config, protocol, declared in built if oracle(protocol, declared, truth)]
        # (a) in the LMS request, on the raw event
        in_request = [config.name for config in consumers_for(facts_of_raw(raw), configs)]
        assert in_request == expected, (truth, raw["context"], raw.get("data"))
        # (b) in the worker, on the event as the backend serialised it and the worker parsed it
        payload = orjson.dumps(raw, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
        worker_facts = facts_of_event(parse_event(payload))
        in_worker = [config.name for config in configs if allows(config, worker_facts)]
        assert in_worker == expected, (truth, raw["context"], raw.get("data"))


def test_the_oracle_can_say_no_and_yes():
    """The property above is not vacuous: the oracle disagrees with a filter that lets all through."""
    truth = {"name": ENROLLED, "course": DEMO, "org": "edX", "site": "lms.example.com:8000", "user": 12}
    assert oracle("xapi", {}, truth)
    assert oracle("xapi", {"sites": ["lms.example.com"]}, truth)
    assert not oracle("xapi", {"sites": ["lms.example.com:9"]}, truth)
    assert not oracle("xapi", {"courses": []}, truth)
    assert not oracle("caliper", {"exclude_events": ["edx.course.*"]}, truth)
    assert not oracle("xapi", {"users": [12]}, {**truth, "user": None})
    assert not oracle("xapi", {}, {**truth, "name": UNMAPPED})


# --- the same, on the real backend and the real broker, with consumers from settings ------

DECLARED = [
    ("xapi", {"courses": ["course-v1:edX+DemoX+Demo_Course"]}),
    ("xapi", {"orgs": ["OrgB"], "exclude_events": ["edx.course.enrollment.deactivated", "edx.video.*"]}),
    ("caliper", {"sites": ["lms.example.com"], "users": [12, 17]}),
    ("xapi", {"events": ["edx.video.*", "problem_*"], "exclude_users": [3]}),
    ("caliper", {"families": ["enrollment", "video", "forums"], "exclude_orgs": ["OrgC"]}),
    ("xapi", {"users": []}),
    ("xapi", {}),
]


@pytest.mark.django_db
def test_the_backend_queues_each_event_for_exactly_the_consumers_the_worker_will_serve(use_consumers, flush_redis):
    import random

    from openedx_xapi import consumers
    from openedx_xapi.backend import EventTrackingBackend

    built = build_consumers(DECLARED)
    use_consumers(*[{"name": config.name, "protocol": protocol, "url": config.url,
                     "auth": {"type": "bearer", "token": "t"} if protocol == "caliper" else {"username": "u"},
                     **declared} for config, protocol, declared in built])
    backend = EventTrackingBackend()
    rng = random.Random(20240517)
    served = Counter()
    for _ in range(300):
        raw, truth = make_event(rng.choice)
        expected = [config.name for config, protocol, declared in built if oracle(protocol, declared, truth)]
        backend.send(copy.deepcopy(raw))
        entries = flush_redis.xrange("openedx_xapi:events")
        flush_redis.delete("openedx_xapi:events")
        if not expected:
            assert entries == [], truth
            continue
        [(_entry_id, fields)] = entries
        payload, names = fields[b"e"].decode(), fields[b"c"].decode().split(",")
        facts = facts_of_event(parse_event(payload))  # what the worker does with it
        in_worker = [n for n in names if consumers.get_consumer(n) and allows(consumers.get_consumer(n), facts)]
        assert (names, in_worker) == (expected, expected), truth
        served.update(expected)
    assert set(served) == {config.name for config, _, _ in built} - {"consumer-5"}  # every kind let some through


# --- the property through the real pipeline: what each consumer's endpoint receives -----------

class _Endpoints:
    """One HTTP server on 127.0.0.1 standing for every consumer's endpoint (one path each):
    records what each is POSTed, and accepts it."""

    def __init__(self):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        self.received = {}  # path -> [document, ...]
        lock = threading.Lock()
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = orjson.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                documents = body["data"] if isinstance(body, dict) else body  # a Caliper envelope, or statements
                with lock:
                    received.setdefault(self.path, []).extend(documents)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"[]")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def endpoints():
    found = _Endpoints()
    yield found
    found.close()


BASE_TIME = "2024-03-01T00:00:00+00:00"


def _index_of(document):
    """Which event of the stream a document was made from: its time says (event i is at BASE + i s)."""
    from datetime import datetime
    when = document.get("timestamp") or document.get("eventTime")
    return round((datetime.fromisoformat(when.replace("Z", "+00:00")) -
                  datetime.fromisoformat(BASE_TIME)).total_seconds())


_pipeline_totals = Counter()


@pytest.mark.django_db
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(declarations=consumer_declarations, stream=st.lists(source_events(), min_size=1, max_size=12))
def test_through_the_pipeline_each_endpoint_receives_exactly_what_its_restrictions_allow(
        declarations, stream, endpoints, use_consumers, flush_redis):
    """Random consumers with random restrictions, random events emitted to the real backend:
    into the real Redis stream, routed by the workers' code (``stream.items_of``,
    ``tasks.route_batch``: filter, translate, validate, deliver over HTTP). Each endpoint
    receives a document of every event its restrictions allow (and the translator can
    translate for it), and of no other."""
    from datetime import datetime, timedelta

    from openedx_xapi import consumers
    from openedx_xapi.backend import EventTrackingBackend
    from openedx_xapi.pipeline import Rejected, Skipped, documents_for
    from openedx_xapi.router import stream as worker_stream
    from openedx_xapi.router.tasks import context_for, route_batch

    declared = []
    for index, (protocol, restrictions) in enumerate(declarations):
        declared.append({"name": f"consumer-{index}", "protocol": protocol,
                         "url": f"{endpoints.base}/consumer-{index}/",
                         "auth": {"type": "bearer", "token": "t0ken"} if protocol == "caliper" else {"username": "u"},
                         **restrictions})
    use_consumers(*declared)
    endpoints.received.clear()
    flush_redis.delete("openedx_xapi:events")

    base = datetime.fromisoformat(BASE_TIME)
    events = []
    for index, (raw, truth) in enumerate(stream):
        raw = copy.deepcopy(raw)
        raw["timestamp"] = (base + timedelta(seconds=index)).isoformat()
        events.append((raw, truth))
        EventTrackingBackend().send(copy.deepcopy(raw))
    route_batch(worker_stream.items_of(flush_redis.xrange("openedx_xapi:events")))

    for declaration, (protocol, restrictions) in zip(declared, declarations, strict=True):
        consumer = consumers.get_consumer(declaration["name"])
        expected = set()
        for index, (raw, truth) in enumerate(events):
            if not oracle(protocol, restrictions, truth):
                continue
            _pipeline_totals["allowed"] += 1
            try:  # the translator's own verdict, which is not the filter's business
                documents_for(parse_event(copy.deepcopy(raw)), protocol, context_for(consumer))
            except (Skipped, Rejected):
                _pipeline_totals["allowed but not translatable"] += 1
                continue
            expected.add(index)
        path = "/" + declaration["name"] + ("/" if protocol == "caliper" else "/statements")
        received = {_index_of(document) for document in endpoints.received.get(path, [])}
        assert received == expected, (declaration, [truth for _, truth in events])
        _pipeline_totals["received"] += len(received)
        _pipeline_totals["filtered out"] += sum(1 for _, truth in events if not oracle(protocol, restrictions, truth))


@pytest.mark.django_db
def test_the_pipeline_property_is_not_vacuous(endpoints, use_consumers, flush_redis):
    """The property's examples deliver many events and hold many others back, so both of its
    halves are exercised (and the translator's verdict excuses few allowed events)."""
    _pipeline_totals.clear()
    test_through_the_pipeline_each_endpoint_receives_exactly_what_its_restrictions_allow(
        endpoints=endpoints, use_consumers=use_consumers, flush_redis=flush_redis)
    assert _pipeline_totals["received"] >= 20, _pipeline_totals
    assert _pipeline_totals["filtered out"] >= 20, _pipeline_totals
    assert _pipeline_totals["allowed but not translatable"] <= _pipeline_totals["allowed"] / 2, _pipeline_totals
