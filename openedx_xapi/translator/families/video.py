"""Video: a learner loads, plays, pauses, seeks or finishes a video, changes its speed,
shows or hides its transcript, captions or language menu; and the same for the
course's pre-roll ("bumper") video.

=================================================== =========== =================================== ===============
Open edX event (legacy / current name)              xAPI verb   Caliper                             object
=================================================== =========== =================================== ===============
load_video / edx.video.loaded                       initialized MediaEvent Started                  the video block
play_video / edx.video.played                       played      MediaEvent Resumed                  the video block
pause_video / edx.video.paused                      paused      MediaEvent Paused                   the video block
stop_video / edx.video.stopped                      terminated  MediaEvent Ended                    the video block
complete_video / edx.video.completed                completed   MediaEvent Ended                    the video block
seek_video / edx.video.position.changed             seeked      MediaEvent JumpedTo                 the video block
speed_change_video                                  interacted  MediaEvent ChangedSpeed             the video block
show_transcript / edx.video.transcript.shown        interacted  MediaEvent EnabledClosedCaptioning  the video block
edx.video.closed_captions.shown                     interacted  MediaEvent EnabledClosedCaptioning  the video block
hide_transcript / edx.video.transcript.hidden       interacted  MediaEvent DisabledClosedCaptioning the video block
edx.video.closed_captions.hidden                    interacted  MediaEvent DisabledClosedCaptioning the video block
video_show_cc_menu / edx.video.language_menu.shown  interacted  Event Showed                        the video block
video_hide_cc_menu / edx.video.language_menu.hidden interacted  Event Hid                           the video block
edx.video.bumper.loaded, .played, .stopped          as above    as above                            the bumper clip
edx.video.bumper.skipped, .dismissed                skipped     Event Skipped, OptedOut             the bumper clip
edx.video.bumper.transcript.shown, .hidden          interacted  as transcripts above                the bumper clip
edx.video.bumper.transcript.menu.shown, .hidden     interacted  Event Showed, Hid                   the bumper clip
=================================================== =========== =================================== ===============

What goes where (xAPI video profile, https://w3id.org/xapi/video):

* the playhead (``currentTime``, or ``current_time`` as some events spell it) in
  ``result.extensions[.../time]``; a seek's ``old_time``/``new_time`` in ``time-from`` /
  ``time-to``; the video's length (``duration``) in ``context.extensions[.../length]``;
  transcript and captions shown/hidden as ``cc-enabled`` true/false; the language
  chosen in the language menu as ``cc-subtitle-lang``; a speed change as ERB's
  ``speed-from``/``speed-to`` ("1.25x") and the profile's ``speed`` (the new speed);
  ``contextActivities.category`` names the video profile.
* In Caliper the video is a ``VideoObject`` (``duration`` as an ISO 8601 duration) and
  the playhead a ``MediaLocation`` target (``currentTime``; id: the video's IRI with a
  media fragment ``#t=<seconds>``; a seek's target is where it started, with ``newTime``
  in its extensions, as ERB writes it).
* A completion has ``result.completion`` true. The Caliper actions follow ERB's: the
  player's loading starts the media session (``Started``) and every play resumes it
  (``Resumed``), since ``play_video`` does not tell a first play from the others.
  Language menus, a skipped bumper and a dismissed one ("do not show again") have no
  Media profile action: they are generic Events (``Showed``/``Hid``, ``Skipped``,
  ``OptedOut``); in xAPI both bumper events are ``skipped``.

The video's id. Browser events carry the block's HTML id (``data.id``: the block id of
a ``course-v1`` course, ``i4x-<org>-<course>-video-<name>`` in older courses); the usage
key is built from it and the course id, as event-routing-backends (ERB) does
(``block-v1:`` for a course, ``ccx-block-v1:`` for a CCX, ``i4x://`` for an old
course). A full usage key, in ``data.module_id`` (mobile apps) or in ``data.id``, is
used as it is.

The unit or sequence, when the page the video plays on names it (the ``/xblock/<unit>``
page of the learning app, or ``?activate_block_id=<sequence>``), is the statement's
``parent``; only its usage key is kept, never the URL.

The bumper is a short pre-roll clip shown before a course's videos: its object is the
clip itself (``bumper_id``: its URL without query or fragment, on the LMS when
relative), its parent the video it precedes (``host_component_id``), so that bumper
plays never count as plays of the course's video.
"""
import functools
import re
from urllib.parse import parse_qs, unquote, urlsplit

