"""IRIs and names shared by the mappings.

Verb IRIs, activity types and extension IRIs follow event-routing-backends wherever
they are valid, because Open edX analytics (Aspects) queries them.
"""
from openedx_xapi import __version__

TRANSFORMER_VERSION = f"openedx-xapi@{__version__}"

XAPI_VERSIONS = ("1.0.3", "2.0.0")

# xAPI verbs: (id, English display)
REGISTERED = ("http://adlnet.gov/expapi/verbs/registered", "registered")
UNREGISTERED = ("http://id.tincanapi.com/verb/unregistered", "unregistered")

# xAPI activity types
COURSE = "http://adlnet.gov/expapi/activities/course"

# xAPI extensions
EXT_TRANSFORMER_VERSION = "https://w3id.org/xapi/openedx/extension/transformer-version"
EXT_SESSION_ID = "https://w3id.org/xapi/openedx/extensions/session-id"
EXT_ENROLLMENT_MODE = "https://w3id.org/xapi/acrossx/extensions/type"

# Caliper
CALIPER_CONTEXT = "http://purl.imsglobal.org/ctx/caliper/v1p2"
