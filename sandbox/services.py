"""Start and stop real test/demo services (Redis, Ralph LRS, Celery workers).

Used by the pytest fixtures and by ``make demo``. Every service listens on
127.0.0.1 only, runs in its own process group, and keeps its state and log under
the given ``workdir``::

    with start_redis(tmp) as redis, start_ralph(tmp) as lrs:
        auth = (lrs.username, lrs.password)
        requests.post(lrs.url + "statements", json=[...], auth=auth)
        fetch_statements(lrs)

Ralph LRS (ralph-malph 5.1.0, fs backend) behaviour, verified against a live server
-----------------------------------------------------------------------------------
* Stock fs backend: the 1st POST works, every later one gives 500 "Statements bulk
  indexation failed" (operation type ``create`` refuses an existing file).
  ``sandbox/ralph_launcher.py`` sets ``FSLRSBackend.default_operation_type =
  BaseOperationType.APPEND`` (``ralph.backends.data.base``) and runs ``ralph.api:app``
  with uvicorn (no reload). Statements go to ``<store>/fs_lrs.jsonl``.
* Configuration (environment): RALPH_RUNSERVER_BACKEND=fs,
  RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH, RALPH_AUTH_FILE, RALPH_APP_DIR,
  RALPH_HISTORY_FILE (the fs backend writes a history.json file on every write).
  Ralph also reads ``.env`` from its working directory, so it runs in
  workdir/ralph-PORT.
* Auth file: a JSON list of ``{"username", "hash" (bcrypt), "scopes", "agent"}``,
  the same thing ``ralph auth -w`` writes. We write it ourselves (scopes ["all"]).
  Wrong or missing credentials give 401.
* (a) POST of a JSON array of 2 statements with ids -> 200, body = list of the ids.
* (b) POST of the same 2 statements again -> 204, empty body, nothing stored.
  A batch of one stored and one new statement -> 200 with only the new id; the
  stored one is skipped. So re-delivery is idempotent.
* (c) Same id with different content -> 409 "Differing statements already exist
  with the same ID: ...". The whole batch is rejected, new statements too.
  Two statements with the same id in one batch -> 400.
  The comparison covers actor, verb, object, id, result, context, attachments,
  plus ``timestamp`` and ``version`` when both sides have them. It compares the
  JSON values, not their meaning (authority and stored are ignored). Watch out:
  - with no ``timestamp`` Ralph stamps the receive time, so re-sending the same
    statement later gets 409. Always send a fixed timestamp;
  - "2024-01-01T00:00:00Z" and "2024-01-01T00:00:00.000+00:00" differ -> 409.
    Serialize once and re-send the same content.
* (d) GET statements?limit=N returns {"statements": [...], "more": "/xAPI/statements?
  limit=N&pit_id=None&search_after=<last id>"} when a page is full. ``more`` is a path
  relative to the server (resolve it against the LRS url). When the total is an
  exact multiple of N the last page is empty. limit is capped at 100
  (RALPH_RUNSERVER_MAX_SEARCH_HITS_COUNT). The fs backend gets the order backwards:
  by default the oldest statement comes first, and ascending=true puts the
  newest first. Unknown query parameters -> 400.
* (e) PUT statements?statementId=<id> -> 204. Repeating it -> 204. Same id with
  different content -> 409.
* (f) GET /xAPI/about -> 404: Ralph 5.1.0 has no About resource. Health checks:
  /__heartbeat__ (200 {"database": "ok"}), /__lbheartbeat__, and /whoami (auth).
* The X-Experience-API-Version header is not required. A statement that does not
  validate -> 422, e.g. one without actor/verb/object.
* Time to start: redis ~0.1 s, Ralph ~2-2.5 s, celery worker ~0.6-0.7 s (with
  --without-mingle --without-gossip). Stopping each takes under 1 s.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urljoin

import requests

HOST = "127.0.0.1"
START_TIMEOUT = 20.0  # seconds a service gets to come up
STOP_TIMEOUT = 10.0  # seconds between SIGTERM and SIGKILL
PROJECT_ROOT = Path(__file__).resolve().parent.parent
RALPH_LAUNCHER = Path(__file__).resolve().parent / "ralph_launcher.py"


class ServiceError(RuntimeError):
    """A service did not start (the message ends with the tail of its log)."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def is_port_open(port: int, host: str = HOST) -> bool:
    """Return True if something accepts TCP connections on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


class Service:
    """A service running as a subprocess (in its own process group).

    ``url`` and ``port`` say where to reach it, ``log_path`` holds its combined
    stdout/stderr. ``stop()`` is idempotent; use it as a context manager.
    """

    def __init__(self, name, process, log_path, url=None, port=None, **extra):
        self.name = name
        self.process = process
        self.log_path = Path(log_path)
        self.url = url
        self.port = port
        self.username = extra.pop("username", None)
        self.password = extra.pop("password", None)
        self.__dict__.update(extra)

    def __repr__(self):
        return f"<Service {self.name} pid={self.process.pid} url={self.url}>"

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Terminate the process group, kill it if still alive after `timeout`."""
        if self.process.poll() is not None:
            return
        self._signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            self.process.wait()

    def _signal(self, sig) -> None:
        try:  # the group also holds children (celery prefork, uvicorn workers)
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()