from openedx_xapi.translator import vocabulary as v
from openedx_xapi.translator.caliper import CaliperMapping
from openedx_xapi.translator.common import activity, block_iri, duration, entity, number
from openedx_xapi.translator.mapping import Field, TranslationError, const
from openedx_xapi.translator.registry import register
from openedx_xapi.translator.xapi import XapiMapping

FAMILY = "video"

VIDEO_PROFILE = "https://w3id.org/xapi/video"  # the profile's IRI, as a category of the statements

# ------------------------------------------------------------- usage keys and IRIs

_ID = r"[\w\-~.:]+"  # characters of a block id (opaque-keys)
_COURSE_PART = r"[\w\-~.:]+(?:\+[\w\-~.:@]+)+"  # org+course+run[+ccx@n...]
USAGE_KEY = re.compile(
    rf"(?:ccx-)?block-v1:{_COURSE_PART}\+type@(?P<type>{_ID})\+block@{_ID}"
    rf"|i4x://{_ID}/{_ID}/(?P<old_type>{_ID})/{_ID}(?:@{_ID})?")
BLOCK_ID = re.compile(_ID)
OLD_HTML_ID = re.compile(rf"i4x-.+?-video-(?P<name>{_ID})")
COURSE_KEYS = (  # course key -> the prefix of its blocks' usage keys
    (re.compile(rf"course-v1:(?P<part>{_COURSE_PART})"), "block-v1:{part}+type@video+block@"),
    (re.compile(rf"ccx-v1:(?P<part>{_COURSE_PART})"), "ccx-block-v1:{part}+type@video+block@"),
    (re.compile(r"(?P<org>[\w\-~.]+)/(?P<course>[\w\-~.]+)/[\w\-~.]+"), "i4x://{org}/{course}/video/"),
)
CONTAINERS = frozenset({"vertical", "sequential"})
WEB_URL = re.compile(r"https?://[A-Za-z0-9.\-]+(?::[0-9]{1,5})?(?:/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*)?")
LANGUAGE = re.compile(r"[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*")
SPEED = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3})?")


def _usage_key(value):
    """``value`` if it is a usage key string, else None."""
    return value if isinstance(value, str) and USAGE_KEY.fullmatch(value) else None


def _usage_key_from_html_id(html_id, course_id):
    """The video's usage key from its HTML id and the course, as ERB builds it."""
    if not isinstance(html_id, str) or not isinstance(course_id, str):
        return None
    old = OLD_HTML_ID.fullmatch(html_id)
    block_id = old["name"] if old else html_id
    if not BLOCK_ID.fullmatch(block_id):
        return None
    for pattern, prefix in COURSE_KEYS:
        match = pattern.fullmatch(course_id)
        if match:
            return prefix.format(**match.groupdict()) + block_id
    return None


def video_key(event, ctx):
    """Source: the usage key of the video block the event is about."""
    return (_usage_key(event.data.get("module_id")) or _usage_key(event.data.get("id"))
            or _usage_key_from_html_id(event.data.get("id"), event.course_id))


def host_video_key(event, ctx):
    """Source: the usage key of the video a bumper plays before."""
    return (_usage_key(event.data.get("host_component_id"))
            or _usage_key_from_html_id(event.data.get("host_component_id"), event.course_id))


def bumper_iri(event, ctx):
    """Source: the bumper clip's URL, without query or fragment (signed URLs carry tokens)."""
    url = event.data.get("bumper_id")
    if not isinstance(url, str):
        return None
    url = url.split("#", 1)[0].split("?", 1)[0]
    if url.startswith("/") and not url.startswith("//"):
        url = ctx.lms_root_url + url
    return url if WEB_URL.fullmatch(url) else None


