"""Stage 3: Open edX events to xAPI statements and Caliper events.

``translate(event, protocol, ctx)`` returns the documents for one event, raises
:class:`Unmapped` when no mapping exists for it, and :class:`TranslationError` when the
event lacks what its mapping needs. The mappings themselves live one family per
module in ``families/``.
"""
from openedx_xapi.translator.context import TranslationContext
from openedx_xapi.translator.mapping import TranslationError
from openedx_xapi.translator.registry import mapped_events, mapping_for

PROTOCOLS = ("xapi", "caliper")

__all__ = ["PROTOCOLS", "TranslationContext", "TranslationError", "Unmapped", "is_mapped", "mapped_events",
           "translate"]


class Unmapped(LookupError):
    """No mapping exists for this event and protocol."""


def is_mapped(protocol, event_name):
    return mapping_for(protocol, event_name) is not None


def translate(event, protocol, ctx):
    mapping = mapping_for(protocol, event.name)
    if mapping is None:
        raise Unmapped(f"{event.name} is not mapped to {protocol}")
    return mapping.translate(event, ctx)