def _spawn(name, args, workdir, log_name, env=None, cwd=None, **service_kwargs):
    """Start `args` with output to workdir/log_name; return a Service."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / log_name
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [str(arg) for arg in args],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd or workdir,
            env=env if env is not None else os.environ.copy(),
            start_new_session=True,
        )
    return Service(name, process, log_path, **service_kwargs)


def _wait_until(service: Service, check, timeout: float = START_TIMEOUT) -> Service:
    """Poll `check()` until true; on exit/timeout stop the service and raise."""
    deadline = time.monotonic() + timeout
    while True:
        if not service.running:
            problem = f"exited with code {service.process.returncode}"
            break
        try:
            if check():
                return service
        except Exception:  # noqa: BLE001 - not up yet
            pass
        if time.monotonic() > deadline:
            problem = f"did not become ready within {timeout:.0f}s"
            break
        time.sleep(0.1)
    service.stop()
    raise ServiceError(
        f"{service.name} {problem} (log: {service.log_path}):\n{service.log_tail()}"
    )


# --- Redis -----------------------------------------------------------------


def _redis_ping(port: int) -> bool:
    with socket.create_connection((HOST, port), timeout=1) as sock:
        sock.sendall(b"PING\r\n")
        return sock.recv(64).startswith(b"+PONG")


def start_redis(workdir: Path, port: int | None = None, persistent: bool = False) -> Service:
    """Start redis-server on 127.0.0.1, working in workdir; ``persistent``: with an
    append-only file (fsync every second), as a broker that must survive a restart is run."""
    port = port or free_port()
    binary = os.environ.get("REDIS_SERVER") or shutil.which("redis-server")
    binary = binary or "/usr/bin/redis-server"
    args = [
        binary,
        "--bind", HOST,
        "--port", port,
        "--dir", workdir,
        "--save", "",
        "--appendonly", "yes" if persistent else "no",
        "--daemonize", "no",
        "--logfile", "",  # log to stdout, i.e. our log file
    ]  # fmt: skip
    service = _spawn(
        "redis",
        args,
        workdir,
        f"redis-{port}.log",
        url=f"redis://{HOST}:{port}/0",
        port=port,
    )
    return _wait_until(service, lambda: _redis_ping(port))


# --- Ralph LRS ---------------------------------------------------------------


def _write_ralph_auth_file(path: Path, username: str, password: str) -> None:
    """Write Ralph's basic-auth file (same format as `ralph auth -w`)."""
    import bcrypt  # ralph-malph dependency, only needed here

    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode("ascii")
    users = [
        {
            "username": username,
            "hash": hashed,
            "scopes": ["all"],
            "agent": {"mbox": f"mailto:{username}@example.com", "objectType": "Agent"},
        }
    ]
    path.write_text(json.dumps(users, indent=2))


