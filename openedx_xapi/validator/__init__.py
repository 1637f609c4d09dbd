"""Stage 4: every document is checked against its standard before it leaves.

``validate(document, protocol, xapi_version)`` returns the list of problems (empty when
the document is valid). The router quarantines a document with problems, with them as
its reason, and never sends it.
"""
from openedx_xapi.validator.caliper import validate_envelope, validate_event
from openedx_xapi.validator.xapi import XAPI_VERSIONS, validate_statement

__all__ = ["XAPI_VERSIONS", "validate", "validate_envelope", "validate_event", "validate_statement"]


def validate(document, protocol, xapi_version="1.0.3"):
    if protocol == "xapi":
        return validate_statement(document, xapi_version)
    if protocol == "caliper":
        return validate_event(document)
    return [f"unknown protocol {protocol!r}"]
