"""Filter, translate and validate one event for one consumer: the work between the
backend and the router, shared by the Celery worker and the command line."""
import logging

import orjson

from openedx_xapi.identity import UnknownLearner
from openedx_xapi.translator import TranslationError, Unmapped, translate
from openedx_xapi.validator import validate

log = logging.getLogger(__name__)


class Skipped(Exception):
    """Nothing to send, and nothing wrong: e.g. an unmapped event, a guest learner."""


class Rejected(Exception):
    """The event or its document cannot be sent; ``stage`` and the message say why."""

    def __init__(self, stage, reason, document=None):
        super().__init__(reason)
        self.stage = stage
        self.reason = reason
        self.document = document


def documents_for(event, protocol, ctx):
    """The validated documents for ``event``, or raise :class:`Skipped` / :class:`Rejected`."""
    if event.is_guest and not ctx.guests:
        raise Skipped("guest learner (no user id or username)")
    try:
        documents = translate(event, protocol, ctx)
    except Unmapped as error:
        raise Skipped(str(error)) from None
    except (TranslationError, UnknownLearner) as error:
        raise Rejected("untranslatable", str(error)) from None
    except Exception as error:  # pylint: disable=broad-except
        # A mapping met a value it did not expect: reject this event, keep the others.
        log.warning("openedx_xapi: %s could not be translated", event.name, exc_info=True)
        raise Rejected("untranslatable", f"{type(error).__name__}: {error}") from None
    for document in documents:
        problems = validate(document, protocol, ctx.xapi_version)
        if problems:
            raise Rejected("invalid", "; ".join(problems), document)
        try:
            orjson.dumps(document)
        except TypeError as error:  # e.g. an integer beyond 64 bits, which no consumer could read
            raise Rejected("invalid", f"not serialisable as JSON: {error}") from None
    return documents
