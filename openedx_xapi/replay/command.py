"""The options of a replay, and the run they ask for: shared by ``openedx-xapi replay`` and
``manage.py lms openedx_xapi_replay`` (one engine, one set of options).

Destination, one of:

``--consumer NAME``
    a consumer configured in the LMS (settings or admin): its restrictions, identity,
    PII and xAPI version apply, and delivery goes through the router. With ``--output``
    or ``--dry-run`` it only says how to translate (as for that consumer).
``--url URL``
    a consumer declared for this run only (``--to``, ``--username``/``--password`` or
    ``--token``; ``$OPENEDX_XAPI_REPLAY_PASSWORD``, ``$OPENEDX_XAPI_REPLAY_TOKEN``),
    delivered through the router too, anonymous actors.
``--output DIR``
    NDJSON files, one per day (``--gzip`` for ``.ndjson.gz``).
``--dry-run``
    translate and validate, send nothing.

Outside an LMS (the ``openedx-xapi`` command): delivering to a consumer needs Django
settings and a database. ``--settings MODULE`` (or ``$DJANGO_SETTINGS_MODULE``) uses a
project's, e.g. the LMS's; without them, ``--url`` runs on the package's own small
settings with a local SQLite file (``--state-db``) for dead letters and status, and
anonymous actor ids are an HMAC of the user id keyed with ``--secret``, as
``openedx-xapi translate`` makes them. ``--output`` and ``--dry-run`` need no database.

A consumer that goes down pauses the replay until it answers again (``--max-wait``
bounds that; see engine.py).

Exit status: 0 when every source was replayed, 1 when documents were dead-lettered
(see the dead-letter store), 2 on a usage error, 75 (EX_TEMPFAIL) when the consumer
stayed unreachable longer than ``--max-wait``, 130 when interrupted (run the same
command again to resume, in both cases).
"""
import os
from argparse import ArgumentTypeError, Namespace
from pathlib import Path

from openedx_xapi.consumers import PROTOCOLS
from openedx_xapi.replay.checkpoint import Checkpoint, CheckpointError
from openedx_xapi.replay.destinations import ConsumerDestination, DestinationError, DryRun, FilesDestination
from openedx_xapi.replay.engine import Replay
from openedx_xapi.replay.progress import choose_mode, human_bytes, human_seconds
from openedx_xapi.replay.selection import Selection, SelectionError, parse_moment
from openedx_xapi.replay.sources import S3, SourceError, expand
from openedx_xapi.replay.translation import Translator, needs_database
from openedx_xapi.translator.vocabulary import XAPI_VERSIONS

EXIT_OK, EXIT_DEAD_LETTERED, EXIT_USAGE, EXIT_UNREACHABLE, EXIT_INTERRUPTED = 0, 1, 2, 75, 130
FILES_BATCH_SIZE = 1000
FILES_CHECKPOINT = ".openedx-xapi-replay.json"
ADHOC_NAME = "replay"


class ReplayUsageError(ValueError):
    pass