def start_ralph(
    workdir: Path,
    port: int | None = None,
    username: str = "openedx",
    password: str = "openedx-password",
    env: dict | None = None,
) -> Service:
    """Start a Ralph LRS (fs backend) whose whole state lives in workdir/ralph-PORT.

    `env` adds/overrides RALPH_* settings (e.g. RALPH_LRS_PARTIAL_SUCCESS_DEFAULT).
    """
    port = port or free_port()
    home = Path(workdir) / f"ralph-{port}"
    store = home / "lrs"
    store.mkdir(parents=True, exist_ok=True)
    auth_file = home / "auth.json"
    _write_ralph_auth_file(auth_file, username, password)

    # Ignore RALPH_* settings of the calling shell so runs are reproducible.
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("RALPH_")}
    full_env.update(
        RALPH_RUNSERVER_BACKEND="fs",
        RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH=str(store),
        RALPH_AUTH_FILE=str(auth_file),
        RALPH_APP_DIR=str(home),
        RALPH_HISTORY_FILE=str(home / "history.json"),
    )
    full_env.update(env or {})
    service = _spawn(
        "ralph",
        [sys.executable, RALPH_LAUNCHER, "--host", HOST, "--port", port],
        workdir,
        f"ralph-{port}.log",
        env=full_env,
        cwd=home,  # Ralph reads a `.env` file from its working directory
        url=f"http://{HOST}:{port}/xAPI/",
        port=port,
        username=username,
        password=password,
        store_path=store / "fs_lrs.jsonl",
    )

    def ready() -> bool:
        response = requests.get(f"http://{HOST}:{port}/__heartbeat__", timeout=1)
        return response.status_code == 200

    _wait_until(service, ready)
    whoami = requests.get(
        f"http://{HOST}:{port}/whoami", auth=(username, password), timeout=5
    )
    if whoami.status_code != 200:
        service.stop()
        raise ServiceError(
            f"ralph is up but /whoami answered {whoami.status_code}: {whoami.text}\n"
            f"{service.log_tail()}"
        )
    return service


def fetch_statements(lrs: Service, **params) -> list[dict]:
    """GET all statements from the LRS, following `more` links."""
    statements = []
    url = urljoin(lrs.url, "statements")
    headers = {"X-Experience-API-Version": "1.0.3"}
    while url:
        response = requests.get(
            url,
            params=params,
            auth=(lrs.username, lrs.password),
            headers=headers,
            timeout=10,
        )
        response.raise_for_status()
        body = response.json()
        statements.extend(body["statements"])
        more = body.get("more")
        # `more` is a server-relative URL that already carries the query string.
        url, params = (urljoin(lrs.url, more), None) if more else (None, None)
    return statements


# --- Celery ------------------------------------------------------------------


def start_celery_worker(
    app: str,
    workdir: Path,
    env: dict,
    queues: str | None = None,
    concurrency: int = 1,
    pool: str = "prefork",
    extra_args: tuple[str, ...] = (),
) -> Service:
    """Start `celery -A app worker` (cwd=workdir, project root on PYTHONPATH).

    Ready when the worker logs "<nodename> ready.". ``env`` is merged over
    os.environ (use it for the broker URL and Django settings).
    """
    nodename = f"worker-{uuid.uuid4().hex[:8]}@%h"
    full_env = {**os.environ, **env}
    pythonpath = [str(PROJECT_ROOT)]
    if full_env.get("PYTHONPATH"):
        pythonpath.append(full_env["PYTHONPATH"])
    full_env["PYTHONPATH"] = os.pathsep.join(pythonpath)
    args = [
        sys.executable, "-m", "celery", "-A", app, "worker",
        "--loglevel=INFO", "-c", concurrency, "-P", pool, "-n", nodename,
        "--without-mingle", "--without-gossip",
    ]  # fmt: skip
    if queues:
        args += ["-Q", queues]
    args += list(extra_args)
    log_name = f"celery-{nodename.split('@')[0]}.log"
    service = _spawn("celery worker", args, workdir, log_name, env=full_env)
    service.nodename = nodename

    def ready() -> bool:
        return " ready." in service.log_path.read_text(errors="replace")

    return _wait_until(service, ready)


# --- RabbitMQ ----------------------------------------------------------------


