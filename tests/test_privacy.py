"""The PII scan that runs around every test (``pii_scan`` in conftest): proof that it
catches what it must, lets through what a consumer may receive, and fails a test."""
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from openedx_xapi import cli, pipeline
from openedx_xapi.events import parse_event
from openedx_xapi.identity import HmacActorIds
from openedx_xapi.models import ParkedBatch
from openedx_xapi.router import tasks
from openedx_xapi.translator import TranslationContext

from .conftest import LMS, SENSITIVE, PiiScan, SensitiveValues, enrollment_event, scan_lrs_store

CTX = TranslationContext(lms_root_url=LMS, actor_ids=HmacActorIds("test-secret"))
EVENT = parse_event(enrollment_event(user_id=3))  # learner3, 172.18.0.1, Mozilla/5.0, session 44c2...


def document_with(**extensions):
    return [{"actor": {"account": {"homePage": LMS, "name": "0f4c..."}},
             "context": {"extensions": extensions}}]


# --- the registry -------------------------------------------------------------------------

def test_the_fixtures_and_samples_values_are_registered(pii_scan):
    for value in ("learner12", "learner17", "learner42", "10.0.0.1", "10.0.0.17", "172.18.0.1", "Mozilla/5.0",
                  "0123456789abcdef", "44c2f6b53a6aaf210797a56391a443bc", "openedx-password", "caliper-token",
                  "test-secret", "learner3", "session-7"):
        assert pii_scan.sensitive.kinds(value), value
    assert SENSITIVE.kinds("learner42") == {"username"}  # the forums sample's other author
    assert not SENSITIVE.kinds("edx")


def test_values_match_as_whole_tokens_only():
    values = SensitiveValues()
    values.add("ip", "10.0.0.1")
    values.add("username", "learner1")
    assert [v for v, _ in values.find("from 10.0.0.1 by learner1")] == ["10.0.0.1", "learner1"]
    assert list(values.find("from 10.0.0.17 by learner12 or xlearner1")) == []
    assert [v for v, _ in values.find('{"name":"learner1"}')] == ["learner1"]
    values.add("username", "u")  # too short to scan for: it would match everywhere
    assert list(values.find("u")) == []


# --- log lines ------------------------------------------------------------------------------

def test_a_log_line_with_a_learners_detail_is_reported():
    scan = PiiScan()
    for line, value in [("openedx_xapi: rejected event of learner12", "learner12"),
                        ("openedx_xapi: request from 172.18.0.1 failed", "172.18.0.1"),
                        ("openedx_xapi: POST with password openedx-password", "openedx-password"),
                        ("openedx_xapi: token caliper-token refused", "caliper-token")]:
        found = scan.check_log_text(line)
        assert len(found) == 1 and repr(value) in found[0], (line, found)
    assert scan.check_log_text("openedx_xapi: delivered 3 document(s) to ralph") == []


def test_log_records_of_the_plugin_are_collected_and_checked(pii_scan):
    logging.getLogger("openedx_xapi.router.tasks").debug("something about %s", "learner12")
    logging.getLogger("unrelated").warning("learner12 elsewhere is not ours")
    try:
        raise ValueError("session 44c2f6b53a6aaf210797a56391a443bc")
    except ValueError:
        logging.getLogger("openedx_xapi").exception("failed")
    assert pii_scan.log_lines[0] == "something about learner12"
    assert "44c2f6b53a6aaf210797a56391a443bc" in pii_scan.log_lines[1]  # the traceback is checked too
    assert len(pii_scan.log_lines) == 2
    found = pii_scan.check_logs()
    assert any("'learner12'" in f for f in found) and any("'44c2f6b53a6aaf210797a56391a443bc'" in f for f in found)
    assert not any("elsewhere" in f for f in found)
    pii_scan.findings.clear()  # this test's leaks were on purpose
    pii_scan.log_lines.clear()


def test_a_worker_log_file_is_checked_line_by_line(tmp_path):
    log = tmp_path / "celery-worker.log"
    log.write_text("[INFO] worker ready.\n[WARNING] openedx_xapi: failed for learner7 from 10.0.0.1\n")
    found = PiiScan().check_log_file(log)
    assert len(found) == 2 and all(str(log) in finding for finding in found)
    assert PiiScan().check_log_file(tmp_path / "missing.log") == []


# --- documents ------------------------------------------------------------------------------

