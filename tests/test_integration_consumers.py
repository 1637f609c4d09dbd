"""Two consumers on two real Ralph LRSs, with different restrictions and identities, fed by
one real Celery worker from events emitted through event-tracking: each LRS holds exactly
its share, and the same learner is someone else in each."""
import hashlib
import hmac
import json
import uuid
from collections import Counter

import pytest
from eventtracking import tracker
from ralph.models.xapi.base.statements import BaseXapiStatement

from openedx_xapi.models import ActorId, Rejection
from openedx_xapi.validator import validate_statement
from sandbox.services import start_ralph

from .test_integration import wait_for_statements, xapi_consumer

pytestmark = [pytest.mark.integration]

LMS = "http://localhost:18000"
COURSE_A = "course-v1:edX+DemoX+Demo_Course"
COURSE_B = "course-v1:OrgB+Chem+2024"
COURSE_C = "course-v1:OrgC+Other+2024"
SECRET = "an-hmac-secret-of-some-length"
ACTIVATED, DEACTIVATED, MODE_CHANGED = ("edx.course.enrollment.activated", "edx.course.enrollment.deactivated",
                                        "edx.course.enrollment.mode_changed")
VERBS = {ACTIVATED: "http://adlnet.gov/expapi/verbs/registered",
         MODE_CHANGED: "http://adlnet.gov/expapi/verbs/registered",
         DEACTIVATED: "http://id.tincanapi.com/verb/unregistered"}

# (event, course, users, org_id in the context or None to leave it out)
STREAM = [
    (ACTIVATED, COURSE_A, range(1, 5), "edX"),
    (ACTIVATED, COURSE_B, range(1, 6), "OrgB"),
    (DEACTIVATED, COURSE_A, range(1, 4), "edX"),
    (DEACTIVATED, COURSE_B, range(1, 3), "OrgB"),  # OrgB, but B excludes deactivations
    (ACTIVATED, COURSE_C, range(1, 3), "OrgC"),  # nobody's
    (MODE_CHANGED, COURSE_B, range(1, 2), None),  # the org comes from the course id
]
# Consumer A: only course A. Consumer B: only OrgB, never a deactivation.
SHARE_A = [(name, course, user) for name, course, users, _ in STREAM for user in users if course == COURSE_A]
SHARE_B = [(name, course, user) for name, course, users, _ in STREAM for user in users
           if course == COURSE_B and name != DEACTIVATED]


def emit(stream):
    for name, course_id, users, org_id in stream:
        for user_id in users:
            context = {"course_id": course_id, "user_id": user_id, "username": f"learner{user_id}",
                       "session": f"session-{user_id}", "ip": "10.1.2.3", "host": "lms.example.com"}
            if org_id:
                context["org_id"] = org_id
            with tracker.get_tracker().context("request", context):
                tracker.emit(name, {"course_id": course_id, "user_id": user_id, "mode": "verified"})


def hmac_actor(secret, user_id):
    """The "hmac" identity, from its definition: HMAC-SHA256 of "xapi:<user id>", as a UUID4."""
    digest = hmac.new(secret.encode(), f"xapi:{user_id}".encode(), hashlib.sha256).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


@pytest.fixture
def two_lrs(tmp_path):
    with start_ralph(tmp_path / "a") as first, start_ralph(tmp_path / "b", password="second-lrs-password") as second:
        yield first, second


def test_two_consumers_each_get_exactly_their_share_with_their_own_identity(
        two_lrs, use_consumers, celery_worker_factory, flush_redis, pii_scan):
    lrs_a, lrs_b = two_lrs
    pii_scan.sensitive.add("password", "second-lrs-password")
    use_consumers({**xapi_consumer(lrs_a), "name": "lrs-a", "courses": [COURSE_A]},
                  {**xapi_consumer(lrs_b), "name": "lrs-b", "orgs": ["OrgB"], "exclude_events": [DEACTIVATED],
                   "identity": {"type": "hmac", "secret": SECRET}})
    celery_worker_factory()
    emit(STREAM)

    in_a = wait_for_statements(lrs_a, len(SHARE_A))
    in_b = wait_for_statements(lrs_b, len(SHARE_B))

    for statements in (in_a, in_b):
        for statement in statements:
            assert validate_statement(statement) == [], statement
            BaseXapiStatement(**statement)
        text = json.dumps(statements)
        assert "learner" not in text and "10.1.2.3" not in text and "session-" not in text

    # Learner n's anonymous id in A is the stored one; in B, the HMAC of their user id.
    stored = {row.user_id: str(row.anonymous_id) for row in ActorId.objects.filter(kind="xapi")}
    user_a = {name: user for user, name in stored.items()}
    user_b = {hmac_actor(SECRET, user): user for user in range(1, 6)}

    def received(statements, users_by_actor):
        got = Counter()
        for s in statements:
            assert s["actor"]["account"]["homePage"] == LMS
            course = s["object"]["id"].removeprefix(f"{LMS}/course/")
            got[(s["verb"]["id"], course, users_by_actor.get(s["actor"]["account"]["name"]))] += 1
        return got

    def expected(share):
        return Counter((VERBS[name], course, user) for name, course, user in share)

    assert received(in_a, user_a) == expected(SHARE_A)
    assert received(in_b, user_b) == expected(SHARE_B)
    assert len({s["id"] for s in in_a + in_b}) == len(SHARE_A) + len(SHARE_B)

    # The same learner (user 1 is in both shares) is two unrelated actors.
    actor_a = {s["actor"]["account"]["name"] for s in in_a if user_a.get(s["actor"]["account"]["name"]) == 1}
    actor_b = {s["actor"]["account"]["name"] for s in in_b if user_b.get(s["actor"]["account"]["name"]) == 1}
    assert len(actor_a) == 1 and len(actor_b) == 1 and actor_a != actor_b
    assert not set(stored.values()) & set(user_b)  # B's ids are none of the stored ones
    assert not Rejection.objects.exists()
