"""How the learner appears to a consumer: each identity mode, for xAPI and Caliper, with
learners in the LMS's user table, through the whole pipeline (``documents_for``)."""
import copy
import hashlib
import uuid

import pytest
from ralph.models.xapi.base.statements import BaseXapiStatement

from openedx_xapi.events import parse_event
from openedx_xapi.identity import HmacActorIds, StoredActorIds
from openedx_xapi.models import ActorId
from openedx_xapi.pipeline import Rejected, documents_for
from openedx_xapi.translator import TranslationContext
from openedx_xapi.translator.registry import sample_for
from openedx_xapi.validator import validate_event, validate_statement

from .conftest import COURSE, LMS, enrollment_event

OTHER_COURSE = "course-v1:OrgB+Chem+2024"
SECRET = "an-hmac-secret-of-some-length"
OTHER_SECRET = "another-hmac-secret-value"
# A few families beside enrollment, so the frame is checked on more than one mapping.
SAMPLE_NAMES = ["edx.video.played", "problem_check", "edx.completion.block_completion.changed",
                "edx.forum.thread.created", "edx.bookmark.added", "edx.grades.course.grade_calculated"]


def context(identity="anonymous", secret="", pii=(), actor_ids=None):
    return TranslationContext(lms_root_url=LMS, actor_ids=actor_ids or StoredActorIds(), identity=identity,
                              identity_secret=secret, pii=frozenset(pii))


def event_of(learner, name="edx.course.enrollment.activated", course_id=COURSE, with_username=True, **context_):
    raw = enrollment_event(name, user_id=learner.id, course_id=course_id, **context_)
    raw["context"]["username"] = learner.username if with_username else ""
    return parse_event(raw)


def sample_of(learner, name):
    raw = copy.deepcopy(sample_for(name))
    assert raw is not None, name
    raw["context"].update(user_id=learner.id, username=learner.username)
    if isinstance(raw.get("data"), dict) and "user_id" in raw["data"]:
        raw["data"]["user_id"] = learner.id
    return parse_event(raw)


def valid_documents(event, protocol, ctx):
    documents = documents_for(event, protocol, ctx)
    assert documents
    for document in documents:
        if protocol == "xapi":
            assert validate_statement(document, ctx.xapi_version) == []
            BaseXapiStatement(**document)  # Ralph's model of a valid statement
        else:
            assert validate_event(document) == []
    return documents


def one(event, protocol, ctx):
    [document] = valid_documents(event, protocol, ctx)
    return document


def xapi_actor(learner, ctx, **kwargs):
    return one(event_of(learner, **kwargs), "xapi", ctx)["actor"]


def caliper_actor(learner, ctx, **kwargs):
    return one(event_of(learner, **kwargs), "caliper", ctx)["actor"]


@pytest.fixture
def ada(make_learner):
    return make_learner("learner-ada", email="ada.lovelace@example.org")


@pytest.fixture
def alan(make_learner):
    return make_learner("learner-alan", email="alan.turing@example.net")


# --- anonymous ------------------------------------------------------------------------------

def test_anonymous_is_a_stored_uuid_stable_per_protocol(ada, alan):
    ctx = context()
    agent = xapi_actor(ada, ctx)
    assert set(agent) == {"objectType", "account"} and agent["account"]["homePage"] == LMS
    name = agent["account"]["name"]
    assert str(uuid.UUID(name)) == name
    assert name == str(ActorId.objects.get(user_id=ada.id, kind="xapi").anonymous_id)
    person = caliper_actor(ada, ctx)
    caliper_key = str(ActorId.objects.get(user_id=ada.id, kind="caliper").anonymous_id)
    assert person == {"id": f"{LMS}/user/{caliper_key}", "type": "Person"}
    assert caliper_key != name  # xAPI and Caliper consumers cannot join their records

    # Stable: another event, another resolver (a fresh process), another course.
    assert xapi_actor(ada, context(), name="edx.course.enrollment.deactivated") == agent
    assert xapi_actor(ada, context(), course_id=OTHER_COURSE) == agent
    assert caliper_actor(ada, context()) == person
    assert xapi_actor(alan, ctx)["account"]["name"] != name
    assert ActorId.objects.filter(user_id=ada.id).count() == 2


def test_a_learner_named_only_by_username_has_the_same_anonymous_actor(ada):
    raw = enrollment_event(user_id=None, username=ada.username)
    raw["data"].pop("user_id")
    by_username = one(parse_event(raw), "xapi", context())
    assert by_username["actor"] == xapi_actor(ada, context())


# --- hmac -----------------------------------------------------------------------------------

