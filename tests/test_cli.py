"""The openedx-xapi command line."""
import gzip
import io
import json
import os
import subprocess
import sys
from pathlib import Path

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
    """The entry point works as a user runs it outside an LMS: a separate process, in a
    folder of its own, with no Django settings module in its environment, reading stdin."""
    bin_dir = Path(sys.executable).parent
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DJANGO_", "OPENEDX_XAPI_"))}
    result = subprocess.run([str(bin_dir / "openedx-xapi"), "translate", "--to", "xapi", *ARGS, "-"],
                            input=ndjson(enrollment_event()), capture_output=True, timeout=60, check=False,
                            cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert validate_statement(json.loads(result.stdout)) == []
    assert b"translated: 1, skipped as unmapped: 0" in result.stderr


def test_no_file_and_dash_both_read_stdin():
    events = ndjson(enrollment_event(), enrollment_event(mode="verified"))
    assert run(["translate", "--to", "xapi", *ARGS], events)[:2] == run(["translate", "--to", "xapi", *ARGS, "-"],
                                                                         events)[:2]
    assert len(run(["translate", "--to", "xapi", *ARGS], events)[1]) == 2


def test_hostile_lines_are_rejected_one_by_one(tmp_path):
    """Whatever a line holds, it is one rejected line with its number, never a traceback."""
    source = tmp_path / "hostile.log"
    beyond_9999 = enrollment_event(timestamp="9999-12-31T23:59:59-12:00")  # past year 9999 once in UTC
    source.write_bytes(b"\n".join([
        bytes(range(256)).replace(b"\n", b""),          # 1: binary garbage
        b"[1, 2, 3]",                                    # 2: a JSON array
        json.dumps([enrollment_event()]).encode(),       # 3: an event inside an array
        json.dumps(beyond_9999).encode(),                # 4
        b"[" * 100_000,                                  # 5: nesting no parser follows
        json.dumps(enrollment_event()).encode(),         # 6: a good one, still translated
    ]) + b"\n")
    code, lines, err = run(["translate", "--to", "xapi", *ARGS, str(source)])
    assert code == 1
    assert len(lines) == 1 and validate_statement(lines[0]) == []
    for number in range(1, 6):
        assert f"{source}:{number}: rejected: malformed event" in err
    assert "Traceback" not in err
    assert "translated: 1, skipped as unmapped: 0, skipped as guest: 0, rejected: 5" in err


def test_a_huge_line_is_translated(tmp_path):
    big = enrollment_event()
    big["data"]["padding"] = "x" * 20_000_000
    source = tmp_path / "big.log"
    source.write_text(json.dumps(big) + "\n")
    code, lines, err = run(["translate", "--to", "caliper", *ARGS, str(source)])
    assert code == 0, err
    assert len(lines) == 1 and validate_event(lines[0]) == []


def test_an_empty_file_is_zero_events(tmp_path):
    (tmp_path / "empty.log").write_bytes(b"")
    code, lines, err = run(["translate", "--to", "xapi", *ARGS, str(tmp_path / "empty.log"), os.devnull])
    assert (code, lines) == (0, [])
    assert "translated: 0, skipped as unmapped: 0, skipped as guest: 0, rejected: 0" in err


def test_a_pipe_is_read_like_a_file():
    """``openedx-xapi translate <(zcat tracking.log.gz)`` hands the command a pipe, not a regular file."""
    read_end, write_end = os.pipe()
    os.write(write_end, ndjson(enrollment_event()))
    os.close(write_end)
    try:
        code, lines, err = run(["translate", "--to", "xapi", *ARGS, f"/dev/fd/{read_end}"])
    finally:
        os.close(read_end)
    assert code == 0, err
    assert len(lines) == 1


def test_a_directory_is_a_usage_error(tmp_path):
    code, _, err = run(["translate", "--to", "xapi", *ARGS, str(tmp_path)])
    assert code == 2
    assert f"{tmp_path} is a directory" in err
    assert "usage: openedx-xapi translate" in err  # the command's own options, to correct the call


def test_an_unreadable_file_is_reported_and_the_next_one_is_read(tmp_path):
    """A .gz that is not gzip, or one cut short: reported where it stopped, then the next file."""
    not_gzip = tmp_path / "plain.log.gz"
    not_gzip.write_bytes(ndjson(enrollment_event()))
    cut_short = tmp_path / "cut.log.gz"
    cut_short.write_bytes(gzip.compress(ndjson(*[enrollment_event(mode=f"m{i}") for i in range(50)]))[:-40])
    good = tmp_path / "good.log"
    good.write_bytes(ndjson(enrollment_event()))
    code, lines, err = run(["translate", "--to", "xapi", *ARGS, str(not_gzip), str(cut_short), str(good)])
    assert code == 1
    assert f"{not_gzip}:1: could not read the file further: Not a gzipped file" in err
    assert f"{cut_short}:" in err and "Compressed file ended" in err
    modes = [s["object"]["definition"]["extensions"]["https://w3id.org/xapi/acrossx/extensions/type"]
             for s in lines]
    assert modes[:-1] == [f"m{i}" for i in range(len(modes) - 1)] and len(modes) < 51  # what came before the cut
    assert modes[-1] == "audit"  # good.log, read after the others failed
    assert "Traceback" not in err
    assert err.rstrip().endswith("rejected: 2")  # the summary still ends the run


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


# --- whole JSON documents, as ERB's corpus and the 1EdTech fixtures are written -------------

def test_a_pretty_printed_event_file_is_one_event(tmp_path):
    source = tmp_path / "event.json"
    source.write_text(json.dumps(enrollment_event(), indent=4))
    code, lines, err = run(["translate", "--to", "xapi", *ARGS, str(source)])
    assert code == 0, err
    assert len(lines) == 1 and validate_statement(lines[0]) == []


def test_a_json_array_file_is_its_events_each_reported_by_position(tmp_path):
    source = tmp_path / "events.json"
    source.write_text(json.dumps([enrollment_event(), {"name": "x", "data": {}}, enrollment_event(user_id=4)],
                                 indent=2))
    code, lines, err = run(["translate", "--to", "caliper", *ARGS, str(source)])
    assert code == 1
    assert len(lines) == 2 and all(validate_event(e) == [] for e in lines)
    assert f"{source}: item 2: rejected: malformed event: missing timestamp" in err


def test_a_log_whose_first_line_is_cut_short_is_still_read_line_by_line(tmp_path):
    source = tmp_path / "tracking.log"
    good = json.dumps(enrollment_event())
    source.write_text(good[:40] + "\n" + good + "\n\n" + json.dumps(enrollment_event(user_id=5)) + "\n")
    code, lines, err = run(["translate", "--to", "xapi", *ARGS, str(source)])
    assert code == 1 and len(lines) == 2
    assert f"{source}:1: rejected: malformed event: invalid JSON" in err
    assert "translated: 2, skipped as unmapped: 0, skipped as guest: 0, rejected: 1" in err


def test_a_broken_pretty_printed_document_is_one_error(tmp_path):
    source = tmp_path / "broken.json"
    source.write_text(json.dumps(enrollment_event(), indent=4)[:-3])
    code, _, err = run(["validate", "--as", "xapi", str(source)])
    assert code == 1
    assert "valid: 0, invalid: 1" in err


def test_validate_as_caliper_takes_events_envelopes_and_pretty_printed_files(tmp_path):
    event = run(["translate", "--to", "caliper", *ARGS], ndjson(enrollment_event()))[1][0]
    envelope = {"sensor": "http://localhost:18000/caliper/sensor", "sendTime": "2024-01-02T03:04:05.678Z",
                "dataVersion": "http://purl.imsglobal.org/ctx/caliper/v1p2", "data": [event]}
    pretty = tmp_path / "envelope.json"
    pretty.write_text(json.dumps(envelope, indent=2))
    bad_envelope = dict(envelope, sendTime="yesterday")
    code, _, err = run(["validate", "--as", "caliper", "-", str(pretty)], ndjson(event, envelope, bad_envelope))
    assert code == 1
    assert "<stdin>:3: invalid: sendTime" in err
    assert "valid: 3, invalid: 1" in err
