"""Stand-in for edx-platform's ``common.djangoapps.student.models``."""
from django.contrib.auth import get_user_model


def get_potentially_retired_user_by_username(username):
    """The learner with this username (retired learners do not exist in the stand-in)."""
    return get_user_model().objects.get(username=username)