def test_hmac_is_stable_needs_no_database_and_changes_with_the_secret(ada, alan, django_assert_num_queries):
    ctx = context("hmac", SECRET)
    with django_assert_num_queries(0):
        agent = xapi_actor(ada, ctx)
        again = xapi_actor(ada, context("hmac", SECRET), name="edx.course.enrollment.deactivated")
        person = caliper_actor(ada, ctx)
        other_secret = xapi_actor(ada, context("hmac", OTHER_SECRET))
        other_learner = xapi_actor(alan, ctx)
    name = agent["account"]["name"]
    assert str(uuid.UUID(name)) == name and agent["account"]["homePage"] == LMS
    assert again == agent
    assert person["id"].startswith(f"{LMS}/user/") and person["id"].rsplit("/", 1)[1] != name
    assert other_secret["account"]["name"] != name
    assert other_learner["account"]["name"] != name
    assert not ActorId.objects.exists()  # nothing stored
    assert name != xapi_actor(ada, context())["account"]["name"]  # not the stored anonymous id
    # The same secret gives the same id outside the LMS (the command line's resolver).
    assert xapi_actor(ada, context("hmac", SECRET, actor_ids=HmacActorIds("unrelated-key")))["account"] == \
        agent["account"]


# --- mbox, mbox_sha1sum, username --------------------------------------------------------

def test_mbox_is_the_email_address(ada):
    ctx = context("mbox", pii=["email"])
    assert xapi_actor(ada, ctx) == {"objectType": "Agent", "mbox": "mailto:ada.lovelace@example.org"}
    assert caliper_actor(ada, ctx) == {"id": "mailto:ada.lovelace@example.org", "type": "Person"}


def test_mbox_sha1sum_is_the_sha1_of_the_mailto_iri(ada):
    digest = hashlib.sha1(b"mailto:ada.lovelace@example.org").hexdigest()
    ctx = context("mbox_sha1sum")
    assert xapi_actor(ada, ctx) == {"objectType": "Agent", "mbox_sha1sum": digest}
    assert caliper_actor(ada, ctx) == {"id": f"{LMS}/user/{digest}", "type": "Person"}
    assert "ada.lovelace" not in str(one(event_of(ada), "xapi", ctx))


def test_username_is_an_account_named_after_the_learner(ada):
    ctx = context("username", pii=["username"])
    assert xapi_actor(ada, ctx) == {"objectType": "Agent", "account": {"homePage": LMS, "name": "learner-ada"}}
    assert caliper_actor(ada, ctx) == {"id": f"{LMS}/user/learner-ada", "type": "Person"}
    # Found in the user table when the event gives only the user id.
    assert xapi_actor(ada, ctx, with_username=False)["account"]["name"] == "learner-ada"


def test_a_username_is_quoted_in_the_caliper_iri(make_learner):
    odd = make_learner("odd user+name@x")
    person = caliper_actor(odd, context("username", pii=["username"]))
    assert person["id"] == f"{LMS}/user/odd%20user%2Bname%40x"


@pytest.mark.parametrize("identity, pii", [("anonymous", ()), ("hmac", ()), ("mbox", ["email"]),
                                           ("mbox_sha1sum", ()), ("username", ["username"])])
@pytest.mark.parametrize("protocol", ["xapi", "caliper"])
def test_every_identity_gives_valid_documents_for_other_families(identity, pii, protocol, ada):
    ctx = context(identity, SECRET if identity == "hmac" else "", pii)
    learners = set()
    for name in SAMPLE_NAMES:
        for document in valid_documents(sample_of(ada, name), protocol, ctx):
            learners.add(repr(the_learner_in(document)))
    assert len(learners) == 1  # one learner, named the same way, whatever the event


def the_learner_in(document):
    """The actor; in a Caliper event the LMS graded (Grading Profile: the SoftwareApplication is
    the actor of auto-graded scenarios), the graded Attempt's assignee."""
    if document.get("actor", {}).get("type") == "SoftwareApplication":
        assert document["type"] == "GradeEvent" and document["actor"]["id"] == LMS
        return document["object"]["assignee"]
    return document["actor"]


# --- registration ---------------------------------------------------------------------------

@pytest.mark.parametrize("identity, secret, pii", [("anonymous", "", ()), ("hmac", SECRET, ()),
                                                   ("mbox", "", ["email"]), ("mbox_sha1sum", "", ()),
                                                   ("username", "", ["username"])])