def _same_course(usage_key, course_id):
    """True when ``usage_key`` is a block of ``course_id`` (new-style keys only)."""
    course_part = usage_key.split(":", 1)[1].split("+type@", 1)[0]
    return isinstance(course_id, str) and course_id.split(":", 1)[-1] == course_part


@functools.lru_cache(maxsize=4096)
def _containers_named_by(url):
    """Usage keys a page URL names: ``/xblock/<key>`` in its path, ``activate_block_id``.

    Remembered per URL (it depends on nothing else): every learner on a unit's page
    sends the same one, and parsing it is a good part of a video event's translation.
    """
    try:
        parts = urlsplit(url)
        candidates = parse_qs(parts.query).get("activate_block_id", [])
    except ValueError:
        return ()
    _, _, tail = parts.path.partition("/xblock/")
    if tail:
        candidates.insert(0, unquote(tail.split("/", 1)[0]))
    return tuple(candidates)


def unit_key(event, ctx):
    """The unit or sequence the video is shown in, when the page names it."""
    for url in (event.context.get("page"), event.referer):
        if not isinstance(url, str):
            continue
        for candidate in _containers_named_by(url):
            match = USAGE_KEY.fullmatch(candidate)
            if match and match["type"] in CONTAINERS and _same_course(candidate, event.course_id):
                return candidate
    return None


def unit_activity(event, ctx):
    """Parent: the unit or sequence, as an xAPI activity."""
    return activity(block_iri(unit_key(event, ctx), ctx), v.RESOURCE)


def host_video_activity(event, ctx):
    """Parent of a bumper event: the video it plays before."""
    return activity(block_iri(host_video_key(event, ctx), ctx), v.VIDEO)


def video_profile_category(event, ctx):
    return [activity(VIDEO_PROFILE, v.PROFILE)]


def unit_resource(event, ctx):
    """Caliper: the unit or sequence the video is part of."""
    return entity(block_iri(unit_key(event, ctx), ctx), "DigitalResource")


def host_video_resource(event, ctx):
    return entity(block_iri(host_video_key(event, ctx), ctx), "VideoObject")


# --------------------------------------------------------------------- values


def seconds(value, ctx=None):
    """A position or length in seconds: a non-negative number, to the millisecond."""
    value = number(value)
    return round(value, 3) if value is not None and value >= 0 else None


def playhead(event, ctx):
    """Source: where the video was when the event happened."""
    time = seconds(event.data.get("currentTime"))
    return time if time is not None else seconds(event.data.get("current_time"))


def seek_origin(event, ctx):
    """Source: where a seek started (``old_time``; the mobile apps send the playhead)."""
    origin = seconds(event.data.get("old_time"))
    return origin if origin is not None else playhead(event, ctx)


def completion_point(event, ctx):
    """Source: the playhead at completion, or the video's end when the event lacks it."""
    point = playhead(event, ctx)
    return point if point is not None else seconds(event.data.get("duration"))


def iso_seconds(value, ctx=None):
    """A length in seconds as an ISO 8601 duration (Caliper): 195 -> "PT3M15S"."""
    return duration(seconds(value))


def new_time(event, ctx):
    """Source: where a seek went."""
    return seconds(event.data.get("new_time"))


def speed_text(value, ctx=None):
    """A playback speed as the video profile writes it: "1.25x"."""
    if isinstance(value, str) and SPEED.fullmatch(value.strip()):
        return f"{value.strip()}x" if float(value) > 0 else None
    value = number(value)
    return f"{value:g}x" if value is not None and 0 < value < 1000 else None


def speed(value, ctx=None):
    value = number(value)
    return value if value is not None and 0 < value < 1000 else None


def language(value, ctx=None):
    """A language code such as "en" or "zh_HANS", as the player sends it; None for junk."""
    return value if isinstance(value, str) and LANGUAGE.fullmatch(value) else None


# --------------------------------------------------------------------- the object


def or_reject(source, transform, reason):
    """A source that rejects the event, saying why, when ``source`` gives nothing usable."""
    def get(event, ctx):
        value = source(event, ctx)
        value = transform(value, ctx) if value is not None and transform else value
        if not value:
            raise TranslationError(reason)
        return value
    return get


