"""The openedx-xapi command line."""
import gzip
import io
import json
import subprocess
import sys

import pytest

from openedx_xapi.cli import main
from openedx_xapi.validator import validate_event, validate_statement

from .conftest import enrollment_event
from .test_events import tracking_log_line

ARGS = ["--lms-url", "http://localhost:18000", "--secret", "s3cret"]


def run(argv, stdin=b""):
    out, err = io.BytesIO(), io.StringIO()
    code = main(argv, stdin=io.BytesIO(stdin), stdout=out, stderr=err)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    return code, lines, err.getvalue()


def ndjson(*events):
    return "".join(json.dumps(e) + "\n" for e in events).encode()


def test_translate_stdin_to_xapi():
    code, lines, err = run(["translate", "--to", "xapi", *ARGS], ndjson(enrollment_event(), enrollment_event(
        name="edx.course.enrollment.deactivated")))
    assert code == 0
    assert [s["verb"]["display"]["en"] for s in lines] == ["registered", "unregistered"]
    assert all(validate_statement(s) == [] for s in lines)
    assert "translated: 2, skipped as unmapped: 0, skipped as guest: 0, rejected: 0" in err


def test_translate_files_and_gz_to_caliper(tmp_path):
    plain = tmp_path / "events.ndjson"
    plain.write_bytes(ndjson(enrollment_event()))
    packed = tmp_path / "tracking.log.gz"
    with gzip.open(packed, "wt") as stream:
        stream.write(tracking_log_line() + "\n" + tracking_log_line(prefix=False, event_as_string=True) + "\n")
    code, lines, err = run(["translate", "--to", "caliper", *ARGS, str(plain), str(packed)])
    assert code == 0, err
    assert len(lines) == 3
    assert all(validate_event(e) == [] for e in lines)
    # The same log line with its payload as a string is the same event: same id.
    assert lines[1]["id"] == lines[2]["id"]


def test_bad_lines_are_reported_with_their_number_and_the_rest_goes_on(tmp_path):
    source = tmp_path / "mixed.log"
    unmapped = dict(enrollment_event(), name="edx.unknown.event")
    guest = enrollment_event(user_id=None, username="")
    guest["data"].pop("user_id")
    source.write_text("\n".join([json.dumps(enrollment_event()), "{not json", json.dumps(unmapped), "",
                                 json.dumps({"name": "edx.course.enrollment.activated", "data": {}}),
                                 json.dumps(guest), json.dumps(enrollment_event(mode="verified"))]) + "\n")
    code, lines, err = run(["translate", "--to", "xapi", *ARGS, str(source)])
    assert code == 1
    assert len(lines) == 2
    assert f"{source}:2: rejected: malformed event: invalid JSON" in err
    assert f"{source}:5: rejected: malformed event: missing timestamp" in err
    assert "translated: 2, skipped as unmapped: 1, skipped as guest: 1, rejected: 2" in err


def test_same_secret_same_actor_other_secret_other_actor():
    _, [first], _ = run(["translate", "--to", "xapi", *ARGS], ndjson(enrollment_event()))
    _, [again], _ = run(["translate", "--to", "xapi", *ARGS], ndjson(enrollment_event()))
    _, [other], _ = run(["translate", "--to", "xapi", "--lms-url", "http://localhost:18000", "--secret", "x"],
                        ndjson(enrollment_event()))
    assert first == again
    assert first["actor"] != other["actor"]
    assert first["id"] == other["id"]  # the id depends on the event, not on who receives it


@pytest.mark.parametrize("argv, message", [
    (["translate", "--to", "xapi", "--secret", "s"], "LMS root URL is needed"),
    (["translate", "--to", "xapi", "--lms-url", "http://x"], "anonymization secret is needed"),
    (["translate", "--to", "xapi", "--lms-url", "ftp://x", "--secret", "s"], "must be an http"),
    (["translate", "--to", "xapi", *ARGS, "/no/such/file"], "no such file"),
])
def test_usage_errors_exit_2(argv, message, monkeypatch):
    monkeypatch.delenv("OPENEDX_XAPI_SECRET", raising=False)
    monkeypatch.delenv("OPENEDX_XAPI_LMS_URL", raising=False)
    code, _, err = run(argv)
    assert code == 2
    assert message in err


