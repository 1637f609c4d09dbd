"""Discussion forums: learners post threads, responses and comments, edit, delete, vote
for, report, view, close and endorse them, and search the forum.

================================ ============== =========================== ====================
Open edX event                   xAPI verb      Caliper type / action       object
================================ ============== =========================== ====================
edx.forum.thread.created         posted         MessageEvent Posted         the thread's post
edx.forum.response.created       posted         MessageEvent Posted         the response (in its
                                                                            thread)
edx.forum.comment.created        posted         MessageEvent Posted         the comment (a reply
                                                                            to a response)
edx.forum.{thread,response,      edited         Event Modified              the post
comment}.edited
edx.forum.{...}.deleted          deleted        Event Deleted               the post
edx.forum.{thread,response}      voted /        Event Liked / Disliked      the post
.voted                           unliked        (when the vote is undone)
edx.forum.{...}.reported         reported       Event Questioned            the post
edx.forum.{...}.unreported       unreported     Event Accepted              the post
edx.forum.thread.viewed          viewed         ViewEvent Viewed            the thread
edx.forum.thread.locked          closed         Event Deactivated           the thread
edx.forum.thread.unlocked        opened         Event Activated             the thread
edx.forum.response.mark          approved       Event Recommended           the response
edx.forum.response.unmark        retracted      Event Declined              the response
edx.forum.searched               searched       SearchEvent Searched        the course's forum
================================ ============== =========================== ====================

Object ids are the Discussion API's URLs, as event-routing-backends (ERB) builds them:
``<LMS>/api/discussion/v1/threads/<id>`` for a thread and
``<LMS>/api/discussion/v1/comments/<id>`` for a response or a comment; activity type
``http://id.tincanapi.com/activitytype/discussion``, named by the thread's title. A
reply's thread is in ``contextActivities.grouping`` (the course stays the ``parent``),
as ERB does; a comment's response and a team discussion's team are in ``other``.
The thread's kind, the vote and the mark go in ERB's ``.../acrossx/extensions/type``.

Learner content: the text of a new post is its ``result.response`` (Caliper: the
Message's ``body``). Other users are never named: ``target_username`` (the author of
the post acted on) is not read.

The platform emits a vote on a comment as ``edx.forum.response.voted``; there is no
``edx.forum.comment.voted``. Caliper has no action for reporting: a report questions
a post (Questioned), withdrawing it accepts the post again (Accepted); an endorsement
(mark) recommends a response, unmarking declines it. A thread's opening post is a
Message where a post is acted on, and the Thread where the thread as a whole is
(viewed, closed, reopened, and as ``isPartOf`` of its replies): the Discussion API
gives both the same URL.
"""
from openedx_xapi.translator import vocabulary as v
from openedx_xapi.translator.caliper import CaliperMapping
from openedx_xapi.translator.common import (
    TEAM_CONTEXT_FIELDS,
    activity,
    boolean,
    count,
    entity,
    path_segment,
    search_response,
    text,
)
from openedx_xapi.translator.families.teams import team_activity
from openedx_xapi.translator.mapping import Field, const
from openedx_xapi.translator.mappings import Either
from openedx_xapi.translator.registry import register
from openedx_xapi.translator.xapi import XapiMapping

FAMILY = "forums"

DIFFERENCES_FROM_ERB = {
    "edx.forum.thread.viewed": (
        "The object id is the thread's URL, <LMS>/api/discussion/v1/threads/<id>, as for every other thread "
        "event. ERB builds it from the request path (context.path), which for a thread viewed through the "
        "Discussion MFE is the comments endpoint: <LMS>/api/discussion/v1/comments/<id>, the id scheme of "
        "responses and comments, so views and posts of one thread did not meet."),
    "edx.forum.thread.voted": (
        "A vote undone (undo_vote: true) is 'unliked' (http://activitystrea.ms/schema/1.0/unlike), not "
        "'voted': ERB counts the withdrawal of a vote as one more vote. Votes themselves are as ERB."),
    "edx.forum.response.voted": "As edx.forum.thread.voted: an undone vote is 'unliked', not 'voted'.",
}