def add_arguments(parser, standalone=True):
    """The replay's options, on an argparse parser (the CLI's subcommand, or a Django command's)."""
    parser.add_argument("sources", nargs="*", metavar="SOURCE",
                        help="tracking logs: files (.gz too), folders, globs (quoted), s3://bucket/key, "
                             "s3://bucket/prefix/ or s3://bucket/logs/*.gz, or - for standard input (the default)")
    where = parser.add_argument_group("destination")
    where.add_argument("--consumer", metavar="NAME", help="a consumer configured in the LMS")
    where.add_argument("--url", help="an xAPI LRS's base URL or a Caliper endpoint, for this run only")
    where.add_argument("--output", metavar="DIR", help="write NDJSON files, one per day, into DIR")
    where.add_argument("--dry-run", action="store_true", help="translate and validate; send and write nothing")
    how = parser.add_argument_group("translation and delivery (without --consumer)")
    how.add_argument("--to", dest="protocol", choices=PROTOCOLS, default="xapi", help="default: %(default)s")
    how.add_argument("--xapi-version", choices=XAPI_VERSIONS, default="1.0.3")
    how.add_argument("--guests", action="store_true", help="also replay guests' events (session-scoped actors)")
    how.add_argument("--username", help="--url with HTTP Basic authentication")
    how.add_argument("--password", default=os.environ.get("OPENEDX_XAPI_REPLAY_PASSWORD"),
                     help="default: $OPENEDX_XAPI_REPLAY_PASSWORD")
    how.add_argument("--token", default=os.environ.get("OPENEDX_XAPI_REPLAY_TOKEN"),
                     help="--url with a bearer token (default: $OPENEDX_XAPI_REPLAY_TOKEN)")
    how.add_argument("--allow-http", action="store_true", help="--url: allow plain http to another machine")
    how.add_argument("--gzip", action="store_true", help="--output: write .ndjson.gz files")
    select = parser.add_argument_group("selection (the consumer's restrictions apply as well)")
    select.add_argument("--since", metavar="WHEN", help="events at or after this date or ISO 8601 time (UTC)")
    select.add_argument("--until", metavar="WHEN",
                        help="events before this time; a date alone includes that whole day")
    select.add_argument("--course", dest="courses", action="append", default=[], metavar="COURSE_ID")
    select.add_argument("--org", dest="orgs", action="append", default=[], metavar="ORG")
    select.add_argument("--event", dest="events", action="append", default=[], metavar="NAME",
                        help="an event name or pattern, e.g. 'edx.video.*' (repeatable)")
    run = parser.add_argument_group("running")
    run.add_argument("--checkpoint", metavar="FILE",
                     help=f"where to keep the position (default: {FILES_CHECKPOINT} in --output, or "
                          "openedx-xapi-replay-<consumer>.json here; none for --dry-run)")
    run.add_argument("--restart", action="store_true",
                     help="ignore the checkpoint and start over (--output: replace the files)")
    run.add_argument("--batch-size", type=int, metavar="N",
                     help="documents per batch (default: the consumer's, as for live events; "
                          f"{FILES_BATCH_SIZE} for files)")
    run.add_argument("--rate-limit", type=float, metavar="N", help="at most N documents per second")
    run.add_argument("--max-wait", type=duration, metavar="SECONDS",
                     help="while the consumer is unreachable the replay waits, probing it; stop (exit 75, "
                          "resumable) once it has been unreachable this long: seconds, or 30m, 2h, 1d "
                          "(default: wait until it answers)")
    run.add_argument("--workers", type=int, metavar="N",
                     help="translating processes (default: one per CPU when no database is needed, else 1)")
    run.add_argument("--progress", choices=("auto", "bar", "log", "none"), default="auto",
                     help="a bar on a terminal, log lines otherwise (default: %(default)s)")
    run.add_argument("--progress-interval", type=float, default=10.0, metavar="SECONDS",
                     help="between two log lines (default: %(default)s)")
    run.add_argument("--s3-endpoint-url", default=None,
                     help="an S3-compatible server (default: $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL, or AWS)")
    if standalone:
        alone = parser.add_argument_group("outside an LMS")
        alone.add_argument("--settings", metavar="MODULE",
                           help="Django settings to run with (default: $DJANGO_SETTINGS_MODULE, or, for --url, "
                                "the package's own with --state-db)")
        alone.add_argument("--lms-url", default=os.environ.get("OPENEDX_XAPI_LMS_URL"),
                           help="the LMS root URL IRIs start with (default: $OPENEDX_XAPI_LMS_URL)")
        alone.add_argument("--secret", default=os.environ.get("OPENEDX_XAPI_SECRET"),
                           help="the key of the anonymous actor ids (default: $OPENEDX_XAPI_SECRET)")
        alone.add_argument("--state-db", default="openedx-xapi-replay.sqlite3", metavar="FILE",
                           help="SQLite file for dead letters and status (default: %(default)s)")
    return parser


