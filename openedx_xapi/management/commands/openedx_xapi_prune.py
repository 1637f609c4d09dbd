"""``manage.py lms openedx_xapi_prune``: delete old rejections and dead letters.

Both are kept for an operator to look into (and dead letters to replay), and both hold
learner data; without a limit they would grow for ever. Run this daily, from cron or a
scheduled job: it deletes rejections older than ``REJECTION_RETENTION_DAYS`` (30) and
dead letters older than ``DEAD_LETTER_RETENTION_DAYS`` (90), counted from when each row
was made. Parked batches are never deleted: they are documents still to be delivered.
"""
from argparse import ArgumentTypeError
from collections import Counter
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from openedx_xapi import conf
from openedx_xapi.models import DeadLetter, ParkedBatch, Rejection

# Rows deleted per statement: a short lock each time, rather than one long one on a big table.
CHUNK = 1000


def positive_days(value):
    """An ``argparse`` type: a whole number of days, at least 1. (Django's parser turns the error
    into a usage error: exit status 2 on the command line, a ``CommandError`` from ``call_command``.)"""
    if isinstance(value, str) and value.strip().removeprefix("-").isdigit():
        days = int(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        days = value
    else:
        raise ArgumentTypeError(f"the number of days must be a whole number, not {value!r}")
    if days < 1:
        raise ArgumentTypeError(f"the number of days must be 1 or more, not {days}")
    return days


class Command(BaseCommand):
    help = ("Delete rejections and dead letters older than their retention (REJECTION_RETENTION_DAYS, "
            "DEAD_LETTER_RETENTION_DAYS). Parked batches are never deleted.")

    def add_arguments(self, parser):
        parser.add_argument(
            "--rejections-days", type=positive_days, metavar="DAYS",
            help="delete rejections older than this many days (default: REJECTION_RETENTION_DAYS, "
                 f"{conf.DEFAULTS['REJECTION_RETENTION_DAYS']} unless set)")
        parser.add_argument(
            "--dead-letters-days", type=positive_days, metavar="DAYS",
            help="delete dead letters older than this many days (default: DEAD_LETTER_RETENTION_DAYS, "
                 f"{conf.DEFAULTS['DEAD_LETTER_RETENTION_DAYS']} unless set)")
        parser.add_argument("--dry-run", action="store_true", help="say what would be deleted, and delete nothing")

    def handle(self, *args, rejections_days=None, dead_letters_days=None, dry_run=False, **options):
        # A bad setting is the operator's to fix too: say which one, before anything is deleted.
        if rejections_days is None:
            rejections_days = self._setting("REJECTION_RETENTION_DAYS")
        if dead_letters_days is None:
            dead_letters_days = self._setting("DEAD_LETTER_RETENTION_DAYS")
        now = timezone.now()
        targets = (
            ("rejection(s)", Rejection, rejections_days, "stage"),
            ("dead letter(s)", DeadLetter, dead_letters_days, "consumer"),
        )
        for label, model, days, breakdown in targets:
            cutoff = now - timedelta(days=days)
            old = model.objects.filter(created__lt=cutoff)
            if dry_run:
                self._describe(label, old, days, cutoff, breakdown)
            else:
                deleted = self._delete(model, old)
                self.stdout.write(f"{deleted} {label} older than {days} day(s) deleted")
        kept = ParkedBatch.objects.count()
        self.stdout.write(f"{kept} parked batch(es) kept (never pruned: they are still to be delivered)")

    @staticmethod
    def _setting(key):
        try:
            return positive_days(conf.get(key))
        except ArgumentTypeError as error:
            raise CommandError(f"OPENEDX_XAPI[{key!r}]: {error}") from None

    def _describe(self, label, old, days, cutoff, breakdown):
        counts = Counter(old.values_list(breakdown, flat=True))
        total = sum(counts.values())
        self.stdout.write(f"would delete {total} {label} older than {days} day(s) "
                          f"(made before {cutoff:%Y-%m-%d %H:%M:%S} UTC)")
        for key, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            self.stdout.write(f"  {breakdown} {key or '-'}: {count}")

    @staticmethod
    def _delete(model, old):
        """Delete ``old`` a chunk at a time; the number of rows deleted."""
        deleted = 0
        while True:
            ids = list(old.order_by("pk").values_list("pk", flat=True)[:CHUNK])
            if not ids:
                return deleted
            deleted += model.objects.filter(pk__in=ids).delete()[0]