# --- ids and entities -----------------------------------------------------------------------

def thread_iri(thread_id, ctx):
    thread_id = path_segment(thread_id)
    return f"{ctx.lms_root_url}/api/discussion/v1/threads/{thread_id}" if thread_id else None


def comment_iri(comment_id, ctx):
    """A response or a comment (the Discussion API calls both comments)."""
    comment_id = path_segment(comment_id)
    return f"{ctx.lms_root_url}/api/discussion/v1/comments/{comment_id}" if comment_id else None


def forum_iri(event, ctx):
    """The course's discussion forum."""
    course = path_segment(event.course_id)
    return f"{ctx.lms_root_url}/api/discussion/v1/courses/{course}" if course else None


POST_IRI = {"thread": thread_iri, "response": comment_iri, "comment": comment_iri}


def _thread_iri(event, ctx):
    """The thread a reply belongs to (``data.discussion.id``)."""
    discussion = event.data.get("discussion")
    return thread_iri(discussion.get("id"), ctx) if isinstance(discussion, dict) else None


def _thread_grouping(event, ctx):
    """The thread a reply belongs to, as ERB's ``grouping``."""
    thread = activity(_thread_iri(event, ctx), v.DISCUSSION)
    return [thread] if thread else None


def _response_of(event, ctx):
    response = event.data.get("response")
    return comment_iri(response.get("id"), ctx) if isinstance(response, dict) else None


def _other_activities(event, ctx):
    """A comment's response and a team discussion's team."""
    response = activity(_response_of(event, ctx), v.DISCUSSION)
    activities = [response] if response else []
    team = team_activity(event.data.get("team_id"), ctx)
    if team:
        activities.append(team)
    return activities or None


def _thread_entity(event, ctx):
    return entity(_thread_iri(event, ctx), "Thread")


def _replied_message(event, ctx):
    return entity(_response_of(event, ctx), "Message")


def _forum_activity(event, ctx):
    return activity(forum_iri(event, ctx), v.DISCUSSION)


def _forum_entity(event, ctx):
    return entity(forum_iri(event, ctx), "Forum")


def _is_undone_vote(event):
    return boolean(event.data.get("undo_vote")) is True


# --- mapping tables -------------------------------------------------------------------------

def xapi_post_fields(kind):
    """xAPI fields of an event about one post of ``kind`` (thread, response, comment)."""
    return (
        # target                                       source               transform
        Field("object.objectType",                     const("Activity")),
        Field("object.id",                             "data.id",           POST_IRI[kind], required=True),
        Field("object.definition.type",                const(v.DISCUSSION)),
        Field("object.definition.name.en",             "data.title",        text),
        Field("context.contextActivities.grouping",    _thread_grouping),
        Field("context.contextActivities.other",       _other_activities),
    )


def caliper_post_fields(kind, entity_type="Message"):
    """Caliper fields of an event about one post: a Message, or for thread-wide events the Thread."""
    fields = (
        Field("object.id",                             "data.id",           POST_IRI[kind], required=True),
        Field("object.type",                           const(entity_type)),
        Field("object.name",                           "data.title",        text),
        Field("object.isPartOf",                       _thread_entity),
        Field("extensions.categoryId",                 "data.commentable_id", text),
        Field("extensions.teamId",                     "data.team_id",      text),
    )
    if entity_type == "Message":
        fields += (Field("object.replyTo",             _replied_message),)
    return fields


XAPI_BODY = (Field("result.response",                  "data.body",         text),)
CALIPER_BODY = (Field("object.body",                   "data.body",         text),)
XAPI_THREAD_TYPE = (Field(f"context.extensions[{v.EXT_TYPE}]", "data.thread_type", text),)
CALIPER_THREAD_TYPE = (Field("extensions.threadType",  "data.thread_type",  text),)
XAPI_VOTE = (Field(f"context.extensions[{v.EXT_TYPE}]",  "data.vote_value",   text),)
CALIPER_VOTE = (Field("extensions.voteValue",          "data.vote_value",   text),
                Field("extensions.undoVote",           "data.undo_vote",    boolean))
