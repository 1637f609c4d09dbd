"""The stand-in LMS's Celery app, configured like edx-platform's (lms/celery.py)."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.erb.settings")

app = Celery("erb_bench")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