VIDEO_IRI = or_reject(video_key, block_iri, "no video block: neither data.module_id nor data.id (with the course id) "
                                            "names one")
BUMPER_IRI = or_reject(bumper_iri, None, "no bumper video: data.bumper_id is not an http(s) URL or an LMS path")

# --------------------------------------------------------------------- xAPI fields


def _xapi_object(object_iri):
    return (
        # target                                           source                   transform
        Field("object.objectType",                         const("Activity")),
        Field("object.id",                                 object_iri,              required=True),
        Field("object.definition.type",                    const(v.VIDEO)),
        Field(f"context.extensions[{v.EXT_LENGTH}]",       "data.duration",         seconds),
        Field("context.contextActivities.category",        video_profile_category),
    )


VIDEO_OBJECT = _xapi_object(VIDEO_IRI)
BUMPER_OBJECT = _xapi_object(BUMPER_IRI)

AT_PLAYHEAD = (
    Field(f"result.extensions[{v.EXT_TIME}]",              playhead),
)
SEEK = (
    Field(f"result.extensions[{v.EXT_TIME_FROM}]",         seek_origin),
    Field(f"result.extensions[{v.EXT_TIME_TO}]",           "data.new_time",         seconds),
)
COMPLETION = (
    Field("result.completion",                             const(True)),
    Field(f"result.extensions[{v.EXT_TIME}]",              completion_point),
)
SPEED_CHANGE = AT_PLAYHEAD + (
    Field(f"result.extensions[{v.EXT_SPEED_FROM}]",        "data.old_speed",        speed_text),
    Field(f"result.extensions[{v.EXT_SPEED_TO}]",          "data.new_speed",        speed_text),
    Field(f"context.extensions[{v.EXT_SPEED}]",            "data.new_speed",        speed_text),
)
CAPTIONS_ON = AT_PLAYHEAD + (
    Field(f"result.extensions[{v.EXT_CC_ENABLED}]",        const(True)),
)
CAPTIONS_OFF = AT_PLAYHEAD + (
    Field(f"result.extensions[{v.EXT_CC_ENABLED}]",        const(False)),
)
LANGUAGE_CHOSEN = AT_PLAYHEAD + (
    Field(f"context.extensions[{v.EXT_CC_LANGUAGE}]",      "data.language",         language),
)

# ------------------------------------------------------------------ Caliper fields


def _seconds_text(value):
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _media_location(where, changes_to=None):
    """Source: the Caliper ``MediaLocation`` at the position ``where(event, ctx)`` gives."""
    def location(event, ctx):
        time = where(event, ctx)
        iri = _object_iri(event, ctx)
        current = duration(time)  # None too for a playhead past any video's length (junk)
        if current is None or iri is None:
            return None
        target = {"id": f"{iri}#t={_seconds_text(time)}", "type": "MediaLocation", "currentTime": current}
        moved_to = duration(changes_to(event, ctx)) if changes_to else None
        if moved_to is not None:
            target["extensions"] = {"newTime": moved_to}
        return target
    return location


def _object_iri(event, ctx):
    """The IRI of the event's object: the bumper clip for bumper events, else the video block."""
    if event.name.startswith("edx.video.bumper."):
        return bumper_iri(event, ctx)
    return block_iri(video_key(event, ctx), ctx)


def _caliper_object(object_iri, part_of):
    return (
        Field("object.id",                                 object_iri,              required=True),
        Field("object.type",                               const("VideoObject")),
        Field("object.duration",                           "data.duration",         iso_seconds),
        Field("object.isPartOf",                           part_of),
    )


C_VIDEO_OBJECT = _caliper_object(VIDEO_IRI, unit_resource)
C_BUMPER_OBJECT = _caliper_object(BUMPER_IRI, host_video_resource)

C_AT_PLAYHEAD = (
    Field("target",                                        _media_location(playhead)),
)
C_SEEK = (
    Field("target",                                        _media_location(seek_origin, new_time)),
)
C_COMPLETION = (
    Field("target",                                        _media_location(completion_point)),
)
C_SPEED_CHANGE = C_AT_PLAYHEAD + (
    Field("extensions.oldSpeed",                           "data.old_speed",        speed),
    Field("extensions.newSpeed",                           "data.new_speed",        speed),
)
C_LANGUAGE_CHOSEN = C_AT_PLAYHEAD + (
    Field("extensions.language",                           "data.language",         language),
)