XAPI_MARK = (Field(f"context.extensions[{v.EXT_TYPE}]",  "data.mark_type",    text),)
CALIPER_MARK = (Field("extensions.markType",           "data.mark_type",    text),)
CALIPER_EDIT = (Field("extensions.editReason",         "data.edit_reason",  text),)
CALIPER_LOCK = (Field("extensions.lockReason",         "data.lock_reason",  text),)
CALIPER_UNREPORT = (Field("extensions.reportedStatusCleared", "data.reported_status_cleared", boolean),)

T, R, C = "thread", "response", "comment"
POSTED_MESSAGE, VIEWED_THREAD = ("MessageEvent", "Posted", "Message"), ("ViewEvent", "Viewed", "Thread")


def generic(action, entity_type="Message"):
    """A General Profile ``Event`` with ``action`` on a post (Message) or a Thread."""
    return ("Event", action, entity_type)


EVENTS = (
    # Open edX event                  about  xAPI verb     Caliper (type, action, object)
    ("edx.forum.thread.created",      T,     v.POSTED,     POSTED_MESSAGE),
    ("edx.forum.response.created",    R,     v.POSTED,     POSTED_MESSAGE),
    ("edx.forum.comment.created",     C,     v.POSTED,     POSTED_MESSAGE),
    ("edx.forum.thread.edited",       T,     v.EDITED,     generic("Modified")),
    ("edx.forum.response.edited",     R,     v.EDITED,     generic("Modified")),
    ("edx.forum.comment.edited",      C,     v.EDITED,     generic("Modified")),
    ("edx.forum.thread.deleted",      T,     v.DELETED,    generic("Deleted")),
    ("edx.forum.response.deleted",    R,     v.DELETED,    generic("Deleted")),
    ("edx.forum.comment.deleted",     C,     v.DELETED,    generic("Deleted")),
    ("edx.forum.thread.reported",     T,     v.REPORTED,   generic("Questioned")),
    ("edx.forum.response.reported",   R,     v.REPORTED,   generic("Questioned")),
    ("edx.forum.comment.reported",    C,     v.REPORTED,   generic("Questioned")),
    ("edx.forum.thread.unreported",   T,     v.UNREPORTED, generic("Accepted")),
    ("edx.forum.response.unreported", R,     v.UNREPORTED, generic("Accepted")),
    ("edx.forum.comment.unreported",  C,     v.UNREPORTED, generic("Accepted")),
    ("edx.forum.thread.viewed",       T,     v.VIEWED,     VIEWED_THREAD),
    ("edx.forum.thread.locked",       T,     v.CLOSED,     generic("Deactivated", "Thread")),
    ("edx.forum.thread.unlocked",     T,     v.OPENED,     generic("Activated", "Thread")),
    ("edx.forum.response.mark",       R,     v.APPROVED,   generic("Recommended")),
    ("edx.forum.response.unmark",     R,     v.RETRACTED,  generic("Declined")),
)

# Fields besides the post's, by event: (xAPI, Caliper).
EXTRA_FIELDS = {
    "edx.forum.thread.created":       (XAPI_BODY + XAPI_THREAD_TYPE, CALIPER_BODY + CALIPER_THREAD_TYPE),
    "edx.forum.response.created":     (XAPI_BODY, CALIPER_BODY),
    "edx.forum.comment.created":      (XAPI_BODY, CALIPER_BODY),
    "edx.forum.thread.edited":        ((), CALIPER_EDIT),
    "edx.forum.response.edited":      ((), CALIPER_EDIT),
    "edx.forum.comment.edited":       ((), CALIPER_EDIT),
    "edx.forum.thread.unreported":    ((), CALIPER_UNREPORT),
    "edx.forum.response.unreported":  ((), CALIPER_UNREPORT),
    "edx.forum.comment.unreported":   ((), CALIPER_UNREPORT),
    "edx.forum.thread.locked":        ((), CALIPER_LOCK),
    "edx.forum.thread.unlocked":      ((), CALIPER_LOCK),
    "edx.forum.response.mark":        (XAPI_MARK, CALIPER_MARK),
    "edx.forum.response.unmark":      (XAPI_MARK, CALIPER_MARK),
}

