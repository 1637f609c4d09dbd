"""The ``openedx-xapi`` command line: the same translator and validator, outside an LMS.

    openedx-xapi translate --to xapi|caliper [--lms-url URL] [--secret S] [FILE ...]
    openedx-xapi translate --to xapi --list
    openedx-xapi validate --as xapi|caliper [FILE ...]
    openedx-xapi docs [--output DIR] [--check]
    openedx-xapi replay (--consumer NAME | --url URL | --output DIR | --dry-run) [options] [SOURCE ...]

Input is one JSON document per line (NDJSON, or a tracking log), from files, ``.gz``
files or standard input (``-`` or no file): Open edX events in the event-tracking shape
or as tracking-log lines (with or without the logger's prefix) for ``translate``,
statements, Caliper events or Caliper envelopes for ``validate``. A file holding one
pretty-printed JSON document, or a JSON array of them, is read as such. Output is one
JSON document per line on standard output; each bad line is reported on standard error
with its file and line number, and the run ends with a summary there.

Exit status: 0 when no line was rejected, 1 when any was, 2 on a usage error.

``replay`` sends history (tracking logs from files, folders, globs, ``.gz``, standard
input or S3) to a consumer through the router, or into files, resumably and with a
progress bar: see ``openedx_xapi/replay/command.py`` and ``docs/replay.rst``. Its exit
status: 0 when done, 1 when documents were dead-lettered, 2 on a usage error, 75 when the
consumer stayed unreachable longer than ``--max-wait``, 130 when interrupted.
"""
import argparse
import gzip
import itertools
import os
import sys
from dataclasses import dataclass, field

import orjson

from openedx_xapi import __version__
from openedx_xapi.events import MalformedEvent, parse_event
from openedx_xapi.identity import HmacActorIds
from openedx_xapi.pipeline import Rejected, Skipped, documents_for
from openedx_xapi.translator import PROTOCOLS, TranslationContext, mapped_events
from openedx_xapi.translator.vocabulary import XAPI_VERSIONS
from openedx_xapi.validator import validate
from openedx_xapi.validator.caliper import load_and_validate

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    pass


@dataclass
class Summary:
    counts: dict = field(default_factory=dict)

    def add(self, outcome):
        self.counts[outcome] = self.counts.get(outcome, 0) + 1

    def __getitem__(self, outcome):
        return self.counts.get(outcome, 0)