def test_unknown_protocol_is_a_usage_error():
    with pytest.raises(SystemExit) as exit_info:
        run(["translate", "--to", "json"])
    assert exit_info.value.code == 2


def test_list_mapped_events():
    out, err = io.BytesIO(), io.StringIO()
    code = main(["translate", "--to", "caliper", "--list"], stdout=out, stderr=err)
    names = out.getvalue().decode().split()
    assert code == 0
    assert "edx.course.enrollment.activated" in names
    assert f"{len(names)} event names mapped to caliper" in err.getvalue()


def test_validate_command():
    good = run(["translate", "--to", "xapi", *ARGS], ndjson(enrollment_event()))[1][0]
    bad = dict(good, id="not-a-uuid")
    code, _, err = run(["validate", "--as", "xapi"], ndjson(good, bad) + b"{oops\n")
    assert code == 1
    assert "<stdin>:2: invalid: id" in err
    assert "<stdin>:3: invalid: invalid JSON" in err
    assert "valid: 1, invalid: 2" in err


def test_console_script_is_installed(tmp_path):
    """The entry point works as a user runs it: a separate process, reading stdin."""
    bin_dir = __import__("pathlib").Path(sys.executable).parent
    result = subprocess.run([str(bin_dir / "openedx-xapi"), "translate", "--to", "xapi", *ARGS, "-"],
                            input=ndjson(enrollment_event()), capture_output=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert validate_statement(json.loads(result.stdout)) == []


def test_docs_in_the_repository_match_the_registry():
    """docs/event-mapping/ is generated from the registry: it must not drift from the code."""
    from pathlib import Path
    folder = Path(__file__).resolve().parent.parent / "docs" / "event-mapping"
    err = io.StringIO()
    code = main(["docs", "--check", "--output", str(folder)], stderr=err)
    assert code == 0, err.getvalue()


def test_docs_are_written_and_checked(tmp_path):
    err = io.StringIO()
    assert main(["docs", "--output", str(tmp_path)], stderr=err) == 0
    assert (tmp_path / "index.rst").exists() and (tmp_path / "enrollment.rst").exists()
    assert "edx.course.enrollment.activated" in (tmp_path / "enrollment.rst").read_text()
    assert main(["docs", "--check", "--output", str(tmp_path)], stderr=io.StringIO()) == 0
    (tmp_path / "enrollment.rst").write_text("stale")
    (tmp_path / "gone.rst").write_text("old family")
    err = io.StringIO()
    assert main(["docs", "--check", "--output", str(tmp_path)], stderr=err) == 1
    assert "enrollment.rst: out of date" in err.getvalue() and "gone.rst: out of date" in err.getvalue()


def guest_event(session="guest-session-1", **changes):
    event = enrollment_event(user_id=None, username="", session=session)
    event["data"].pop("user_id")
    event.update(changes)
    return event


def test_guests_are_skipped_unless_asked_for():
    code, lines, err = run(["translate", "--to", "xapi", *ARGS], ndjson(guest_event()))
    assert (code, lines) == (0, []) and "skipped as guest: 1" in err
    code, lines, err = run(["translate", "--to", "xapi", "--guests", *ARGS],
                           ndjson(guest_event(), guest_event(timestamp="2020-07-15T07:00:00.000+00:00"),
                                  guest_event(session="another-visit")))
    assert code == 0 and len(lines) == 3
    assert lines[0]["actor"] == lines[1]["actor"] != lines[2]["actor"]
    assert "guest-session-1" not in json.dumps(lines)
    assert all(validate_statement(s) == [] for s in lines)
