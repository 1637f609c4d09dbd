"""IRIs and names shared by the mappings.

Verb IRIs, activity types and extension IRIs follow event-routing-backends wherever
they are valid, because Open edX analytics (Aspects) queries them. Every term of a
published vocabulary (ADL, Activity Streams, TinCan, acrossx, dod-isd, the video
profile, cmi5), of event-routing-backends, or used by more than one family is defined
here, once; a family keeps only the Open edX extensions of its own.
"""
from openedx_xapi import __version__

TRANSFORMER_VERSION = f"openedx-xapi@{__version__}"

XAPI_VERSIONS = ("1.0.3", "2.0.0")

# xAPI verbs: (id, English display). Two verbs have two IRIs each, one of dod-isd and one of
# Activity Streams (_AS); each family keeps the one it has always sent.
ABANDONED = ("https://w3id.org/xapi/adl/verbs/abandoned", "abandoned")
ADDED = ("http://activitystrea.ms/schema/1.0/add", "added")
ANSWERED = ("http://adlnet.gov/expapi/verbs/answered", "answered")
APPROVED = ("http://activitystrea.ms/schema/1.0/approve", "approved")
ASKED = ("http://adlnet.gov/expapi/verbs/asked", "asked")
ATTACHED = ("http://activitystrea.ms/schema/1.0/attach", "attached")
ATTEMPTED = ("http://adlnet.gov/expapi/verbs/attempted", "attempted")
BOOKMARKED = ("http://id.tincanapi.com/verb/bookmarked", "bookmarked")
CLOSED = ("http://activitystrea.ms/schema/1.0/close", "closed")
COMMENTED = ("http://adlnet.gov/expapi/verbs/commented", "commented")
COMPLETED = ("http://adlnet.gov/expapi/verbs/completed", "completed")
CREATED = ("https://w3id.org/xapi/dod-isd/verbs/created", "created")
DELETED = ("https://w3id.org/xapi/dod-isd/verbs/deleted", "deleted")  # ERB's (forums)
DELETED_AS = ("http://activitystrea.ms/schema/1.0/delete", "deleted")  # Activity Streams' (special exams)
EARNED = ("http://id.tincanapi.com/verb/earned", "earned")
EDITED = ("https://w3id.org/xapi/acrossx/verbs/edited", "edited")  # ERB's (forums)
EVALUATED = ("https://w3id.org/xapi/acrossx/verbs/evaluated", "evaluated")
FAILED = ("http://adlnet.gov/expapi/verbs/failed", "failed")
INITIALIZED = ("http://adlnet.gov/expapi/verbs/initialized", "initialized")
INTERACTED = ("http://adlnet.gov/expapi/verbs/interacted", "interacted")
JOINED = ("http://activitystrea.ms/schema/1.0/join", "joined")
LEFT = ("http://activitystrea.ms/schema/1.0/leave", "left")
LOST = ("http://activitystrea.ms/schema/1.0/lose", "lost")
NAVIGATED = ("https://w3id.org/xapi/dod-isd/verbs/navigated", "navigated")
OPENED = ("http://activitystrea.ms/schema/1.0/open", "opened")
PASSED = ("http://adlnet.gov/expapi/verbs/passed", "passed")
PAUSED = ("https://w3id.org/xapi/video/verbs/paused", "paused")
PLAYED = ("https://w3id.org/xapi/video/verbs/played", "played")
POSTED = ("https://w3id.org/xapi/acrossx/verbs/posted", "posted")  # ERB's (forums)
PROGRESSED = ("http://adlnet.gov/expapi/verbs/progressed", "progressed")
PURCHASED = ("http://id.tincanapi.com/verb/purchased", "purchased")
RECEIVED = ("http://activitystrea.ms/schema/1.0/receive", "received")
REGISTERED = ("http://adlnet.gov/expapi/verbs/registered", "registered")
REJECTED = ("http://activitystrea.ms/schema/1.0/reject", "rejected")
REMOVED = ("http://activitystrea.ms/schema/1.0/remove", "removed")
REPORTED = ("https://w3id.org/xapi/acrossx/verbs/reported", "reported")  # ERB's (forums)
REQUESTED = ("https://w3id.org/xapi/dod-isd/verbs/requested", "requested")  # dod-isd's (problems)
REQUESTED_AS = ("http://activitystrea.ms/schema/1.0/request", "requested")  # Activity Streams' (cohorts)
RESET = ("https://w3id.org/xapi/dod-isd/verbs/reset", "reset")
RETRACTED = ("http://activitystrea.ms/schema/1.0/retract", "retracted")
SAVED = ("https://w3id.org/xapi/dod-isd/verbs/saved", "saved")
SCORED = ("http://adlnet.gov/expapi/verbs/scored", "scored")
SEARCHED = ("https://w3id.org/xapi/acrossx/verbs/searched", "searched")
SEEKED = ("https://w3id.org/xapi/video/verbs/seeked", "seeked")
SELECTED = ("http://id.tincanapi.com/verb/selected", "selected")
SHARED = ("http://activitystrea.ms/schema/1.0/share", "shared")
SKIPPED = ("http://id.tincanapi.com/verb/skipped", "skipped")
STARTED = ("http://activitystrea.ms/schema/1.0/start", "started")
TERMINATED = ("http://adlnet.gov/expapi/verbs/terminated", "terminated")
UNLIKED = ("http://activitystrea.ms/schema/1.0/unlike", "unliked")
UNREGISTERED = ("http://id.tincanapi.com/verb/unregistered", "unregistered")
UNREPORTED = ("https://w3id.org/xapi/openedx/verb/unreported", "unreported")  # ERB's (forums)
VIEWED = ("http://id.tincanapi.com/verb/viewed", "viewed")
VOTED = ("https://w3id.org/xapi/openedx/verb/voted", "voted")  # ERB's (forums)