def build_parser():
    parser = argparse.ArgumentParser(prog="openedx-xapi", description="Open edX events as xAPI and Caliper 1.2.")
    parser.add_argument("--version", action="version", version=f"openedx-xapi {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    translate = commands.add_parser("translate", help="translate Open edX events (NDJSON or tracking logs)")
    translate.add_argument("--to", dest="protocol", choices=PROTOCOLS, required=True)
    translate.add_argument("--list", action="store_true", help="print the mapped event names and exit")
    translate.add_argument("--lms-url", default=os.environ.get("OPENEDX_XAPI_LMS_URL"),
                           help="the LMS root URL that activity and actor IRIs start with "
                                "(default: $OPENEDX_XAPI_LMS_URL)")
    translate.add_argument("--secret", default=os.environ.get("OPENEDX_XAPI_SECRET"),
                           help="the key of the anonymous actor ids (HMAC-SHA256 of the user id; "
                                "default: $OPENEDX_XAPI_SECRET)")
    translate.add_argument("--xapi-version", choices=XAPI_VERSIONS, default="1.0.3")
    translate.add_argument("--guests", action="store_true",
                           help="also translate guests' events, with a session-scoped anonymous actor")
    translate.add_argument("files", nargs="*", metavar="FILE", help="input files (.gz accepted; - for stdin)")

    check = commands.add_parser("validate", help="validate xAPI statements, or Caliper events and envelopes")
    check.add_argument("--as", dest="protocol", choices=PROTOCOLS, required=True)
    check.add_argument("--xapi-version", choices=XAPI_VERSIONS, default="1.0.3")
    check.add_argument("files", nargs="*", metavar="FILE")

    docs = commands.add_parser("docs", help="write the event-mapping documentation generated from the registry")
    docs.add_argument("--output", default="docs/event-mapping", help="the folder to write (default: %(default)s)")
    docs.add_argument("--check", action="store_true", help="only say whether the folder is up to date (exit 1 if not)")

    from openedx_xapi.replay.command import add_arguments
    replay = commands.add_parser("replay", help="replay tracking logs to a consumer or into files, resumably",
                                 description="Replay tracking logs to a consumer (through the router) or into "
                                             "NDJSON files; resumable from a checkpoint, with progress.")
    add_arguments(replay, standalone=True)
    # A usage error names the command's own options, not only the list of commands.
    parser.commands = {"translate": translate, "validate": check, "docs": docs, "replay": replay}
    return parser


def main(argv=None, stdin=None, stdout=None, stderr=None):
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout.buffer
    stderr = stderr or sys.stderr
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "translate":
            if args.list:
                for name in mapped_events(args.protocol):
                    stdout.write(name.encode() + b"\n")
                stdout.flush()
                print(f"{len(mapped_events(args.protocol))} event names mapped to {args.protocol}", file=stderr)
                return EXIT_OK
            return run_translate(args, stdin, stdout, stderr)
        if args.command == "docs":
            return run_docs(args, stderr)
        if args.command == "replay":
            return run_replay(args, stdin, stderr)
        return run_validate(args, stdin, stdout, stderr)
    except UsageError as error:
        parser.commands[args.command].print_usage(stderr)
        print(f"openedx-xapi {args.command}: error: {error}", file=stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # e.g. piped into `head`
        return EXIT_OK
    except (OSError, EOFError) as error:  # e.g. standard input closed under us
        print(f"openedx-xapi: error: could not read the input: {error}", file=stderr)
        return EXIT_REJECTED


def run_translate(args, stdin, stdout, stderr):
    if not args.lms_url:
        raise UsageError("the LMS root URL is needed: --lms-url or $OPENEDX_XAPI_LMS_URL")
    if not args.lms_url.startswith(("http://", "https://")):
        raise UsageError(f"--lms-url must be an http(s) URL, not {args.lms_url!r}")
    if not args.secret:
        raise UsageError("an anonymization secret is needed: --secret or $OPENEDX_XAPI_SECRET")
    ctx = TranslationContext(lms_root_url=args.lms_url, actor_ids=HmacActorIds(args.secret),
                             xapi_version=args.xapi_version, guests=args.guests)
    summary = Summary()
    for where, line in read_lines(args.files, stdin, on_unreadable=lambda: summary.add("rejected"), stderr=stderr):
        try:
            event = parse_event(line)
        except MalformedEvent as error:
            summary.add("rejected")
            print(f"{where}: rejected: malformed event: {error}", file=stderr)
            continue
        except Exception as error:  # pylint: disable=broad-except
            # A value the reader did not foresee (say, a date beyond year 9999 once moved to
            # UTC): still one bad line, reported like the others, never a traceback.
            summary.add("rejected")
            print(f"{where}: rejected: malformed event: {type(error).__name__}: {error}", file=stderr)
            continue
        try:
            documents = documents_for(event, args.protocol, ctx)
        except Rejected as rejection:
            summary.add("rejected")
            print(f"{where}: rejected: {event.name}: {rejection.stage}: {rejection.reason}", file=stderr)
            continue
        except Skipped as skip:
            summary.add("skipped as guest" if "guest" in str(skip) else "skipped as unmapped")
            continue
        for document in documents:
            stdout.write(orjson.dumps(document) + b"\n")
        summary.add("translated")
    stdout.flush()
    print(f"translated: {summary['translated']}, skipped as unmapped: {summary['skipped as unmapped']}, "
          f"skipped as guest: {summary['skipped as guest']}, rejected: {summary['rejected']}", file=stderr)
    return EXIT_REJECTED if summary["rejected"] else EXIT_OK


def run_replay(args, stdin, stderr):
    from openedx_xapi.replay.command import ReplayUsageError, run
    try:
        return run(args, stdin=stdin, stderr=stderr)
    except ReplayUsageError as error:
        raise UsageError(str(error)) from None


def run_validate(args, stdin, stdout, stderr):
    summary = Summary()
    for where, item in read_lines(args.files, stdin, on_unreadable=lambda: summary.add("invalid"), stderr=stderr):
        if args.protocol == "caliper":
            # An envelope, an event or an entity, told apart by its shape.
            problems = load_and_validate(item if isinstance(item, (bytes, str)) else orjson.dumps(item))
        else:
            try:
                document = orjson.loads(item) if isinstance(item, (bytes, str)) else item
            except orjson.JSONDecodeError as error:
                problems = [f"invalid JSON: {error}"]
            else:
                problems = validate(document, args.protocol, args.xapi_version)
        if problems:
            summary.add("invalid")
            print(f"{where}: invalid: " + "; ".join(problems), file=stderr)
        else:
            summary.add("valid")
    print(f"valid: {summary['valid']}, invalid: {summary['invalid']}", file=stderr)
    return EXIT_REJECTED if summary["invalid"] else EXIT_OK


def run_docs(args, stderr):
    from pathlib import Path

    from openedx_xapi.translator import catalog
    folder = Path(args.output)
    pages = catalog.render()
    stale = sorted(name for name, text in pages.items()
                   if not (folder / name).is_file() or (folder / name).read_text() != text)
    extra = sorted(p.name for p in folder.glob("*.rst") if p.name not in pages) if folder.is_dir() else []
    if args.check:
        for name in stale + extra:
            print(f"{folder / name}: out of date", file=stderr)
        if stale or extra:
            print("run `openedx-xapi docs` (or `make docs`) to regenerate", file=stderr)
            return EXIT_REJECTED
        return EXIT_OK
    folder.mkdir(parents=True, exist_ok=True)
    for name in stale:
        (folder / name).write_text(pages[name])
    for name in extra:
        (folder / name).unlink()
    print(f"{folder}: {len(pages)} pages, {len(stale)} written, {len(extra)} removed", file=stderr)
    return EXIT_OK


def read_lines(files, stdin, on_unreadable, stderr):
    """(``file:line``, item) for every non-blank line of the inputs, in order: the line's
    bytes, or, for a file holding one pretty-printed JSON document (or an array of them),
    each document already read.

    Names that are not files are a usage error, found before anything is read. A file
    that cannot be read to its end (not really gzip, truncated, no permission) is
    reported with the line it stopped at and counted once through ``on_unreadable``;
    the next file is still read, so the run ends with its summary as usual.
    """
    files = files or ["-"]
    for path in files:
        if path == "-":
            continue
        if os.path.isdir(path):
            raise UsageError(f"{path} is a directory, not a file")
        if not os.path.exists(path):  # not isfile: a pipe (/dev/stdin, <(zcat ...)) is fine to read
            raise UsageError(f"no such file: {path}")
    for path in files:
        label = "<stdin>" if path == "-" else path
        where = [f"{label}:1"]
        try:
            with _open(path, stdin) as stream:
                for item in _items(stream, label):
                    where[0] = item[0]
                    yield item
        except (OSError, EOFError) as error:
            on_unreadable()
            print(f"{where[0]}: could not read the file further: {error}", file=stderr)


# A file whose first line is not JSON by itself, but which starts like a JSON document, is
# read whole to see whether it is one document (or an array of them); up to this size
# (larger: line by line, as a log whose first line was cut short).
WHOLE_DOCUMENT_LIMIT = 64 * 1024 * 1024


def _items(stream, label):
    first = True
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        if first and raw.lstrip()[:1] in (b"{", b"[") and not _is_json(raw):
            rest = stream.read(WHOLE_DOCUMENT_LIMIT)
            whole = _json_or_none(raw + rest) if len(rest) < WHOLE_DOCUMENT_LIMIT else None
            if isinstance(whole, list):
                for index, document in enumerate(whole, start=1):
                    yield f"{label}: item {index}", document
                return
            if isinstance(whole, dict):
                yield f"{label}", whole
                return
            consumed = raw + rest
            if len(rest) < WHOLE_DOCUMENT_LIMIT and not any(map(_is_json, consumed.split(b"\n"))):
                yield f"{label}", consumed  # one broken document: one error, not one per line
                return
            # Not one document: the lines as they are, then the rest of the stream.
            if len(rest) == WHOLE_DOCUMENT_LIMIT:
                consumed += stream.readline()  # the end of the line the read stopped in
            pieces = consumed.split(b"\n")
            if not pieces[-1]:
                pieces.pop()  # consumed ends with its line's newline
            line_number = number
            for line in itertools.chain(pieces, stream):
                if line.strip():
                    yield f"{label}:{line_number}", line
                line_number += 1
            return
        first = False
        yield f"{label}:{number}", raw


def _is_json(raw):
    return _json_or_none(raw) is not None


def _json_or_none(raw):
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None


class _Unclosed:
    """Standard input, as a context manager that leaves it open."""

    def __init__(self, stream):
        self.stream = stream

    def __enter__(self):
        return self.stream

    def __exit__(self, *exc):
        return False


def _open(path, stdin):
    if path == "-":
        return _Unclosed(stdin)
    if path.endswith(".gz"):
        return gzip.open(path, "rb")
    return open(path, "rb")  # noqa: SIM115 - closed by the caller's with


if __name__ == "__main__":
    sys.exit(main())
