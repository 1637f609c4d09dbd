"""A fault-injecting HTTP proxy between the router and a real LRS, for the fault suite.

It runs in a thread of the test process and forwards every request to the LRS, except
when told to misbehave: stop listening (connections refused), answer with an error
status (a burst of 500s, a 429 with ``Retry-After``), answer later than the client's
timeout, reset the connection, or make one chosen statement invalid on its way. It
records what it did with each request, so tests can check what the router did too.
"""
import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests


@dataclass
class Seen:
    at: float
    method: str
    path: str
    fault: str
    status: int | None
    ids: list = field(default_factory=list)


class FaultProxy:
    def __init__(self, upstream):
        self.upstream = upstream.rstrip("/")  # e.g. http://127.0.0.1:8100 (no path)
        self.lock = threading.Lock()
        self.faults = []  # (kind, argument), consumed one per request
        self.poisoned = set()  # statement ids made invalid on their way
        self.poison_nth = None  # poison the statement at this index of the next POST
        self.seen = []
        self.connections = set()  # open client connections, closed when the proxy goes down
        self.server = None
        self.port = None
        self.up()

    # --- what the test asks for ---------------------------------------------------------

    @property
    def root(self):
        return f"http://127.0.0.1:{self.port}"

    def up(self):
        if self.server:
            return
        server = ThreadingHTTPServer(("127.0.0.1", self.port or 0), _handler(self))
        server.daemon_threads = True
        self.port = server.server_port
        self.server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def down(self):
        """Stop listening: connections are refused until :meth:`up`."""
        server, self.server = self.server, None
        if server:
            server.shutdown()
            server.server_close()
        with self.lock:
            connections, self.connections = list(self.connections), set()
        for connection in connections:  # kept-alive connections go down with it
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def then(self, kind, times=1, argument=None):
        """The next ``times`` requests get this fault: "status" (argument: (code, headers)),
        "slow" (argument: seconds; forwarded first, answered late), "reset"."""
        with self.lock:
            self.faults.extend([(kind, argument)] * times)

    def poison(self, statement_id):
        self.poisoned.add(statement_id)

    def posts(self):
        with self.lock:
            return [seen for seen in self.seen if seen.method == "POST"]

    # --- what it does with each request -------------------------------------------------

    def next_fault(self, method):
        with self.lock:
            if method == "POST" and self.faults:
                return self.faults.pop(0)
        return ("pass", None)

    def record(self, seen):
        with self.lock:
            self.seen.append(seen)


def _handler(proxy):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802
            self._serve("GET")

        def do_POST(self):  # noqa: N802
            self._serve("POST")

        def do_PUT(self):  # noqa: N802
            self._serve("PUT")

        def setup(self):
            super().setup()
            with proxy.lock:
                proxy.connections.add(self.connection)

        def finish(self):
            with proxy.lock:
                proxy.connections.discard(self.connection)
            try:
                super().finish()
            except OSError:
                pass

        def _serve(self, method):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if proxy.server is None:  # went down while this connection was open
                self.close_connection = True
                self.connection.close()
                return
            ids = _ids(body)
            if method == "POST" and proxy.poison_nth is not None and len(ids) > proxy.poison_nth:
                proxy.poison(ids[proxy.poison_nth])
                proxy.poison_nth = None
            kind, argument = proxy.next_fault(method)
            if kind == "reset":
                proxy.record(Seen(time.time(), method, self.path, kind, None, ids))
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True
                return
            if kind == "status":
                status, headers = argument
                proxy.record(Seen(time.time(), method, self.path, kind, status, ids))
                self._answer(status, b'{"detail": "injected fault"}', headers)
                return
            if proxy.poisoned and ids and proxy.poisoned & set(ids):
                body = _poison(body, proxy.poisoned)
            forwarded = {key: value for key, value in self.headers.items()
                         if key.lower() in ("authorization", "content-type", "x-experience-api-version")}
            answer = requests.request(method, proxy.upstream + self.path, data=body or None, headers=forwarded,
                                      timeout=30)
            if kind == "slow":
                time.sleep(argument)
            proxy.record(Seen(time.time(), method, self.path, kind, answer.status_code, ids))
            headers = {key: value for key, value in answer.headers.items()
                       if key.lower() in ("content-type", "retry-after", "x-experience-api-version")}
            try:
                self._answer(answer.status_code, answer.content, headers)
            except OSError:
                pass  # the client gave up waiting (the "slow" fault)

        def _answer(self, status, content, headers):
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, *args):
            pass

    return Handler


def _ids(body):
    try:
        documents = json.loads(body) if body else []
    except ValueError:
        return []
    documents = documents if isinstance(documents, list) else [documents]
    return [document.get("id") for document in documents if isinstance(document, dict)]


def _poison(body, poisoned):
    """Take the actor away from the chosen statements: the LRS refuses them (422)."""
    documents = json.loads(body)
    for document in documents:
        if document.get("id") in poisoned:
            document.pop("actor", None)
    return json.dumps(documents).encode()