# xAPI activity types
ATTEMPT = "http://adlnet.gov/expapi/activities/attempt"
CERTIFICATE = "http://id.tincanapi.com/activitytype/certificate"
CMI_INTERACTION = "http://adlnet.gov/expapi/activities/cmi.interaction"
COLLECTION = "http://activitystrea.ms/schema/1.0/collection"
COURSE = "http://adlnet.gov/expapi/activities/course"
DISCUSSION = "http://id.tincanapi.com/activitytype/discussion"  # ERB's (forums)
DOCUMENT = "http://id.tincanapi.com/activitytype/document"
GROUP = "http://activitystrea.ms/schema/1.0/group"
LINK = "http://adlnet.gov/expapi/activities/link"
MODULE = "http://adlnet.gov/expapi/activities/module"
NOTE = "http://risc-inc.com/annotator/activities/note"  # the PDF Annotator profile's
PAGE = "http://activitystrea.ms/schema/1.0/page"
PRACTICE_ASSESSMENT = "https://w3id.org/xapi/openedx/activity/practice-assessment"  # ERB's (special exams)
PROCTORED_ASSESSMENT = "https://w3id.org/xapi/openedx/activity/proctored-assessment"  # ERB's (special exams)
PROFILE = "http://adlnet.gov/expapi/activities/profile"
QUESTION = "http://adlnet.gov/expapi/activities/question"
RESOURCE = "http://id.tincanapi.com/activitytype/resource"  # ERB's type for course blocks
SOLUTION = "http://id.tincanapi.com/activitytype/solution"
SUPPLEMENTAL_INFO = "https://w3id.org/xapi/acrossx/extensions/supplemental-info"  # ERB's (problem hints)
TIMED_ASSESSMENT = "https://w3id.org/xapi/openedx/activity/timed-assessment"  # ERB's (special exams)
VIDEO = "https://w3id.org/xapi/video/activity-type/video"
WEBPAGE = "https://w3id.org/xapi/acrossx/activities/webpage"

# xAPI extensions
EXT_ATTEMPT_COMPLETED = "https://w3id.org/xapi/openedx/extension/attempt-completed"  # ERB's (special exams)
EXT_ATTEMPT_ID = "http://id.tincanapi.com/extension/attempt-id"
EXT_ATTEMPT_STARTED = "https://w3id.org/xapi/openedx/extension/attempt-started"  # ERB's (special exams)
EXT_CC_ENABLED = "https://w3id.org/xapi/video/extensions/cc-enabled"
EXT_CC_LANGUAGE = "https://w3id.org/xapi/video/extensions/cc-subtitle-lang"
EXT_DURATION = "http://id.tincanapi.com/extension/duration"
EXT_ENDING_POINT = "http://id.tincanapi.com/extension/ending-point"
EXT_FEEDBACK = "https://w3id.org/xapi/openedx/extension/feedback"
EXT_GRADE_CLASSIFICATION = "http://www.tincanapi.co.uk/activitytypes/grade_classification"  # ERB's (grades)
EXT_HIGHLIGHTED = "http://www.risc-inc.com/annotator/extensions/highlightedString"  # the PDF Annotator profile's
EXT_LENGTH = "https://w3id.org/xapi/video/extensions/length"
EXT_POSITION = "http://id.tincanapi.com/extension/position"
EXT_PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"
EXT_SESSION_ID = "https://w3id.org/xapi/openedx/extensions/session-id"
EXT_SPEED = "https://w3id.org/xapi/video/extensions/speed"
EXT_SPEED_FROM = "https://w3id.org/xapi/openedx/extension/speed-from"  # ERB's (video)
EXT_SPEED_TO = "https://w3id.org/xapi/openedx/extension/speed-to"  # ERB's (video)
EXT_STARTING_POSITION = "http://id.tincanapi.com/extension/starting-position"
EXT_TAGS = "http://id.tincanapi.com/extension/tags"
EXT_TIME = "https://w3id.org/xapi/video/extensions/time"
EXT_TIME_FROM = "https://w3id.org/xapi/video/extensions/time-from"
EXT_TIME_LIMIT = "https://w3id.org/xapi/acrossx/extensions/time-limit"
EXT_TIME_TO = "https://w3id.org/xapi/video/extensions/time-to"
EXT_TOTAL_ITEMS = "https://w3id.org/xapi/acrossx/extensions/total-items"  # ERB's count extension
EXT_TRANSFORMER_VERSION = "https://w3id.org/xapi/openedx/extension/transformer-version"
EXT_TYPE = "https://w3id.org/xapi/acrossx/extensions/type"  # ERB's "kind of" extension (e.g. the enrollment mode)
# Extensions of our own, in the namespace event-routing-backends uses for Open edX facts.
OPENEDX_EXTENSION = "https://w3id.org/xapi/openedx/extension/"
# Personal data, sent only to a consumer whose "pii" lists the field (see xapi.py).
EXT_IP = OPENEDX_EXTENSION + "ip"
EXT_USER_AGENT = OPENEDX_EXTENSION + "user-agent"
EXT_REFERER = OPENEDX_EXTENSION + "referer"
EXT_USERNAME = OPENEDX_EXTENSION + "username"

# Caliper
CALIPER_CONTEXT = "http://purl.imsglobal.org/ctx/caliper/v1p2"
