"""``manage.py lms openedx_xapi_prune``: old rejections and dead letters are deleted, parked
batches never; the retention comes from the options or the settings, and must be 1 day or more."""
import io
import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from openedx_xapi.models import DeadLetter, ParkedBatch, Rejection

pytestmark = [pytest.mark.django_db]


def rejection(days_old, stage=Rejection.INVALID, event_name="problem_check"):
    row = Rejection.objects.create(stage=stage, consumer="lrs", event_name=event_name, reason="bad",
                                   document="{}")
    Rejection.objects.filter(pk=row.pk).update(created=timezone.now() - timedelta(days=days_old))
    return row.pk


def dead_letter(days_old, consumer="lrs"):
    now = timezone.now()
    row = DeadLetter.objects.create(consumer=consumer, documents=[{"id": "x"}], reason="HTTP 400: no",
                                    status_code=400, first_error_at=now, last_error_at=now)
    DeadLetter.objects.filter(pk=row.pk).update(created=now - timedelta(days=days_old))
    return row.pk


def parked_batch(days_old):
    row = ParkedBatch.objects.create(consumer="lrs", documents=[{"id": "p"}])
    ParkedBatch.objects.filter(pk=row.pk).update(parked_at=timezone.now() - timedelta(days=days_old))
    return row.pk


def prune(*args):
    out = io.StringIO()
    call_command("openedx_xapi_prune", *args, stdout=out)
    return out.getvalue()


def remaining(model):
    return set(model.objects.values_list("pk", flat=True))


def test_the_default_retention_is_30_days_for_rejections_and_90_for_dead_letters():
    young_rejection, old_rejection = rejection(29), rejection(31)
    young_letter, old_letter = dead_letter(89), dead_letter(91)
    parked = {parked_batch(400), parked_batch(1)}

    output = prune()

    assert remaining(Rejection) == {young_rejection}
    assert remaining(DeadLetter) == {young_letter}
    assert remaining(ParkedBatch) == parked  # still to be delivered: never pruned, however old
    assert "1 rejection(s) older than 30 day(s) deleted" in output
    assert "1 dead letter(s) older than 90 day(s) deleted" in output
    assert "2 parked batch(es) kept" in output
    assert old_rejection not in remaining(Rejection) and old_letter not in remaining(DeadLetter)


def test_the_options_override_the_settings_and_the_settings_the_defaults(settings):
    settings.OPENEDX_XAPI = {**settings.OPENEDX_XAPI, "REJECTION_RETENTION_DAYS": 5,
                             "DEAD_LETTER_RETENTION_DAYS": 10}
    kept_rejection, _old_rejection = rejection(4), rejection(6)
    letters = {days: dead_letter(days) for days in (2, 4, 11)}

    output = prune("--dead-letters-days", "3")

    assert remaining(Rejection) == {kept_rejection}  # the setting: 5 days
    assert remaining(DeadLetter) == {letters[2]}  # the option: 3 days
    assert "1 rejection(s) older than 5 day(s) deleted" in output
    assert "2 dead letter(s) older than 3 day(s) deleted" in output


def test_a_dry_run_says_what_it_would_delete_and_deletes_nothing():
    rejections = {rejection(40, stage=Rejection.INVALID), rejection(40, stage=Rejection.INVALID),
                  rejection(50, stage=Rejection.MALFORMED), rejection(1)}
    letters = {dead_letter(100, "lrs"), dead_letter(100, "caliper"), dead_letter(120, "caliper"), dead_letter(5)}

    output = prune("--dry-run")

    assert remaining(Rejection) == rejections and remaining(DeadLetter) == letters
    lines = output.splitlines()
    assert lines[0].startswith("would delete 3 rejection(s) older than 30 day(s) (made before ")
    assert lines[1:3] == ["  stage invalid: 2", "  stage malformed: 1"]
    assert lines[3].startswith("would delete 3 dead letter(s) older than 90 day(s)")
    assert lines[4:6] == ["  consumer caliper: 2", "  consumer lrs: 1"]
    assert "deleted" not in output


def test_more_rows_than_one_chunk_are_all_deleted(monkeypatch):
    from openedx_xapi.management.commands import openedx_xapi_prune
    monkeypatch.setattr(openedx_xapi_prune, "CHUNK", 3)  # a small chunk, rather than thousands of rows
    for _ in range(8):
        rejection(60)
    kept = rejection(2)
    assert "8 rejection(s) older than 30 day(s) deleted" in prune()
    assert remaining(Rejection) == {kept}


@pytest.mark.parametrize("args, message", [
    (["--rejections-days", "0"], "must be 1 or more, not 0"),
    (["--dead-letters-days", "-5"], "must be 1 or more, not -5"),
    (["--rejections-days", "ten"], "must be a whole number, not 'ten'"),
])
def test_zero_negative_or_no_number_of_days_is_a_usage_error(args, message):
    rejection(400)
    with pytest.raises(CommandError, match=message):
        prune(*args)
    assert Rejection.objects.count() == 1  # nothing deleted


@pytest.mark.parametrize("key, value", [("REJECTION_RETENTION_DAYS", 0), ("DEAD_LETTER_RETENTION_DAYS", -1),
                                        ("DEAD_LETTER_RETENTION_DAYS", "90 days"),
                                        ("REJECTION_RETENTION_DAYS", 2.5)])
def test_a_bad_retention_setting_is_named_and_nothing_is_deleted(settings, key, value):
    settings.OPENEDX_XAPI = {**settings.OPENEDX_XAPI, key: value}
    rejection(400)
    dead_letter(400)
    with pytest.raises(CommandError, match=rf"OPENEDX_XAPI\['{key}'\]"):
        prune()
    assert Rejection.objects.count() == 1 and DeadLetter.objects.count() == 1


def test_it_runs_as_an_operator_runs_it(transactional_db, tmp_path):
    """``manage.py openedx_xapi_prune`` in a separate process, on the LMS's settings and database
    (edx-platform's ``manage.py lms`` finds it the same way: a command of an installed app)."""
    from django.db import connection

    from sandbox.services import PROJECT_ROOT
    old, young = rejection(20), rejection(1)
    letter = dead_letter(20)
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(SANDBOX_DB=str(connection.settings_dict["NAME"]), PYTHONPATH=str(PROJECT_ROOT),
               SANDBOX_OPENEDX_XAPI=json.dumps({"REJECTION_RETENTION_DAYS": 14}))
    manage = [sys.executable, str(PROJECT_ROOT / "sandbox" / "manage.py"), "openedx_xapi_prune"]

    refused = subprocess.run([*manage, "--dead-letters-days", "0"], env=env, cwd=tmp_path, capture_output=True,
                             text=True, timeout=120)
    assert refused.returncode == 2, refused.stderr  # argparse's usage error
    assert "usage:" in refused.stderr and "must be 1 or more, not 0" in refused.stderr

    done = subprocess.run(manage, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "1 rejection(s) older than 14 day(s) deleted" in done.stdout
    assert "0 dead letter(s) older than 90 day(s) deleted" in done.stdout
    assert remaining(Rejection) == {young} and old not in remaining(Rejection)
    assert remaining(DeadLetter) == {letter}