VOTES = (
    # Open edX event              about  Caliper action, vote / undone vote
    ("edx.forum.thread.voted",       T,  "Liked", "Disliked"),
    ("edx.forum.response.voted",     R,  "Liked", "Disliked"),
)

XAPI_SEARCHED = (
    Field("object",                                    _forum_activity, required=True),
    Field("result.response",                           "data.query", text),
    Field(f"result.extensions[{v.EXT_TOTAL_ITEMS}]",   "data.total_results", count),
)
CALIPER_SEARCHED = (
    Field("object",                                    _forum_entity, required=True),
    Field("generated", search_response(lambda event: event.data.get("query"),
                                       lambda event: event.data.get("total_results"))),
    Field("extensions.correctedText",                  "data.corrected_text", text),
    Field("extensions.page",                           "data.page", count),
)


_PROFILES = {"MessageEvent": "ForumProfile", "ViewEvent": "ForumProfile", "Event": "GeneralProfile",
             "SearchEvent": "SearchProfile"}


def _caliper(name, caliper_type, action, fields):
    return CaliperMapping(event=name, type=caliper_type, action=action, profile=_PROFILES[caliper_type],
                          fields=fields, family=FAMILY)


for name, kind, verb, (caliper_type, action, entity_type) in EVENTS:
    xapi_extras, caliper_extras = EXTRA_FIELDS.get(name, ((), ()))
    register(
        XapiMapping(event=name, verb=verb, fields=xapi_post_fields(kind) + xapi_extras + TEAM_CONTEXT_FIELDS,
                    family=FAMILY),
        _caliper(name, caliper_type, action, caliper_post_fields(kind, entity_type) + caliper_extras),
    )

for name, kind, action, undone_action in VOTES:
    xapi_fields = xapi_post_fields(kind) + XAPI_VOTE + TEAM_CONTEXT_FIELDS
    caliper_fields = caliper_post_fields(kind) + CALIPER_VOTE
    register(
        Either(_is_undone_vote,
               XapiMapping(event=name, verb=v.UNLIKED, fields=xapi_fields, family=FAMILY),
               XapiMapping(event=name, verb=v.VOTED, fields=xapi_fields, family=FAMILY)),
        Either(_is_undone_vote,
               _caliper(name, "Event", undone_action, caliper_fields),
               _caliper(name, "Event", action, caliper_fields)),
    )

register(
    XapiMapping(event="edx.forum.searched", verb=v.SEARCHED, fields=XAPI_SEARCHED, family=FAMILY),
    _caliper("edx.forum.searched", "SearchEvent", "Searched", CALIPER_SEARCHED),
)


# --- samples --------------------------------------------------------------------------------

COURSE = "course-v1:edX+DemoX+Demo_Course"
THREAD, RESPONSE, COMMENT = "65f1c2a9e68f35002fd01a11", "65f1c3b0e68f35002fd01a15", "65f1c4d7e68f35002fd01a19"
TOPIC = "d9f1a3b2c4e5f60718293a4b5c6d7e8f"


def _sample(name, data, path):
    return {
        "name": name,
        "timestamp": "2024-03-13T09:41:27.318204+00:00",
        "context": {"course_id": COURSE, "org_id": "edX", "user_id": 17, "username": "learner17",
                    "session": "a3c9e1f0b2d4c6e8f0a1b3c5d7e9f1a2", "ip": "10.0.0.17", "host": "lms.example.com",
                    "path": path, "agent": "Mozilla/5.0", "referer": "https://apps.example.com/discussions/"},
        "data": {**data, "url": "https://apps.example.com/discussions/", "user_forums_roles": ["Student"],
                 "user_course_roles": []},
    }