def test_registration_is_stable_per_learner_and_course(identity, secret, pii, ada, alan):
    ctx = context(identity, secret, pii)

    def registration(learner, **kwargs):
        return one(event_of(learner, **kwargs), "xapi", ctx)["context"]["registration"]

    first = registration(ada)
    assert str(uuid.UUID(first)) == first
    assert registration(ada, name="edx.course.enrollment.deactivated") == first
    assert one(sample_of(ada, "edx.video.played"), "xapi", ctx)["context"]["registration"] == first
    assert registration(ada, course_id=OTHER_COURSE) != first
    assert registration(alan) != first
    assert ada.username not in first and "ada.lovelace" not in first


def test_registration_differs_between_identities(ada):
    registrations = {one(event_of(ada), "xapi", context(identity, secret, pii))["context"]["registration"]
                     for identity, secret, pii in [("anonymous", "", ()), ("hmac", SECRET, ()),
                                                   ("mbox_sha1sum", "", ()), ("username", "", ["username"])]}
    assert len(registrations) == 4


# --- refusals -------------------------------------------------------------------------------

def test_without_the_lms_database_mbox_is_rejected_with_a_reason(ada):
    ctx = context("mbox", pii=["email"], actor_ids=HmacActorIds("cli-secret-value"))
    for protocol in ("xapi", "caliper"):
        with pytest.raises(Rejected) as rejected:
            documents_for(event_of(ada), protocol, ctx)
        assert rejected.value.stage == "untranslatable"
        assert "email" in rejected.value.reason


def test_a_learner_without_an_email_address_is_rejected_under_mbox(make_learner):
    nomail = make_learner("learner-nomail", email="")
    for identity in ("mbox", "mbox_sha1sum"):
        ctx = context(identity, pii=["email"])
        for protocol in ("xapi", "caliper"):
            with pytest.raises(Rejected) as rejected:
                documents_for(event_of(nomail), protocol, ctx)
            assert rejected.value.stage == "untranslatable"
            assert rejected.value.reason == "the learner's email address is unknown"


def test_an_unknown_learner_is_rejected_under_the_username_identity(db):
    raw = enrollment_event(user_id=987654, username="")
    with pytest.raises(Rejected, match="username is unknown"):
        documents_for(parse_event(raw), "xapi", context("username", pii=["username"]))


@pytest.mark.django_db
def test_a_batch_of_learners_gets_its_anonymous_ids_in_a_few_queries(django_assert_max_num_queries):
    existing = ActorId.objects.create(user_id=7, kind="xapi")
    ids = StoredActorIds()
    with django_assert_max_num_queries(3):
        ids.prefetch(range(1, 51), "xapi")
    events = {user: parse_event(enrollment_event(user_id=user)) for user in range(1, 51)}
    with django_assert_max_num_queries(0):
        found = {user: ids.actor_id(event, "xapi") for user, event in events.items()}
    assert found[7] == str(existing.anonymous_id)  # an id already given out is kept
    assert len(set(found.values())) == 50 and ActorId.objects.filter(kind="xapi").count() == 50
    # Another process (no cache) finds the same ids, one by one or in bulk.
    assert StoredActorIds().actor_id(events[33], "xapi") == found[33]
    fresh = StoredActorIds()
    fresh.prefetch([12, 40], "xapi")
    assert fresh.actor_id(events[40], "xapi") == found[40]
    assert ActorId.objects.filter(kind="caliper").count() == 0  # per protocol


# --- guests -----------------------------------------------------------------------------------

def guest(session="visit-42"):
    raw = enrollment_event(user_id=None, username="", session=session)
    raw["data"].pop("user_id")
    return parse_event(raw)


@pytest.mark.parametrize("protocol", ["xapi", "caliper"])
@pytest.mark.parametrize("identity, secret, pii", [("anonymous", "", ()), ("hmac", SECRET, ()),
                                                   ("username", "", ["username"]), ("mbox", "", ["email"])])
def test_guests_are_dropped_unless_the_consumer_asks_and_then_are_one_actor_per_visit(
        protocol, identity, secret, pii, db):
    from dataclasses import replace

    from openedx_xapi.pipeline import Skipped
    ctx = context(identity, secret, pii)
    assert ctx.guests is False  # the default
    with pytest.raises(Skipped, match="guest"):
        documents_for(guest(), protocol, ctx)
    ctx = replace(ctx, guests=True)
    first = one(guest(), protocol, ctx)["actor"]
    assert one(guest(), protocol, ctx)["actor"] == first  # the same visit: the same actor
    assert one(guest("another-visit"), protocol, ctx)["actor"] != first  # another visit: another actor
    assert "visit-42" not in str(one(guest(), protocol, ctx))  # the session id itself never leaves
    assert not ActorId.objects.exists()  # nothing stored about a guest
    with pytest.raises(Rejected, match="session"):  # no session: no actor to give
        documents_for(guest(session=""), protocol, ctx)
