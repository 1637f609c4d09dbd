"""The stand-in LMS (settings, Celery app, urls) and the services the tests and the demo run."""
# As in edx-platform's lms/__init__.py: the Celery app is made current on import, so
# that @shared_task tasks publish to its broker.
from sandbox.celery_app import app as celery_app  # noqa: F401