# ------------------------------------------------------------------------- events

MEDIA = ("MediaEvent", "MediaProfile")
GENERAL = ("Event", "GeneralProfile")

# What each kind of interaction adds: (verb, xAPI fields, Caliper event, action, Caliper fields)
KINDS = {
    "loaded":         (v.INITIALIZED, (),              MEDIA,   "Started",                  ()),
    "played":         (v.PLAYED,      AT_PLAYHEAD,     MEDIA,   "Resumed",                  C_AT_PLAYHEAD),
    "paused":         (v.PAUSED,      AT_PLAYHEAD,     MEDIA,   "Paused",                   C_AT_PLAYHEAD),
    "stopped":        (v.TERMINATED,  AT_PLAYHEAD,     MEDIA,   "Ended",                    C_AT_PLAYHEAD),
    "completed":      (v.COMPLETED,   COMPLETION,      MEDIA,   "Ended",                    C_COMPLETION),
    "seeked":         (v.SEEKED,      SEEK,            MEDIA,   "JumpedTo",                 C_SEEK),
    "speed":          (v.INTERACTED,  SPEED_CHANGE,    MEDIA,   "ChangedSpeed",             C_SPEED_CHANGE),
    "captions on":    (v.INTERACTED,  CAPTIONS_ON,     MEDIA,   "EnabledClosedCaptioning",  C_AT_PLAYHEAD),
    "captions off":   (v.INTERACTED,  CAPTIONS_OFF,    MEDIA,   "DisabledClosedCaptioning", C_AT_PLAYHEAD),
    "menu shown":     (v.INTERACTED,  AT_PLAYHEAD,     GENERAL, "Showed",                   C_AT_PLAYHEAD),
    "menu hidden":    (v.INTERACTED,  LANGUAGE_CHOSEN, GENERAL, "Hid",                      C_LANGUAGE_CHOSEN),
    "skipped":        (v.SKIPPED,     AT_PLAYHEAD,     GENERAL, "Skipped",                  C_AT_PLAYHEAD),
    "dismissed":      (v.SKIPPED,     AT_PLAYHEAD,     GENERAL, "OptedOut",                 C_AT_PLAYHEAD),
}

VIDEO_EVENTS = (
    # Open edX event                          kind
    ("load_video",                            "loaded"),
    ("edx.video.loaded",                      "loaded"),
    ("play_video",                            "played"),
    ("edx.video.played",                      "played"),
    ("pause_video",                           "paused"),
    ("edx.video.paused",                      "paused"),
    ("stop_video",                            "stopped"),
    ("edx.video.stopped",                     "stopped"),
    ("complete_video",                        "completed"),
    ("edx.video.completed",                   "completed"),
    ("seek_video",                            "seeked"),
    ("edx.video.position.changed",            "seeked"),
    ("speed_change_video",                    "speed"),
    ("show_transcript",                       "captions on"),
    ("edx.video.transcript.shown",            "captions on"),
    ("edx.video.closed_captions.shown",       "captions on"),
    ("hide_transcript",                       "captions off"),
    ("edx.video.transcript.hidden",           "captions off"),
    ("edx.video.closed_captions.hidden",      "captions off"),
    ("video_show_cc_menu",                    "menu shown"),
    ("edx.video.language_menu.shown",         "menu shown"),
    ("video_hide_cc_menu",                    "menu hidden"),
    ("edx.video.language_menu.hidden",        "menu hidden"),
)

BUMPER_EVENTS = (
    ("edx.video.bumper.loaded",               "loaded"),
    ("edx.video.bumper.played",               "played"),
    ("edx.video.bumper.stopped",              "stopped"),
    ("edx.video.bumper.skipped",              "skipped"),
    ("edx.video.bumper.dismissed",            "dismissed"),
    ("edx.video.bumper.transcript.shown",     "captions on"),
    ("edx.video.bumper.transcript.hidden",    "captions off"),
    ("edx.video.bumper.transcript.menu.shown",  "menu shown"),
    ("edx.video.bumper.transcript.menu.hidden", "menu hidden"),
)