def test_a_document_with_a_detail_its_consumer_did_not_ask_for_is_reported():
    from dataclasses import replace
    scan = PiiScan()
    leaky = document_with(username="learner3", ip="172.18.0.1")
    found = scan.check_documents(leaky, EVENT, CTX)
    assert len(found) == 2 and "'learner3'" in found[0] and "'172.18.0.1'" in found[1]
    assert scan.check_documents(leaky, EVENT, replace(CTX, pii=frozenset({"username", "ip"}))) == []
    assert len(scan.check_documents(leaky, EVENT, replace(CTX, pii=frozenset({"ip"})))) == 1
    # The identity that needs it lets the learner's username through, as the actor.
    assert scan.check_documents(document_with(username="learner3"), EVENT,
                                replace(CTX, identity="username", pii=frozenset({"username"}))) == []


def test_another_learners_details_are_reported_even_for_a_consumer_that_lists_the_field():
    from dataclasses import replace
    scan = PiiScan()
    ctx = replace(CTX, pii=frozenset({"username", "ip", "email"}))
    found = scan.check_documents(document_with(author="learner42", ip="10.0.0.17"), EVENT, ctx)
    assert len(found) == 2


def test_secrets_are_reported_in_any_document():
    from dataclasses import replace
    scan = PiiScan()
    ctx = replace(CTX, pii=frozenset({"username", "ip", "email", "session", "user_agent", "referer"}))
    assert len(scan.check_documents(document_with(x="test-secret", y="openedx-password"), EVENT, ctx)) == 2


def test_an_events_own_details_count_even_if_no_fixture_registered_them():
    scan = PiiScan()
    raw = enrollment_event(user_id=3, ip="198.51.100.23", agent="Agent/7.1 (private)", session="s-0c2b9e61a7")
    found = scan.check_documents(document_with(a="198.51.100.23", b="Agent/7.1 (private)", c="s-0c2b9e61a7"),
                                 parse_event(raw), CTX)
    assert len(found) == 3


def test_the_spy_sees_what_every_caller_of_documents_for_makes(pii_scan):
    assert pipeline.documents_for is cli.documents_for is tasks.documents_for
    assert pipeline.documents_for.spied.__module__ == "openedx_xapi.pipeline"
    seen = pii_scan.documents_seen
    documents = tasks.documents_for(EVENT, "xapi", CTX)
    assert documents == pipeline.documents_for.spied(EVENT, "xapi", CTX)  # a pass-through
    assert pii_scan.documents_seen == seen + 1
    assert pii_scan.findings == []


# --- it fails the test ----------------------------------------------------------------------

def test_what_an_lrs_stored_is_scanned_too(tmp_path, use_consumers, db):
    """Statements made in a Celery worker escape the spy: the ``ralph`` fixture scans what the
    LRS stored, allowing only what the test's consumers may receive."""
    store = tmp_path / "fs_lrs.jsonl"
    store.write_text('{"id": "1", "actor": {"account": {"name": "learner-grace"}}}\n'
                     '{"id": "2", "context": {"extensions": {"https://x.example/ip": "172.18.0.1"}}}\n')
    scan = PiiScan()
    scan.sensitive.add("username", "learner-grace")
    scan.sensitive.add("ip", "172.18.0.1")
    use_consumers({"name": "lrs", "protocol": "xapi", "url": "http://127.0.0.1:9/xAPI/",
                   "auth": {"type": "basic", "username": "u", "password": "p"}, "pii": ["ip"]})

    scan_lrs_store(scan, store)

    assert len(scan.findings) == 1 and "learner-grace" in scan.findings[0]  # the IP was allowed


def test_a_test_that_leaks_fails(tmp_path):
    """Run two tests in a separate pytest, with the project's fixtures: the one that logs a
    learner's username and the one whose document holds a session id fail; the clean one passes."""
    (tmp_path / "conftest.py").write_text("from tests.conftest import *  # noqa: F401,F403\n")
    (tmp_path / "test_leaks.py").write_text(textwrap.dedent('''
        import logging
        from openedx_xapi.events import parse_event
        from openedx_xapi.identity import HmacActorIds
        from openedx_xapi.pipeline import documents_for
        from openedx_xapi.translator import TranslationContext
        from tests.conftest import enrollment_event

        def test_logs_a_username():
            logging.getLogger("openedx_xapi.backend").warning("could not queue the event of learner3")

        def test_documents_with_a_session_the_consumer_did_not_ask_for(pii_scan):
            pii_scan.sensitive.add("session", "c0ffee00c0ffee00")
            ctx = TranslationContext(lms_root_url="http://localhost:18000", actor_ids=HmacActorIds("k"))
            [document] = documents_for(parse_event(enrollment_event()), "xapi", ctx)
            pii_scan.check_documents([{**document, "leak": "c0ffee00c0ffee00"}], parse_event(enrollment_event()), ctx)

        def test_clean():
            logging.getLogger("openedx_xapi").info("delivered 1 document(s)")
    '''))
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", str(root / "setup.cfg"),
         "--rootdir", str(tmp_path), str(tmp_path / "test_leaks.py")],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])})
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "3 passed" in output and "2 errors" in output, output  # the teardown fails, not the test body
    assert "ERROR test_leaks.py::test_logs_a_username" in output
    assert "ERROR test_leaks.py::test_documents_with_a_session" in output
    assert "test_clean" not in output
    assert "username 'learner3' in 'could not queue the event of learner3'" in output
    assert "holds session 'c0ffee00c0ffee00'" in output


