"""The one place that imports edx-platform code.

Everything else in the plugin runs on plain Django, so the tests and the command line
work without edx-platform. Each function here falls back to the plugin's own behaviour
when edx-platform is not installed.
"""
import functools
import logging

log = logging.getLogger(__name__)


@functools.cache
def _external_id_model():
    """edx-platform's ExternalId model, or None outside edx-platform."""
    try:
        from openedx.core.djangoapps.external_user_ids.models import ExternalId  # pylint: disable=import-error
    except ImportError:
        return None
    return ExternalId


def in_edx_platform():
    return _external_id_model() is not None


def external_user_id(user_id, kind):
    """edx-platform's anonymous id of the user for ``kind`` ("xapi" or "caliper").

    Returns None outside edx-platform, or when the user does not exist.
    """
    model = _external_id_model()
    if model is None:
        return None
    from django.contrib.auth import get_user_model
    user = get_user_model().objects.filter(id=user_id).first()
    if user is None:
        return None
    external_id, _created = model.add_new_user_id(user, kind)
    if external_id is None:  # the LMS has no ExternalIdType of this name
        log.warning("openedx_xapi: edx-platform has no ExternalIdType %r; using the plugin's own ids", kind)
        return None
    return str(external_id.external_user_id)


def external_user_ids(user_ids, kind):
    """{user id: edx-platform's anonymous id} of those users that already have one for
    ``kind``, in one query; None outside edx-platform."""
    model = _external_id_model()
    if model is None:
        return None
    rows = model.objects.filter(user_id__in=list(user_ids), external_id_type__name=kind)
    return {user_id: str(external) for user_id, external in rows.values_list("user_id", "external_user_id")}


def learner_of_external_id(external_user_id):
    """``(user id, kind)`` of an edx-platform anonymous id (a UUID), without creating
    anything; None when there is none, or outside edx-platform."""
    model = _external_id_model()
    if model is None:
        return None
    return model.objects.filter(external_user_id=external_user_id).values_list(
        "user_id", "external_id_type__name").first()


def user_id_for_username(username):
    """The id of the LMS user with this username, or None."""
    from django.contrib.auth import get_user_model
    return get_user_model().objects.filter(username=username).values_list("id", flat=True).first()


def username_of(user_id):
    """The username of the LMS user with this id, or None."""
    from django.contrib.auth import get_user_model
    return get_user_model().objects.filter(id=user_id).values_list("username", flat=True).first()


def email_of(user_id):
    """The email address of the LMS user with this id, or None (also when it is empty)."""
    from django.contrib.auth import get_user_model
    return get_user_model().objects.filter(id=user_id).values_list("email", flat=True).first() or None


def retirement_signals():
    """edx-platform's user-retirement signals (sent with ``user=``), or () outside it."""
    try:
        from openedx.core.djangoapps.user_api.accounts.signals import (  # pylint: disable=import-error
            USER_RETIRE_LMS_CRITICAL,
            USER_RETIRE_LMS_MISC,
        )
    except ImportError:
        return ()
    return (USER_RETIRE_LMS_CRITICAL, USER_RETIRE_LMS_MISC)
