"""The workers' side of the Redis stream hand-off (see ``backend/stream.py`` and ADR 0008).

All workers read the stream as one consumer group: ``XREADGROUP`` hands each entry to
one worker and keeps it pending until that worker acknowledges it (``XACK``, then
``XDEL`` so the stream holds only what is not done). An entry still pending after
``CLAIM_IDLE_SECONDS`` belongs to a worker that died: the next reader takes it over
(``XAUTOCLAIM``). So an event is routed at least once; deterministic ids make a second
delivery collapse at the LRS.
"""
import os
import socket

from openedx_xapi import conf
from openedx_xapi.backend.stream import lease_key, stream_key

GROUP = "openedx_xapi"

_clients = {}


def client():
    import redis
    url = conf.redis_url()
    found = _clients.get(url)
    if found is None:
        found = _clients[url] = redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=5,
                                                     health_check_interval=30)
    return found


def reader_name():
    """This process's name in the consumer group."""
    return f"{socket.gethostname()}:{os.getpid()}"


def ensure_group(redis_client):
    try:
        redis_client.xgroup_create(stream_key(), GROUP, id="0", mkstream=True)
    except Exception as error:  # pylint: disable=broad-except
        if "BUSYGROUP" not in str(error):
            raise


def read(redis_client, count, block_ms=None):
    """Up to ``count`` entries for this reader: first those a dead reader left, then new ones.

    Returns ``[(entry_id, fields), ...]``; ``block_ms`` waits that long for new entries."""
    me = reader_name()
    idle_ms = int(float(conf.get("CLAIM_IDLE_SECONDS")) * 1000)
    _next, claimed, *_deleted = redis_client.xautoclaim(stream_key(), GROUP, me, min_idle_time=idle_ms,
                                                        start_id="0-0", count=count)
    entries = [entry for entry in claimed if entry[1]]  # an entry deleted meanwhile comes without fields
    if entries:
        return entries
    answer = redis_client.xreadgroup(GROUP, me, {stream_key(): ">"}, count=count, block=block_ms)
    return answer[0][1] if answer else []


def done(redis_client, entry_ids):
    """The entries are routed (delivered, parked, or recorded as rejected/dead letters)."""
    if entry_ids:
        pipe = redis_client.pipeline(transaction=False)
        pipe.xack(stream_key(), GROUP, *entry_ids)
        pipe.xdel(stream_key(), *entry_ids)
        pipe.execute()


def items_of(entries):
    """``route_batch`` items from stream entries: (payload, consumer names, emitted at, epoch seconds)."""
    items = []
    for entry_id, fields in entries:
        entry_id = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
        payload = fields.get(b"e", b"")
        names = fields.get(b"c", b"").decode().split(",")
        items.append((payload.decode(errors="replace"), [name for name in names if name],
                      int(entry_id.split("-", 1)[0]) / 1000))
    return items


def hold_lease(redis_client, seconds):
    redis_client.set(lease_key(), "1", ex=seconds)


def drop_lease(redis_client):
    redis_client.delete(lease_key())


def register_drainer(redis_client, seconds):
    """Say this reader is draining; returns how many readers drained in the last ``seconds``."""
    import time
    now = time.time()
    key = f"{stream_key()}:drainers"
    pipe = redis_client.pipeline(transaction=False)
    pipe.zadd(key, {reader_name(): now})
    pipe.zremrangebyscore(key, 0, now - seconds)
    pipe.zcard(key)
    return pipe.execute()[-1]


def unregister_drainer(redis_client):
    redis_client.zrem(f"{stream_key()}:drainers", reader_name())


def pending_count(redis_client):
    """How many entries were handed to a reader and not acknowledged yet."""
    return redis_client.xpending(stream_key(), GROUP)["pending"]


def take_sweep_lease(redis_client, seconds):
    """True for the one caller that may schedule the next sweep (see ``tasks._sweep_later``)."""
    return bool(redis_client.set(f"{stream_key()}:sweep-lease", "1", nx=True, ex=seconds))