EVENTS = VIDEO_EVENTS + BUMPER_EVENTS

DIFFERENCES_FROM_ERB = {
    **{name: "no cc-enabled in the result: opening or closing the language menu neither shows nor hides "
             "captions (ERB's true for the opening would count transcript use twice in Aspects, the menu "
             "opens along with the transcript); the language chosen is the video profile's "
             "cc-subtitle-lang; Caliper: a generic Event Showed/Hid, not Enabled/DisabledClosedCaptioning"
       for name in ("video_show_cc_menu", "edx.video.language_menu.shown",
                    "video_hide_cc_menu", "edx.video.language_menu.hidden")},
    **{name: "no result.duration: ERB writes the video's length there (in newer versions as a number, "
             "which is invalid), but result.duration is the time the learner took; the result's time is "
             "the playhead when the event carries it (the player sends currentTime), the length otherwise"
       for name in ("complete_video", "edx.video.completed")},
}


def _register(name, kind, xapi_object, caliper_object, parent):
    verb, xapi_fields, (event_type, profile), action, caliper_fields = KINDS[kind]
    register(
        XapiMapping(event=name, verb=verb, fields=xapi_object + xapi_fields, family=FAMILY, parent=parent),
        CaliperMapping(event=name, type=event_type, action=action, profile=profile,
                       fields=caliper_object + caliper_fields, family=FAMILY),
    )


for _name, _kind in VIDEO_EVENTS:
    _register(_name, _kind, VIDEO_OBJECT, C_VIDEO_OBJECT, unit_activity)
for _name, _kind in BUMPER_EVENTS:
    _register(_name, _kind, BUMPER_OBJECT, C_BUMPER_OBJECT, host_video_activity)

# ------------------------------------------------------------------------ samples

_COURSE = "course-v1:edX+DemoX+Demo_Course"
_UNIT_PAGE = ("http://lms.example.com/xblock/block-v1:edX+DemoX+Demo_Course+type@vertical+block@vertical_0270f6de40fc"
              "?show_title=0&show_bookmark_button=0&recheck_access=1&view=student_view")
_SEQUENCE_PAGE = ("http://lms.example.com/courses/course-v1:edX+DemoX+Demo_Course/courseware/d8a6192ade314473a78242dfeedf"
                  "bf5b/edx_introduction/?activate_block_id=block-v1%3AedX%2BDemoX%2BDemo_Course%2Btype%40sequential"
                  "%2Bblock%40edx_introduction")
_BROWSER = {"path": "/event", "event_source": "browser", "agent": "Mozilla/5.0"}
_MOBILE = {"path": "/segmentio/event", "event_source": "mobile", "agent": "Dalvik/2.1.0 (Linux; U; Android 13)",
           "component": "videoplayer", "application": {"name": "edx.mobileapp.android", "version": "4.0.0"}}
_VIDEO = {"id": "0b9e39477cf34507a7a48f74be381fdd", "code": "html5", "duration": 195}
_MOBILE_VIDEO = {"module_id": "block-v1:edX+DemoX+Demo_Course+type@video+block@0b9e39477cf34507a7a48f74be381fdd",
                 "code": "mobile", "duration": 195.0}
_BUMPER = {"host_component_id": "0b9e39477cf34507a7a48f74be381fdd", "bumper_id": "https://cdn.example.com/bumper.mp4",
           "code": "html5", "duration": 10}

