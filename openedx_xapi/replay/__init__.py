"""Replay history: tracking logs to any consumer, resumable, with progress.

``openedx-xapi replay`` and ``manage.py lms openedx_xapi_replay`` both run
:mod:`~openedx_xapi.replay.command`, which puts together:

* :mod:`~openedx_xapi.replay.sources`: files, folders, globs, ``.gz``, standard input, S3;
* :mod:`~openedx_xapi.replay.selection`: dates, courses, organisations, event names;
* :mod:`~openedx_xapi.replay.translation`: the same ``documents_for`` as the router,
  in worker processes when no database is needed;
* :mod:`~openedx_xapi.replay.destinations`: a consumer through the router, files, or nothing;
* :mod:`~openedx_xapi.replay.checkpoint`: where it stands, to resume;
* :mod:`~openedx_xapi.replay.progress`: a bar, log lines, the counts;
* :mod:`~openedx_xapi.replay.engine`: the loop, batches, rate limit and Ctrl-C.

See ``docs/replay.rst``.
"""
