"""``manage.py lms openedx_xapi_replay_dead_letters``: queue dead letters for delivery again.

Use it once the cause is fixed (credentials, an endpoint back up, a mapping fixed).
Each dead letter replayed is deleted; one that fails again comes back with its new
reason. Nothing is ever replayed by itself.
"""
from django.core.management.base import BaseCommand, CommandError

from openedx_xapi.models import DeadLetter
from openedx_xapi.router.tasks import replay_dead_letters


class Command(BaseCommand):
    help = "Queue dead letters (all, or one consumer's, or some ids) for delivery again."

    def add_arguments(self, parser):
        parser.add_argument("--consumer", help="only this consumer's dead letters")
        parser.add_argument("--id", type=int, action="append", dest="ids", help="only this dead letter (repeatable)")
        parser.add_argument("--dry-run", action="store_true", help="say what would be replayed, and replay nothing")

    def handle(self, *args, consumer=None, ids=None, dry_run=False, **options):
        letters = DeadLetter.objects.order_by("created")
        if consumer:
            letters = letters.filter(consumer=consumer)
        if ids:
            letters = letters.filter(id__in=ids)
            missing = set(ids) - set(letters.values_list("id", flat=True))
            if missing:
                raise CommandError(f"no dead letter with id {', '.join(map(str, sorted(missing)))}")
        count = letters.count()
        if dry_run:
            self.stdout.write(f"{count} dead letter(s) would be replayed")
            return
        queued = replay_dead_letters(list(letters))
        self.stdout.write(f"{queued} dead letter(s) queued for delivery again")
