"""``manage.py lms openedx_xapi_retire_user USER_ID``: forget a learner by hand.

edx-platform's retirement pipeline does this by itself through its signals; this is
for sites that retire learners some other way.
"""
from django.core.management.base import BaseCommand

from openedx_xapi.retirement import retire_learner


class Command(BaseCommand):
    help = "Delete the plugin's anonymous ids of a learner and every kept document about them."

    def add_arguments(self, parser):
        parser.add_argument("user_id", type=int)

    def handle(self, *args, user_id, **options):
        deleted = retire_learner(user_id)
        self.stdout.write(f"{deleted} row(s) deleted for user {user_id}")