def start_rabbitmq(workdir: Path, port: int | None = None) -> Service:
    """Start a private RabbitMQ node (Debian's rabbitmq-server) on 127.0.0.1:port.

    Nothing of the system service is used: the node has its own name, ports, Erlang
    port mapper (epmd, started here in the same process group so it stops with the
    node), cookie, database and logs, all under workdir/rabbitmq-PORT. The broker URL
    is ``amqp://guest:guest@127.0.0.1:PORT//`` (guest may log in from localhost).
    Starting takes ~5-10 s.
    """
    port = port or free_port()
    home = Path(workdir) / f"rabbitmq-{port}"
    (home / "mnesia").mkdir(parents=True, exist_ok=True)
    (home / "log").mkdir(exist_ok=True)
    (home / "rabbitmq.conf").write_text("loopback_users.guest = true\n")
    (home / "enabled_plugins").write_text("[].\n")
    epmd_port, dist_port = free_port(), free_port()
    binary = os.environ.get("RABBITMQ_SERVER") or "/usr/lib/rabbitmq/bin/rabbitmq-server"
    script = (
        f'epmd -port {epmd_port} -address {HOST} & '
        f'for i in $(seq 50); do epmd -port {epmd_port} -names >/dev/null 2>&1 && break; sleep 0.1; done; '
        f'exec "{binary}"'
    )
    env = {
        **os.environ,
        "HOME": str(home),  # the Erlang cookie
        "ERL_EPMD_PORT": str(epmd_port),
        "ERL_EPMD_ADDRESS": HOST,
        "RABBITMQ_NODENAME": f"openedx-xapi-{port}@localhost",
        "RABBITMQ_NODE_IP_ADDRESS": HOST,
        "RABBITMQ_NODE_PORT": str(port),
        "RABBITMQ_DIST_PORT": str(dist_port),
        "RABBITMQ_MNESIA_BASE": str(home / "mnesia"),
        "RABBITMQ_LOG_BASE": str(home / "log"),
        "RABBITMQ_LOGS": "-",  # to stdout, i.e. our log file
        "RABBITMQ_CONFIG_FILE": str(home / "rabbitmq.conf"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(home / "enabled_plugins"),
        "RABBITMQ_PID_FILE": str(home / "rabbitmq.pid"),
    }
    service = _spawn(
        "rabbitmq",
        ["/bin/sh", "-c", script],
        workdir,
        f"rabbitmq-{port}.log",
        env=env,
        cwd=home,
        url=f"amqp://guest:guest@{HOST}:{port}//",
        port=port,
    )

    def ready() -> bool:
        return "Server startup complete" in service.log_path.read_text(errors="replace")

    return _wait_until(service, ready, timeout=max(START_TIMEOUT, 60.0))


# --- Open edX event bus consumers ----------------------------------------------


def start_event_bus_consumer(
    workdir: Path,
    env: dict,
    consumer_name: str,
    topic: str = "analytics",
    group: str = "openedx_xapi",
    extra: dict | None = None,
) -> Service:
    """Start ``manage.py consume_events -t topic -g group`` of the stand-in LMS.

    ``env`` is merged over os.environ: it must set SANDBOX_EVENT_BUS_URL (see
    sandbox/eventbus.py) and the database/consumer settings. ``extra`` goes to the
    consumer class (``--extra``), with ``consumer_name`` added. Ready when the
    plugin's batching consumer logs that it is consuming.
    """
    full_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sandbox.settings", **env}
    pythonpath = [str(PROJECT_ROOT)]
    if full_env.get("PYTHONPATH"):
        pythonpath.append(full_env["PYTHONPATH"])
    full_env["PYTHONPATH"] = os.pathsep.join(pythonpath)
    options = {"consumer_name": consumer_name, **(extra or {})}
    args = [
        sys.executable, PROJECT_ROOT / "sandbox" / "manage.py", "consume_events",
        "-t", topic, "-g", group, "--extra", json.dumps(options),
    ]  # fmt: skip
    service = _spawn("event bus consumer", args, workdir, f"consumer-{consumer_name}.log", env=full_env)
    service.consumer_name = consumer_name

    def ready() -> bool:
        return f"as {consumer_name} in group" in service.log_path.read_text(errors="replace")

    return _wait_until(service, ready)


# --- The stand-in LMS in this process ----------------------------------------------


def ralph_consumer(lrs: Service, name: str = "ralph") -> dict:
    """A consumer declaration (as in ``OPENEDX_XAPI["CONSUMERS"]``) for a Ralph LRS."""
    return {"name": name, "protocol": "xapi", "url": lrs.url,
            "auth": {"type": "basic", "username": lrs.username, "password": lrs.password}}


def become_stand_in_lms(database: Path, broker_url: str, consumers: list[dict]) -> None:
    """Make this process the stand-in LMS: its settings (SQLite ``database``, the Celery
    broker, the consumers), Django set up, the database migrated."""
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "sandbox.settings",
        "SANDBOX_DB": str(database),
        "SANDBOX_BROKER_URL": broker_url,
        "SANDBOX_OPENEDX_XAPI": json.dumps({"CONSUMERS": consumers}),
        "SANDBOX_LOG_LEVEL": "WARNING",
    })
    import django
    django.setup()
    from django.core.management import call_command
    call_command("migrate", verbosity=0)
