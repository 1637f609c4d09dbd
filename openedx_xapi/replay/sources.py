"""Where a replay reads tracking logs from: files, folders, globs, ``.gz``, standard input,
and S3-compatible object storage.

Every source is read as a stream of lines, and every line comes with the position just
after it: the byte offset in the *uncompressed* text and the line number. That is what
a checkpoint records, and :func:`open_source` starts again from such a position:

* a plain file seeks to the offset;
* a ``.gz`` file decompresses from its start and skips to the offset (a deflate stream
  cannot be entered in the middle), without keeping what it skips;
* an S3 object is streamed with smart-open, never downloaded whole: a plain object is
  read from the offset with a ranged GET, a ``.gz`` one decompressed on the fly;
* standard input skips the lines already done, so a resumed run must be given the
  same input again.

A plain file that ends in the middle of a line is being written (the LMS's current
``tracking.log``): that line is left, and the file not finished, for the next run.

``raw_position()`` says how many bytes of the stored (perhaps compressed) object have
been read, for the progress bar and its ETA.
"""
import fnmatch
import glob
import gzip
import os
import re
from dataclasses import dataclass
from pathlib import Path

STDIN = "-"
_GLOB_CHARS = re.compile(r"[*?\[]")


class SourceError(ValueError):
    """A source that cannot be found or read; the message says which and why."""


@dataclass(frozen=True)
class Source:
    """One file, object or stream to read; ``key`` names it in the checkpoint."""
    key: str  # an absolute path, an s3:// URI, or "-"
    size: int | None = None  # bytes as stored (compressed, for .gz), when known

    @property
    def compressed(self):
        return self.key.endswith(".gz")

    @property
    def is_s3(self):
        return self.key.startswith("s3://")

    @property
    def label(self):
        return "<stdin>" if self.key == STDIN else self.key


class S3:
    """A boto3 S3 client made on first use (and only then: boto3 is slow to import)."""

    def __init__(self, endpoint_url=None):
        self.endpoint_url = endpoint_url or os.environ.get("AWS_ENDPOINT_URL_S3") or \
            os.environ.get("AWS_ENDPOINT_URL") or None
        self._client = None

    @property
    def client(self):
        if self._client is None:
            import boto3
            self._client = boto3.client("s3", endpoint_url=self.endpoint_url)
        return self._client

    def list(self, uri):
        """The objects a URI names: one key, every key under a prefix (``s3://b/logs/``), or the
        keys matching a glob (``s3://b/logs/*.gz``); sorted by key."""
        bucket, _, key = uri[len("s3://"):].partition("/")
        if not bucket:
            raise SourceError(f"{uri}: no bucket")
        wildcard = _GLOB_CHARS.search(key)
        prefix = key[:wildcard.start()] if wildcard else key
        found = []
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                for item in page.get("Contents", ()):
                    name = item["Key"]
                    if name.endswith("/"):
                        continue
                    if wildcard and not fnmatch.fnmatchcase(name, key):
                        continue
                    if not wildcard and name != key and not (key == "" or key.endswith("/")):
                        continue  # s3://b/logs names that object; s3://b/logs/ the folder
                    found.append(Source(f"s3://{bucket}/{name}", item.get("Size")))
        except Exception as error:  # botocore's errors: no such bucket, no credentials, no endpoint...
            raise SourceError(f"{uri}: {type(error).__name__}: {error}") from None
        if not found and not wildcard and key and not key.endswith("/"):
            return self.list(uri + "/")  # s3://bucket/logs, meaning the folder
        return sorted(found, key=lambda source: source.key)

    def open(self, key):
        import smart_open
        return smart_open.open(key, "rb", compression="disable", transport_params={"client": self.client})


