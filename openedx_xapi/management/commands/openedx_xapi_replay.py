"""``manage.py lms openedx_xapi_replay``: replay tracking logs to a consumer, inside the LMS.

The same engine and options as ``openedx-xapi replay`` (see ``docs/replay.rst``), with
the LMS's settings and database: configured consumers (``--consumer``), the LMS's
anonymous actor ids, dead letters and rejections in its tables.

    ./manage.py lms openedx_xapi_replay --consumer lrs --since 2024-03-01 /edx/var/log/tracking/
"""
import sys

from django.core.management.base import BaseCommand, CommandError

from openedx_xapi.replay.command import EXIT_OK, ReplayUsageError, add_arguments, run


class Command(BaseCommand):
    help = "Replay tracking logs (files, folders, .gz, stdin, S3) to a consumer or into files, resumably."

    def add_arguments(self, parser):
        add_arguments(parser, standalone=False)

    def handle(self, *args, **options):
        stderr = getattr(self.stderr, "_out", sys.stderr)  # the real stream: the progress bar rewrites its line
        try:
            code = run(options, stdin=sys.stdin.buffer, stderr=stderr, in_lms=True)
        except ReplayUsageError as error:
            raise CommandError(str(error), returncode=2) from None
        if code != EXIT_OK:
            raise CommandError({
                130: "interrupted: run the same command again to resume",
                75: "the consumer stayed unreachable longer than --max-wait: run the same command again to resume",
            }.get(code, "some documents were dead-lettered (see the dead-letter store)"), returncode=code)