# event name -> (context, data): modelled on the player's events and ERB's corpus
_SAMPLE_DATA = {
    "load_video":                       (_BROWSER, {**_VIDEO}),
    "edx.video.loaded":                 (_MOBILE,  {**_MOBILE_VIDEO}),
    "play_video":                       (_BROWSER, {**_VIDEO, "currentTime": 0.03278805340576172}),
    "edx.video.played":                 (_MOBILE,  {**_MOBILE_VIDEO, "current_time": 114}),
    "pause_video":                      (_BROWSER, {**_VIDEO, "currentTime": 194.40735897138978}),
    "edx.video.paused":                 (_MOBILE,  {**_MOBILE_VIDEO, "currentTime": 61.5}),
    "stop_video":                       (_BROWSER, {**_VIDEO, "currentTime": 195}),
    "edx.video.stopped":                (_MOBILE,  {**_MOBILE_VIDEO, "currentTime": 195}),
    "complete_video":                   (_BROWSER, {**_VIDEO, "currentTime": 186.2}),
    "edx.video.completed":              (_MOBILE,  {**_MOBILE_VIDEO, "currentTime": 190}),
    "seek_video":                       (_BROWSER, {**_VIDEO, "old_time": 194.381, "new_time": 10,
                                                    "type": "onSlideSeek"}),
    "edx.video.position.changed":       (_MOBILE,  {**_MOBILE_VIDEO, "old_time": 90, "new_time": 60,
                                                    "type": "onSkipSeek", "requested_skip_interval": -30}),
    "speed_change_video":               (_BROWSER, {**_VIDEO, "current_time": 3.093662, "old_speed": "1.0",
                                                    "new_speed": "1.25"}),
    "show_transcript":                  (_BROWSER, {**_VIDEO, "current_time": 16.633879}),
    "edx.video.transcript.shown":       (_MOBILE,  {**_MOBILE_VIDEO, "current_time": 16.6}),
    "edx.video.closed_captions.shown":  (_BROWSER, {**_VIDEO, "current_time": 19.133524}),
    "hide_transcript":                  (_BROWSER, {**_VIDEO, "current_time": 16.633879}),
    "edx.video.transcript.hidden":      (_MOBILE,  {**_MOBILE_VIDEO, "current_time": 40}),
    "edx.video.closed_captions.hidden": (_BROWSER, {**_VIDEO, "current_time": 21.133524}),
    "video_show_cc_menu":               (_BROWSER, {**_VIDEO, "current_time": 19.133524}),
    "edx.video.language_menu.shown":    (_BROWSER, {**_VIDEO}),
    "video_hide_cc_menu":               (_BROWSER, {**_VIDEO, "current_time": 21.133524, "language": "fr"}),
    "edx.video.language_menu.hidden":   (_BROWSER, {**_VIDEO, "language": "zh_HANS"}),
    "edx.video.bumper.loaded":          (_BROWSER, {**_BUMPER}),
    "edx.video.bumper.played":          (_BROWSER, {**_BUMPER, "currentTime": 0}),
    "edx.video.bumper.stopped":         (_BROWSER, {**_BUMPER, "currentTime": 10}),
    "edx.video.bumper.skipped":         (_BROWSER, {**_BUMPER, "currentTime": 3.2}),
    "edx.video.bumper.dismissed":       (_BROWSER, {**_BUMPER, "currentTime": 4.75}),
    "edx.video.bumper.transcript.shown":  (_BROWSER, {**_BUMPER, "currentTime": 1.5}),
    "edx.video.bumper.transcript.hidden": (_BROWSER, {**_BUMPER, "currentTime": 6}),
    "edx.video.bumper.transcript.menu.shown":  (_BROWSER, {**_BUMPER}),
    "edx.video.bumper.transcript.menu.hidden": (_BROWSER, {**_BUMPER}),
}


def _sample(name, context, data, number):
    mobile = context is _MOBILE
    page = _SEQUENCE_PAGE if number // 2 % 2 else _UNIT_PAGE
    return {
        "name": name,
        "timestamp": f"2024-03-04T10:{number:02d}:30.123456+00:00",
        "context": {"course_id": _COURSE, "org_id": "edX", "user_id": 12, "username": "learner12",
                    "session": "" if mobile else "0123456789abcdef0123456789abcdef", "ip": "10.0.0.1",
                    "host": "lms.example.com", **context, **({} if mobile else {"page": page, "referer": page})},
        "data": data,
    }


SAMPLES = {name: _sample(name, context, data, number)
           for number, (name, (context, data)) in enumerate(_SAMPLE_DATA.items())}
