"""A stand-in for edx-platform's ``openedx.core.djangoapps.user_api.accounts.signals``:
the two user-retirement signals the plugin listens to, sent with ``user=``."""
from django.dispatch import Signal

USER_RETIRE_LMS_CRITICAL = Signal()
USER_RETIRE_LMS_MISC = Signal()