# --- retirement: a learner who asks to be forgotten -----------------------------------------

STUB = Path(__file__).resolve().parent / "edx_platform_stub"


@pytest.fixture
def edx_platform_signals(monkeypatch):
    """edx-platform's retirement signals, from the stub package on sys.path, connected as the
    plugin connects them; everything taken away again afterwards."""
    from openedx_xapi import platform, retirement
    platform._external_id_model.cache_clear()  # pylint: disable=protected-access
    assert platform.retirement_signals() == ()  # no edx-platform here ...
    monkeypatch.syspath_prepend(str(STUB))
    signals = platform.retirement_signals()  # ... until the stub is on the path
    retirement.connect(signals)
    yield signals
    for signal in signals:
        signal.disconnect(dispatch_uid=f"openedx_xapi.retire.{id(signal)}")
    for name in [n for n in sys.modules if n == "openedx" or n.startswith("openedx.")]:
        del sys.modules[name]
    platform._external_id_model.cache_clear()  # pylint: disable=protected-access


def keep_rows_about(user_id):
    """What the plugin keeps about a learner: anonymous ids, rejections and dead letters."""
    from django.utils import timezone

    from openedx_xapi.models import ActorId, DeadLetter, Rejection
    for kind in ("xapi", "caliper"):
        ActorId.objects.create(user_id=user_id, kind=kind)
    Rejection.objects.create(stage="invalid", reason="r", consumer="c", user_id=user_id, document="{}")
    Rejection.objects.create(stage="untranslatable", reason="r", consumer="c", user_id=user_id, document="{}")
    DeadLetter.objects.create(consumer="c", documents=[{}], reason="HTTP 500", user_id=user_id,
                              first_error_at=timezone.now(), last_error_at=timezone.now())


def rows_about(user_id):
    from openedx_xapi.models import ActorId, DeadLetter, Rejection
    return (ActorId.objects.filter(user_id=user_id).count(), Rejection.objects.filter(user_id=user_id).count(),
            DeadLetter.objects.filter(user_id=user_id).count())


def park_batches(*owners_of_batches):
    """Batches parked for a consumer that is down, as circuit.park keeps them: each a list of
    documents and, in the same order, whose each is. Returns the rows."""
    from openedx_xapi.router import circuit
    before = set(ParkedBatch.objects.values_list("pk", flat=True))
    for owners in owners_of_batches:
        documents = [{"id": f"doc-{index}-of-{owner}", "actor": {"account": {"name": f"anon-{owner}"}}}
                     for index, owner in enumerate(owners)]
        circuit.park("lrs-down", documents, owners)
    return list(ParkedBatch.objects.exclude(pk__in=before).order_by("pk"))


def parked_documents_of(user_id):
    return [document for batch in ParkedBatch.objects.all()
            for document, owner in zip(batch.documents, batch.user_ids, strict=True) if owner == user_id]


def test_edx_platforms_retirement_signals_forget_that_learner_only(edx_platform_signals, make_learner):
    critical, misc = edx_platform_signals
    from openedx.core.djangoapps.user_api.accounts import signals  # the stub, as the plugin found it
    assert (critical, misc) == (signals.USER_RETIRE_LMS_CRITICAL, signals.USER_RETIRE_LMS_MISC)
    ada, alan = make_learner("learner-ada"), make_learner("learner-alan")
    keep_rows_about(ada.id)
    keep_rows_about(alan.id)
    from openedx_xapi.models import Rejection
    Rejection.objects.create(stage="malformed", reason="no timestamp", document="{")  # about nobody

    critical.send(sender=None, user=ada)
    assert rows_about(ada.id) == (0, 0, 0)
    assert rows_about(alan.id) == (2, 2, 1)
    assert Rejection.objects.filter(user_id=None).count() == 1

    misc.send(sender=None, user=alan)
    assert rows_about(alan.id) == (0, 0, 0)
    assert Rejection.objects.filter(user_id=None).count() == 1