def run(args, stdin=None, stderr=None, in_lms=False):
    """Run the replay ``args`` ask for; returns the exit status. Raises :class:`ReplayUsageError`."""
    args = args if isinstance(args, Namespace) else Namespace(**args)
    _check_destination(args)
    selection = _selection(args)
    uses_django = in_lms or _setup_django(args)
    with _adhoc_consumer(args, uses_django) as consumer:
        translator, description = _translator(args, consumer, selection, uses_django)
        destination = _destination(args, consumer, uses_django)
        try:
            sources = expand(args.sources, s3 := S3(args.s3_endpoint_url))
        except SourceError as error:
            raise ReplayUsageError(str(error)) from None
        checkpoint_path = _checkpoint_path(args, consumer)
        replay_description = {**description, "destination": destination.description,
                              "selection": selection.describe()}
        try:
            checkpoint = Checkpoint.open(checkpoint_path, replay_description, restart=args.restart)
        except CheckpointError as error:
            raise ReplayUsageError(str(error)) from None
        workers = args.workers or (os.cpu_count() or 1)
        if needs_database(translator.ctx):
            workers = 1  # the LMS's actor ids are read from its database, in this process
        record = None
        if isinstance(destination, ConsumerDestination):
            from openedx_xapi.router.tasks import record_rejection

            def record(stage, reason, **details):
                record_rejection(stage, reason, consumer=consumer.name, **details)

        engine = Replay(sources, translator, destination, checkpoint,
                        batch_size=_batch_size(args, uses_django, consumer),
                        rate_limit=args.rate_limit, workers=workers, progress=choose_mode(args.progress, stderr),
                        progress_interval=args.progress_interval, stderr=stderr, stdin=stdin, s3=s3,
                        record_rejection=record, restart=args.restart, max_wait=getattr(args, "max_wait", None))
        try:
            result = engine.run()
        except (SourceError, DestinationError) as error:
            raise ReplayUsageError(str(error)) from None
    summary(result, args, checkpoint, stderr)
    if result.interrupted:
        return EXIT_INTERRUPTED
    if result.unreachable:
        return EXIT_UNREACHABLE
    return EXIT_DEAD_LETTERED if result.counts["dead_lettered"] or result.halted else EXIT_OK


def summary(result, args, checkpoint, stderr):
    counts = result.counts
    state = "interrupted" if result.interrupted else "stopped" if result.halted else "finished"
    rate = counts["read"] / result.elapsed if result.elapsed > 0 else 0
    lines = [
        f"replay {state} in {human_seconds(result.elapsed, tenths=True)}: {result.sources} source(s), "
        f"{human_bytes(result.bytes_read)} read, {rate:,.0f} events/s",
        f"read: {counts['read']}, translated: {counts['translated']}, skipped: {counts['skipped']}, "
        f"rejected: {counts['rejected']}, delivered: {counts['delivered']}, "
        f"dead-lettered: {counts['dead_lettered']}" + ("  (dry run: nothing sent)" if args.dry_run else ""),
    ]
    if result.skipped_by:
        lines.append("skipped: " + ", ".join(f"{why} {n}" for why, n in sorted(result.skipped_by.items())))
    if result.rejected_by:
        lines.append("rejected: " + ", ".join(f"{stage} {n}" for stage, n in sorted(result.rejected_by.items())))
    if result.halted:
        lines.append(f"stopped: {result.halted}")
    if (result.interrupted or result.unreachable) and checkpoint.path is not None:
        lines.append(f"to resume, run the same command again (checkpoint: {checkpoint.path})"
                     + ("; the batch in flight was abandoned and will be sent again" if result.abandoned else ""))
    elif checkpoint.path is not None:
        lines.append(f"checkpoint: {checkpoint.path}")
    if stderr is not None:
        stderr.write("\n".join(lines) + "\n")
        stderr.flush()


# --- the pieces --------------------------------------------------------------------------------

