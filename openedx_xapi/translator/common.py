"""Transforms used by many mappings: IRIs of Open edX things."""


def course_iri(course_id, ctx):
    """The activity id of a course run, as event-routing-backends builds it."""
    return f"{ctx.lms_root_url}/course/{course_id}"


def session_iri(session, ctx):
    return f"{ctx.lms_root_url}/sessions/{session}"


def text(value, ctx):
    """A scalar as a string (None for anything that is not a scalar)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    return str(value)