def expand(specs, s3=None):
    """The :class:`Source` s that the command-line ``specs`` name, in order, each once."""
    s3 = s3 or S3()
    sources, seen = [], set()
    for spec in specs or [STDIN]:
        if spec == STDIN:
            found = [Source(STDIN)]
        elif spec.startswith("s3://"):
            found = s3.list(spec)
            if not found:
                raise SourceError(f"{spec}: no object found")
        elif _GLOB_CHARS.search(spec):
            found = [_file(path) for path in sorted(glob.glob(spec, recursive=True)) if os.path.isfile(path)]
            if not found:
                raise SourceError(f"{spec}: no file matches")
        elif os.path.isdir(spec):
            found = [_file(path) for path in sorted(Path(spec).rglob("*"))
                     if path.is_file() and not any(part.startswith(".") for part in path.relative_to(spec).parts)]
            if not found:
                raise SourceError(f"{spec}: the folder holds no file")
        elif os.path.isfile(spec):
            found = [_file(spec)]
        else:
            raise SourceError(f"{spec}: no such file or folder")
        for source in found:
            if source.key not in seen:
                seen.add(source.key)
                sources.append(source)
    if sum(source.key == STDIN for source in sources) > 1:
        raise SourceError("standard input can be read once")
    return sources


def _is_json(line):
    """Whether a line without its newline is whole: a JSON object (behind the logger's prefix)."""
    import orjson
    start = line.find(b"{")
    try:
        return start >= 0 and isinstance(orjson.loads(line[start:]), dict)
    except orjson.JSONDecodeError:
        return False


def _file(path):
    path = os.path.abspath(path)
    return Source(path, os.path.getsize(path))


class Reader:
    """The lines of one source from a position: iterate for ``(line number, offset after, line)``."""

    def __init__(self, source, offset=0, line=0, stdin=None, s3=None):
        self.source = source
        self.incomplete = False  # the file ends in the middle of a line (it is being written)
        self.offset = offset
        self.line = line
        if source.key == STDIN:
            self._raw = stdin
            self._closes = False
        elif source.is_s3:
            self._raw = (s3 or S3()).open(source.key)
            self._closes = True
        else:
            self._raw = open(source.key, "rb")  # noqa: SIM115 - closed by close()
            self._closes = True
        self._stream = gzip.GzipFile(fileobj=self._raw, mode="rb") if source.compressed else self._raw
        self._skip_to(offset, line)

    def _skip_to(self, offset, line):
        if not offset and not line:
            return
        if self.source.key == STDIN:
            for _ in range(line):  # a stream cannot seek: read past what was done
                if not self._stream.readline():
                    raise SourceError(f"{self.source.label}: shorter than the checkpoint says ({line} lines)")
            return
        try:
            reached = self._stream.seek(offset)
        except (OSError, EOFError) as error:
            raise SourceError(f"{self.source.label}: cannot go back to offset {offset}: {error}") from None
        if reached != offset or (offset and not self._ends_a_line(offset)):
            raise SourceError(f"{self.source.label}: offset {offset} in the checkpoint is not the end of a line "
                              "here: the file changed since (truncated or replaced?)")

    def _ends_a_line(self, offset):
        """Whether the byte before ``offset`` is a newline (a cheap check the file is the same)."""
        if self.source.compressed or self.source.is_s3:
            return True  # checking would mean reading back: trust the offset
        self._stream.seek(offset - 1)
        ok = self._stream.read(1) == b"\n"
        self._stream.seek(offset)
        return ok

    def __iter__(self):
        number, offset = self.line, self.offset
        growing = not (self.source.compressed or self.source.is_s3 or self.source.key == STDIN)
        for raw in self._stream:
            if growing and not raw.endswith(b"\n") and not _is_json(raw):
                # The LMS is still writing this line: leave it (and the file unfinished) for the next run.
                self.incomplete = True
                return
            number += 1
            offset += len(raw)
            yield number, offset, raw

    def raw_position(self):
        """Bytes of the stored object read so far."""
        try:
            return self._raw.tell()
        except (OSError, ValueError, AttributeError):
            return None

    def close(self):
        if self._stream is not self._raw:
            self._stream.close()
        if self._closes:
            self._raw.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
