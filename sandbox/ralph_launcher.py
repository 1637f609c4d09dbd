"""Run a Ralph LRS (ralph-malph 5.1.0) whose filesystem backend accepts many writes.

Usage (configured through Ralph's own ``RALPH_*`` environment variables)::

    RALPH_RUNSERVER_BACKEND=fs \\
    RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH=/some/dir \\
    RALPH_AUTH_FILE=/some/dir/auth.json \\
    python sandbox/ralph_launcher.py --host 127.0.0.1 --port 8100

Why not ``ralph runserver``: Ralph's filesystem backend defaults to the ``create``
operation type, which refuses to write to an existing file, so the LRS answers
500 to every POST after the first one. Switching the class default to ``append``
makes every write append JSON lines to ``fs_lrs.jsonl``. ``ralph runserver``
also starts uvicorn with ``reload=True`` and a watcher, which we do not want.
"""

import argparse

import uvicorn
from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    args = parser.parse_args()

    # Must happen before the first write; the API instantiates the backend at
    # import time, but the attribute is read from the class on every write.
    FSLRSBackend.default_operation_type = BaseOperationType.APPEND

    from ralph.api import app  # import after patching; reads RALPH_* settings

    uvicorn.run(app, host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
