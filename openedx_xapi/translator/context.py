"""What a translation needs to know besides the event: who it is for."""
from dataclasses import dataclass, field

from openedx_xapi.translator.vocabulary import XAPI_VERSIONS


@dataclass(frozen=True)
class TranslationContext:
    lms_root_url: str
    actor_ids: object  # an identity resolver, see openedx_xapi.identity
    xapi_version: str = "1.0.3"
    pii: frozenset = field(default_factory=frozenset)
    guests: bool = False  # send guests' events, with a session-scoped anonymous actor
    identity: str = "anonymous"  # see openedx_xapi.identity.learner
    identity_secret: str = field(default="", repr=False)

    def __post_init__(self):
        if self.xapi_version not in XAPI_VERSIONS:
            raise ValueError(f"xAPI version must be one of {', '.join(XAPI_VERSIONS)}")
        object.__setattr__(self, "lms_root_url", self.lms_root_url.rstrip("/"))
