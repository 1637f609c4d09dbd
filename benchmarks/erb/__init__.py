"""A stand-in LMS for event-routing-backends (ERB), to measure it beside this project.

It runs in its own virtualenv (``.bench/erb-venv``, made by ``benchmarks.run``), since ERB
pins its own versions of Django, Celery and event-tracking; nothing here imports
``openedx_xapi``. ``settings`` configures ERB the way its documentation tells an operator
to, ``celery_app`` is the LMS's Celery app, ``edx_platform/`` holds stand-ins for the
edx-platform modules ERB imports, and ``measure`` is what ``benchmarks.run`` calls.
"""
