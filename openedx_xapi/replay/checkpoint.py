"""Where a replay stands, so that an interrupted one resumes there.

A small JSON file::

    {"version": 1,
     "replay": {...what is replayed, and to where...},
     "sources": {"/var/log/tracking.log-20240301.gz": {"offset": 1234567, "line": 4321, "done": false}, ...},
     "outputs": {"xapi-2024-03-01.ndjson.gz": 98765, ...},
     "counts": {"read": ..., "delivered": ..., ...},
     "updated": "2024-03-05T10:00:00+00:00"}

It is written only once everything before the recorded positions has been delivered
(or dead-lettered), and atomically (a temporary file, then a rename), so a replay
stopped at any moment, even killed, resumes without skipping an event; at most the
batch in flight is sent again, and statement ids are deterministic, so an LRS stores
it once. ``outputs`` are the sizes of the files a file destination had written by
then: a resumed run cuts them back to those sizes first.

``replay`` describes the run (selection, protocol, destination, identity): resuming
with a checkpoint made for another one is refused. Sources are not part of it, so a
later run over a folder resumes the files already seen and starts the new ones.
"""
import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path

VERSION = 1


class CheckpointError(ValueError):
    pass


class Checkpoint:
    def __init__(self, path, replay):
        self.path = Path(path) if path else None
        self.replay = replay
        self.sources = {}
        self.outputs = {}
        self.counts = {}
        self.resumed = False

    @classmethod
    def open(cls, path, replay, restart=False):
        """The checkpoint at ``path`` (a new one when there is none, or with ``restart``)."""
        checkpoint = cls(path, replay)
        if checkpoint.path is None or restart or not checkpoint.path.exists():
            return checkpoint
        try:
            saved = json.loads(checkpoint.path.read_text())
        except (OSError, ValueError) as error:
            raise CheckpointError(f"{checkpoint.path}: unreadable checkpoint ({error}); "
                                  "remove it, or use --restart") from None
        if not isinstance(saved, dict) or saved.get("version") != VERSION:
            raise CheckpointError(f"{checkpoint.path}: not a replay checkpoint of this version; "
                                  "--restart to start over")
        if saved.get("replay") != replay:
            different = sorted(key for key in set(replay) | set(saved.get("replay") or {})
                               if replay.get(key) != (saved.get("replay") or {}).get(key))
            raise CheckpointError(
                f"{checkpoint.path} belongs to another replay (it differs in: {', '.join(different)}): "
                "give the same options to resume it, or use another --checkpoint, or --restart")
        checkpoint.sources = {key: dict(state) for key, state in (saved.get("sources") or {}).items()}
        checkpoint.outputs = dict(saved.get("outputs") or {})
        checkpoint.counts = dict(saved.get("counts") or {})
        checkpoint.resumed = True
        return checkpoint

    def position(self, key):
        """``(offset, line, done)`` reached in the source ``key``."""
        state = self.sources.get(key) or {}
        return int(state.get("offset", 0)), int(state.get("line", 0)), bool(state.get("done", False))

    def save(self, sources, outputs=None, counts=None):
        """Record ``sources`` (``{key: (offset, line, done)}``) and the outputs' sizes, atomically."""
        for key, (offset, line, done) in sources.items():
            self.sources[key] = {"offset": offset, "line": line, "done": done}
        if outputs is not None:
            self.outputs = dict(outputs)
        if counts is not None:
            self.counts = dict(counts)
        if self.path is None:
            return
        document = {"version": VERSION, "replay": self.replay, "sources": self.sources, "outputs": self.outputs,
                    "counts": self.counts, "updated": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w") as stream:
                json.dump(document, stream, indent=1, sort_keys=True)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def remove(self):
        if self.path is not None:
            self.path.unlink(missing_ok=True)