def test_a_retired_learner_who_comes_back_is_a_new_anonymous_actor(edx_platform_signals, make_learner):
    from openedx_xapi.identity import StoredActorIds
    critical, _misc = edx_platform_signals
    ada = make_learner("learner-ada")
    event = parse_event(enrollment_event(user_id=ada.id, username=ada.username))
    before = StoredActorIds().actor_id(event, "xapi")
    assert StoredActorIds().actor_id(event, "xapi") == before
    critical.send(sender=None, user=ada)
    assert StoredActorIds().actor_id(event, "xapi") != before


def test_a_retirement_signal_without_a_user_forgets_nobody(edx_platform_signals, db):
    keep_rows_about(5)
    for signal in edx_platform_signals:
        signal.send(sender=None)
        signal.send(sender=None, user=None)
    assert rows_about(5) == (2, 2, 1)


def test_documents_of_an_event_naming_its_learner_by_username_only_are_filed_under_their_id(
        make_learner, use_consumers):
    """An event whose context names the learner by username alone (no user id): what is kept
    of it for a consumer that cannot take it (parked, dead-lettered) must still be found by
    the learner's retirement."""
    ada = make_learner("learner-ada")
    use_consumers({"name": "lrs", "protocol": "xapi", "url": "http://127.0.0.1:9/xAPI/",
                   "auth": {"type": "basic", "username": "u", "password": "p"}})
    event = enrollment_event(user_id=None, username="learner-ada")
    event["data"]["user_id"] = None

    outbox = tasks.prepare([(event, ["lrs"])])

    documents, owners, _ids, _emitted = outbox["lrs"]
    assert len(documents) == 1 and owners == [ada.id]


def test_the_retire_user_command(db):
    import io

    from django.core.management import CommandError, call_command
    keep_rows_about(7)
    keep_rows_about(8)
    park_batches([7, 8, 7])
    out = io.StringIO()
    call_command("openedx_xapi_retire_user", "7", stdout=out)
    assert out.getvalue().strip() == "7 row(s) deleted for user 7"  # 2 ids, 2 rejections, 1 letter, 2 parked
    assert rows_about(7) == (0, 0, 0) and rows_about(8) == (2, 2, 1)
    assert parked_documents_of(7) == [] and len(parked_documents_of(8)) == 1
    out = io.StringIO()
    call_command("openedx_xapi_retire_user", "7", stdout=out)
    assert out.getvalue().strip() == "0 row(s) deleted for user 7"
    with pytest.raises(CommandError):
        call_command("openedx_xapi_retire_user", "learner-ada")
    assert rows_about(8) == (2, 2, 1)


def test_a_retired_learners_parked_documents_go_and_the_others_stay(edx_platform_signals, make_learner):
    """Batches parked while a consumer is down hold several learners' documents: retiring one
    takes only theirs out, a batch of theirs alone goes, and the rest is still sent later."""
    critical, _misc = edx_platform_signals
    ada, alan = make_learner("learner-ada"), make_learner("learner-alan")
    mixed, ada_only, alan_only = park_batches([ada.id, alan.id, ada.id, None], [ada.id], [alan.id, alan.id])
    assert len(parked_documents_of(ada.id)) == 3

    critical.send(sender=None, user=ada)

    assert parked_documents_of(ada.id) == []
    assert not ParkedBatch.objects.filter(pk=ada_only.pk).exists()
    mixed.refresh_from_db()
    assert mixed.user_ids == [alan.id, None]
    assert [d["id"] for d in mixed.documents] == [f"doc-1-of-{alan.id}", "doc-3-of-None"]
    alan_only.refresh_from_db()
    assert len(alan_only.documents) == 2 and len(parked_documents_of(alan.id)) == 3


def test_a_parked_batch_whose_owners_are_unknown_goes_whole(db):
    """A batch whose list of owners does not match its documents cannot say which are the
    learner's: when it names the retired learner, it goes whole rather than keep theirs."""
    from openedx_xapi.retirement import retire_learner
    [batch] = park_batches([5, 6])
    ParkedBatch.objects.filter(pk=batch.pk).update(user_ids=[5])
    [other] = park_batches([6])
    assert retire_learner(5) == 2
    assert list(ParkedBatch.objects.values_list("pk", flat=True)) == [other.pk]