_THREAD_PATH, _COMMENTS_PATH = "/api/discussion/v1/threads/", "/api/discussion/v1/comments/"
_TITLE = {"title": "How do I normalise a state vector?", "title_truncated": False}
_BODY = {"body": "<p>Divide by the square root of the sum of the squared amplitudes.</p>", "truncated": False}
_OTHER_AUTHOR = {"target_username": "learner42"}

SAMPLES = {
    "edx.forum.thread.created": _sample("edx.forum.thread.created", {
        "commentable_id": TOPIC, "group_id": None, "thread_type": "question", "anonymous": False,
        "anonymous_to_peers": False, "options": {"followed": True}, "from_mfe_sidebar": False,
        **_TITLE, "body": "<p>My amplitudes do not add up to one.</p>", "truncated": False, "id": THREAD},
        _THREAD_PATH),
    "edx.forum.response.created": _sample("edx.forum.response.created", {
        "discussion": {"id": THREAD}, "commentable_id": TOPIC, "options": {"followed": False},
        "from_mfe_sidebar": False, **_BODY, "id": RESPONSE}, _COMMENTS_PATH),
    "edx.forum.comment.created": _sample("edx.forum.comment.created", {
        "discussion": {"id": THREAD}, "response": {"id": RESPONSE}, "commentable_id": TOPIC,
        "options": {"followed": False}, "from_mfe_sidebar": False, "body": "<p>Thanks, that worked.</p>",
        "truncated": False, "id": COMMENT}, _COMMENTS_PATH),
    "edx.forum.thread.edited": _sample("edx.forum.thread.edited", {
        "target_username": "learner17", "content_type": "Post", "own_content": True, "edit_reason": None,
        "commentable_id": TOPIC, "id": THREAD}, _THREAD_PATH + THREAD + "/"),
    "edx.forum.response.edited": _sample("edx.forum.response.edited", {
        **_OTHER_AUTHOR, "own_content": False, "content_type": "Response", "edit_reason": "grammar",
        "commentable_id": TOPIC, "id": RESPONSE}, _COMMENTS_PATH + RESPONSE + "/"),
    "edx.forum.comment.edited": _sample("edx.forum.comment.edited", {
        "target_username": "learner17", "own_content": True, "content_type": "Comment", "edit_reason": None,
        "commentable_id": TOPIC, "id": COMMENT}, _COMMENTS_PATH + COMMENT + "/"),
    "edx.forum.thread.deleted": _sample("edx.forum.thread.deleted", {
        **_BODY, "content_type": "Post", "own_content": True, "commentable_id": TOPIC,
        "target_username": "learner17", **_TITLE, "id": THREAD}, _THREAD_PATH + THREAD + "/"),
    "edx.forum.response.deleted": _sample("edx.forum.response.deleted", {
        **_BODY, "commentable_id": TOPIC, "content_type": "Response", "own_content": False, **_OTHER_AUTHOR,
        "id": RESPONSE}, _COMMENTS_PATH + RESPONSE + "/"),
    "edx.forum.comment.deleted": _sample("edx.forum.comment.deleted", {
        "body": "<p>Thanks, that worked.</p>", "commentable_id": TOPIC, "content_type": "Comment",
        "own_content": True, "target_username": "learner17", "id": COMMENT}, _COMMENTS_PATH + COMMENT + "/"),
    "edx.forum.thread.reported": _sample("edx.forum.thread.reported", {
        **_BODY, "content_type": "Post", "commentable_id": TOPIC, "thread_type": "discussion", "group_id": None,
        **_OTHER_AUTHOR, **_TITLE, "id": THREAD}, _THREAD_PATH + THREAD + "/"),
    "edx.forum.response.reported": _sample("edx.forum.response.reported", {
        **_BODY, "commentable_id": TOPIC, "content_type": "Response", **_OTHER_AUTHOR, "id": RESPONSE},
        _COMMENTS_PATH + RESPONSE + "/"),
    "edx.forum.comment.reported": _sample("edx.forum.comment.reported", {
        **_BODY, "commentable_id": TOPIC, "content_type": "Comment", **_OTHER_AUTHOR, "id": COMMENT},
        _COMMENTS_PATH + COMMENT + "/"),
    "edx.forum.thread.unreported": _sample("edx.forum.thread.unreported", {
        **_BODY, "content_type": "Post", "commentable_id": TOPIC, "reported_status_cleared": True,
        "thread_type": "discussion", "group_id": None, **_OTHER_AUTHOR, **_TITLE, "id": THREAD},
        _THREAD_PATH + THREAD + "/"),
    "edx.forum.response.unreported": _sample("edx.forum.response.unreported", {
        **_BODY, "commentable_id": TOPIC, "content_type": "Response", "reported_status_cleared": False,
        **_OTHER_AUTHOR, "id": RESPONSE}, _COMMENTS_PATH + RESPONSE + "/"),
    "edx.forum.comment.unreported": _sample("edx.forum.comment.unreported", {
        **_BODY, "commentable_id": TOPIC, "content_type": "Comment", "reported_status_cleared": True,
        **_OTHER_AUTHOR, "id": COMMENT}, _COMMENTS_PATH + COMMENT + "/"),
    "edx.forum.thread.viewed": _sample("edx.forum.thread.viewed", {
        "commentable_id": TOPIC, "from_mfe_sidebar": False, **_OTHER_AUTHOR, **_TITLE, "id": THREAD,
        "team_id": "quantum-owls-7f3a2c"}, _THREAD_PATH + THREAD + "/"),
    "edx.forum.thread.locked": _sample("edx.forum.thread.locked", {
        **_OTHER_AUTHOR, "lock_reason": "off-topic", "commentable_id": TOPIC, "team_id": None, "id": THREAD},
        _THREAD_PATH + THREAD + "/"),
    "edx.forum.thread.unlocked": _sample("edx.forum.thread.unlocked", {
        **_OTHER_AUTHOR, "lock_reason": None, "commentable_id": TOPIC, "team_id": None, "id": THREAD},
        _THREAD_PATH + THREAD + "/"),
    "edx.forum.thread.voted": _sample("edx.forum.thread.voted", {
        "commentable_id": TOPIC, **_OTHER_AUTHOR, "undo_vote": False, "vote_value": "up", "id": THREAD},
        _THREAD_PATH + THREAD + "/"),
    "edx.forum.response.voted": _sample("edx.forum.response.voted", {
        "commentable_id": TOPIC, **_OTHER_AUTHOR, "undo_vote": True, "vote_value": "up", "id": RESPONSE},
        _COMMENTS_PATH + RESPONSE + "/"),
    "edx.forum.response.mark": _sample("edx.forum.response.mark", {
        "discussion": {"id": THREAD}, "commentable_id": TOPIC, "is_thread_author": True, "is_global_staff": False,
        "mark_type": "Answer", **_OTHER_AUTHOR, "id": RESPONSE}, _COMMENTS_PATH + RESPONSE + "/"),
    "edx.forum.response.unmark": _sample("edx.forum.response.unmark", {
        "discussion": {"id": THREAD}, "commentable_id": TOPIC, "is_thread_author": True, "is_global_staff": False,
        "mark_type": "Answer", **_OTHER_AUTHOR, "id": RESPONSE}, _COMMENTS_PATH + RESPONSE + "/"),
    "edx.forum.searched": {
        "name": "edx.forum.searched",
        "timestamp": "2024-03-13T09:40:02.007113+00:00",
        "context": {"course_id": COURSE, "org_id": "edX", "user_id": 17, "username": "learner17",
                    "session": "a3c9e1f0b2d4c6e8f0a1b3c5d7e9f1a2", "ip": "10.0.0.17", "host": "lms.example.com",
                    "path": f"/courses/{COURSE}/discussion/forum/search", "agent": "Mozilla/5.0"},
        "data": {"query": "state vector", "corrected_text": None, "group_id": None, "page": 1,
                 "total_results": 4},
    },
}