def _check_destination(args):
    if args.url and args.consumer:
        raise ReplayUsageError("--url declares a consumer for this run: give it or --consumer, not both")
    if args.output and args.dry_run:
        raise ReplayUsageError("--output or --dry-run, not both")
    if not (args.consumer or args.url or args.output or args.dry_run):
        raise ReplayUsageError("a destination is needed: --consumer NAME, --url URL, --output DIR or --dry-run")
    if args.url and (args.output or args.dry_run):
        raise ReplayUsageError("--url delivers: to translate as for a consumer without sending, use --consumer")
    if args.gzip and not args.output:
        raise ReplayUsageError("--gzip is for --output")
    if args.batch_size is not None and args.batch_size < 1:
        raise ReplayUsageError("--batch-size must be 1 or more")
    if args.rate_limit is not None and args.rate_limit <= 0:
        raise ReplayUsageError("--rate-limit must be more than 0")
    delivers = (args.url or args.consumer) and not (args.output or args.dry_run)
    if getattr(args, "max_wait", None) is not None and not delivers:
        raise ReplayUsageError("--max-wait is for delivering to a consumer (--consumer or --url)")


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(text):
    """``--max-wait``: seconds (``90``, ``2.5``), or with a unit (``30s``, ``30m``, ``2h``, ``1d``)."""
    text = str(text).strip().lower()
    unit = _UNITS.get(text[-1:]) if text else None
    try:
        seconds = float(text[:-1] if unit else text) * (unit or 1)
    except ValueError:
        raise ArgumentTypeError(f"not a duration: {text!r} (seconds, or 30m, 2h, 1d)") from None
    if not seconds >= 0 or seconds == float("inf"):
        raise ArgumentTypeError(f"not a duration: {text!r} (0 or more)")
    return seconds


def _selection(args):
    try:
        return Selection(since=parse_moment(args.since) if args.since else None,
                         until=parse_moment(args.until, end=True) if args.until else None,
                         courses=tuple(args.courses), orgs=tuple(args.orgs), events=tuple(args.events))
    except (SelectionError, ValueError) as error:
        raise ReplayUsageError(str(error)) from None


def _setup_django(args):
    """Set Django up if this run needs it; True when it runs on Django.

    Files and dry runs need no database, and run without Django unless given settings. A
    consumer does: the given settings (``--settings``, ``$DJANGO_SETTINGS_MODULE``, or a
    program that set Django up already), else, for ``--url``, the package's own."""
    import django
    from django.apps import apps
    module = getattr(args, "settings", None)
    if not (args.url or args.consumer or module):
        return False
    if apps.ready:  # a program that embeds the command (the tests, say)
        return True
    module = module or os.environ.get("DJANGO_SETTINGS_MODULE")
    if module:
        os.environ["DJANGO_SETTINGS_MODULE"] = module
        django.setup()
        return True
    if args.consumer:
        raise ReplayUsageError("--consumer needs the LMS's settings: use `manage.py lms openedx_xapi_replay`, "
                               "or --settings / $DJANGO_SETTINGS_MODULE")
    _require_standalone_options(args)
    os.environ.update(DJANGO_SETTINGS_MODULE="openedx_xapi.replay.standalone_settings",
                      OPENEDX_XAPI_REPLAY_DB=str(Path(args.state_db).resolve()),
                      OPENEDX_XAPI_REPLAY_LMS_URL=args.lms_url,
                      OPENEDX_XAPI_REPLAY_SECRET_KEY=args.secret)
    django.setup()
    from django.core.management import call_command
    call_command("migrate", verbosity=0, interactive=False)
    args.standalone = True
    return True


def _require_standalone_options(args):
    if not args.lms_url:
        raise ReplayUsageError("the LMS root URL is needed: --lms-url or $OPENEDX_XAPI_LMS_URL")
    if not args.lms_url.startswith(("http://", "https://")):
        raise ReplayUsageError(f"--lms-url must be an http(s) URL, not {args.lms_url!r}")
    if not args.secret:
        raise ReplayUsageError("an anonymization secret is needed: --secret or $OPENEDX_XAPI_SECRET")


class _adhoc_consumer:  # noqa: N801 - used as a context manager, like contextlib's
    """The consumer of the run: a configured one (``--consumer``), or the one ``--url`` declares, added
    to this process's settings for the run (the router finds consumers there) and removed after."""

    def __init__(self, args, uses_django):
        self.args = args
        self.uses_django = uses_django
        self.saved = None

    def __enter__(self):
        args = self.args
        if args.consumer:
            from openedx_xapi import consumers
            consumer = consumers.get_consumer(args.consumer)
            if consumer is None:
                known = ", ".join(sorted(c.name for c in consumers.get_consumers())) or "none"
                raise ReplayUsageError(f"no enabled consumer named {args.consumer!r} (configured: {known})")
            return consumer
        if not args.url:
            return None
        from django.conf import settings

        from openedx_xapi import conf, consumers
        if ADHOC_NAME in consumers.declared_names() or consumers.get_consumer(ADHOC_NAME):
            raise ReplayUsageError(f"a consumer named {ADHOC_NAME!r} is configured already: use --consumer")
        declaration = {"name": ADHOC_NAME, "protocol": args.protocol, "url": args.url,
                       "xapi_version": args.xapi_version, "guests": args.guests, "allow_http": args.allow_http}
        if args.token:
            declaration["auth"] = {"type": "bearer", "token": args.token}
        else:
            declaration["auth"] = {"type": "basic", "username": args.username or "", "password": args.password or ""}
        try:
            consumer = consumers.from_settings(declaration)
        except consumers.ConsumerConfigError as error:
            raise ReplayUsageError(str(error).replace("consumer replay: ", "--url: ")) from None
        self.saved = settings.OPENEDX_XAPI
        current = {**conf.DEFAULTS, **(settings.OPENEDX_XAPI or {})}
        settings.OPENEDX_XAPI = {**current, "CONSUMERS": [*(current.get("CONSUMERS") or ()), declaration]}
        consumers.clear_cache()
        return consumer

    def __exit__(self, *exc):
        if self.saved is not None:
            from django.conf import settings

            from openedx_xapi import consumers
            settings.OPENEDX_XAPI = self.saved
            consumers.clear_cache()
        return False


def _translator(args, consumer, selection, uses_django):
    """The :class:`Translator` and what describes it in the checkpoint."""
    from openedx_xapi.translator import TranslationContext
    standalone = getattr(args, "standalone", False) or not uses_django
    if consumer is not None and not (standalone and args.url):
        from openedx_xapi.router.tasks import context_for
        ctx, protocol = context_for(consumer), consumer.protocol
    else:
        protocol = consumer.protocol if consumer is not None else args.protocol
        if standalone:
            from openedx_xapi.identity import HmacActorIds
            _require_standalone_options(args)
            ctx = TranslationContext(lms_root_url=args.lms_url, actor_ids=HmacActorIds(args.secret),
                                     xapi_version=args.xapi_version, guests=args.guests)
        else:
            from openedx_xapi import conf
            from openedx_xapi.router.tasks import _actor_ids
            ctx = TranslationContext(lms_root_url=conf.lms_root_url(), actor_ids=_actor_ids,
                                     xapi_version=args.xapi_version, guests=args.guests)
    description = {"protocol": protocol, "consumer": consumer.name if consumer is not None else None,
                   "lms": ctx.lms_root_url, "xapi_version": ctx.xapi_version, "identity": ctx.identity,
                   "guests": ctx.guests, "pii": sorted(ctx.pii)}
    serialized = bool(args.output or args.dry_run)
    # A configured consumer's restrictions apply (a consumer declared for the run has none).
    return Translator(protocol, ctx, selection, consumer=consumer, serialized=serialized), description


def _destination(args, consumer, uses_django):
    if args.dry_run:
        return DryRun()
    if args.output:
        protocol = consumer.protocol if consumer is not None else args.protocol
        return FilesDestination(args.output, protocol, compress=args.gzip)
    return ConsumerDestination(consumer, _batch_size(args, uses_django, consumer))


def _batch_size(args, uses_django, consumer=None):
    """``--batch-size``; else the consumer's own batch size, or the BATCH_SIZE setting, as live events."""
    if args.batch_size:
        return args.batch_size
    if args.output or args.dry_run or not uses_django:
        return FILES_BATCH_SIZE
    from openedx_xapi import conf, consumers
    if consumer is not None and hasattr(consumers, "batch_size_of"):
        return consumers.batch_size_of(consumer)
    return max(1, int(conf.get("BATCH_SIZE")))


def _checkpoint_path(args, consumer):
    if args.checkpoint:
        return Path(args.checkpoint)
    if args.dry_run:
        return None
    if args.output:
        return Path(args.output) / FILES_CHECKPOINT
    return Path(f"openedx-xapi-replay-{consumer.name}.json")
