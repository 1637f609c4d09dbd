"""A Redis Streams event bus consumer that routes events in batches (edx-event-bus-redis).

edx-event-bus-redis's ``RedisEventConsumer`` reads one message at a time and
acknowledges it as soon as its signal was sent. For this plugin that would mean one
LRS request per event. This subclass reads up to ``batch_size`` messages at once,
sends their signals inside an :class:`openedx_xapi.eventbus.Batch`, routes the batch
(one request per consumer per ``BATCH_SIZE`` statements) and only then acknowledges
the messages, so a process killed mid-batch loses nothing: its unacknowledged messages
stay pending in the consumer group.

Pending messages are picked up again in two ways: a consumer that restarts under the
same name reads its own first; and every consumer takes over (``XAUTOCLAIM``) messages
that another has held for more than ``claim_idle_seconds``, which is what makes a
consumer that never comes back (a Kubernetes pod replaced under another name) harmless.
A message seen twice is delivered twice, and stored once by an LRS, since statement
ids are deterministic.

Between reads, once a second, the consumer also sends what was parked and is due, and
probes the LRSs whose circuit is open (:func:`openedx_xapi.eventbus.send_parked_if_due`):
with this consumer the event bus hand-off needs no Celery worker at all.

Two further differences from the upstream consumer, both to lose nothing:

* an existing consumer group is never moved: upstream sets the group's last-read id to
  ``$`` on every start without ``check_backlog``, which skips whatever was produced
  while no consumer ran. A *new* group starts at ``$`` (or at the start of the stream
  with ``check_backlog``), as upstream;
* SIGTERM (Kubernetes stopping a pod) ends the loop after the current batch is routed
  and acknowledged.

Select it with ``EVENT_BUS_CONSUMER = "openedx_xapi.eventbus_redis.BatchingRedisEventConsumer"``;
messages of other topics are handled exactly as upstream handles them, only acknowledged
with the batch they arrived in.
"""
import logging
import signal
import threading
import time

from edx_event_bus_redis.internal.consumer import REDIS_CONSUMERS_ENABLED, RedisEventConsumer
from edx_event_bus_redis.internal.message import RedisMessage
from openedx_events.tooling import prepare_for_new_work_cycle
from redis.exceptions import ResponseError

from openedx_xapi import conf
from openedx_xapi.eventbus import Batch, send_parked_if_due

log = logging.getLogger(__name__)

IDLE_POLL_SECONDS = 1.0  # how long a read waits when nothing is buffered (and how soon SIGTERM is seen)
PARKED_CHECK_SECONDS = 1.0  # how often the loop looks for parked batches that are due


class BatchingRedisEventConsumer(RedisEventConsumer):
    """``consume_events --extra`` may set ``batch_size``, ``batch_seconds`` (default: the
    plugin's ``BATCH_SIZE`` and ``BATCH_SECONDS``) and ``claim_idle_seconds`` (default 60:
    keep it above the longest time a batch can take to deliver, timeouts included)."""

    # Read by openedx_xapi.eventbus.sends_parked_batches: parked batches need no Celery worker.
    sends_parked_batches = True

    def __init__(self, topic, group_id, consumer_name, batch_size=None, batch_seconds=None,
                 claim_idle_seconds=60, **kwargs):
        self.batch_size = max(1, int(batch_size or conf.get("BATCH_SIZE")))
        self.batch_seconds = float(batch_seconds if batch_seconds is not None else conf.get("BATCH_SECONDS"))
        self.claim_idle_ms = max(1, int(float(claim_idle_seconds) * 1000))
        super().__init__(topic, group_id, consumer_name, **kwargs)

    def _create_consumer(self, db, full_topic):
        start = self.last_read_msg_id or ("0" if self.check_backlog else "$")
        try:
            db.xgroup_create(full_topic, self.group_id, id=start, mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise
            if self.last_read_msg_id:  # an operator's explicit replay
                db.xgroup_setid(full_topic, self.group_id, self.last_read_msg_id)
        return db.consumer_group(self.group_id, [full_topic], consumer=self.consumer_name).streams[full_topic]

    # -- the loop ------------------------------------------------------------------------

    def _consume_indefinitely(self):
        if not REDIS_CONSUMERS_ENABLED.is_enabled():
            log.error("Redis consumers not enabled, exiting.")
            return
        self._stop_on_sigterm()
        log.info("openedx_xapi: consuming %s as %s in group %s, batches of %d or %.2f s",
                 self.full_topic, self.consumer_name, self.group_id, self.batch_size, self.batch_seconds)
        self._own_pending_from = "0"  # first what this consumer name took before and never acknowledged
        self._next_claim = 0.0
        self._claim_from = "0-0"
        held, started = [], None  # message ids of the open batch, when it started
        next_parked_check = 0.0
        batch = Batch()
        try:
            while not self._shut_down_loop:
                wait = max(0.001, started + self.batch_seconds - time.monotonic()) if held else IDLE_POLL_SECONDS
                entries = self._next_entries(self.batch_size - len(held), wait, held)
                if entries:
                    prepare_for_new_work_cycle()
                    started = started or time.monotonic()
                    with batch:
                        for entry in entries:
                            self._emit(entry)
                    held.extend(entry[0] for entry in entries)
                if held and (len(held) >= self.batch_size or not entries
                             or time.monotonic() >= started + self.batch_seconds):
                    self._route_and_ack(batch, held)
                    held, started = [], None
                if not held and time.monotonic() >= next_parked_check:
                    # Only between batches: what this process holds is never left waiting
                    # (and claimed by another) while an LRS is probed or a backlog sent.
                    send_parked_if_due()
                    next_parked_check = time.monotonic() + PARKED_CHECK_SECONDS
        finally:
            try:
                if held:  # stopping: finish what was taken rather than leave it to a claim
                    self._route_and_ack(batch, held)
            finally:
                self.db.close()

    def _next_entries(self, count, wait_seconds, held):
        """Up to ``count`` messages: this name's own pending ones, then other consumers'
        long-idle ones, then new ones (waiting up to ``wait_seconds`` for those)."""
        if self._own_pending_from is not None:
            entries = self.consumer.read(count=count, last_id=self._own_pending_from)
            if entries:
                self._own_pending_from = _id_text(entries[-1][0])
                return entries
            self._own_pending_from = None
        now = time.monotonic()
        if now >= self._next_claim:
            entries = self._claim(count, held)
            if entries:
                return entries
            self._next_claim = now + max(1.0, self.claim_idle_ms / 2000)
        return self.consumer.read(count=count, block=max(1, int(wait_seconds * 1000)))

    def _claim(self, count, held):
        answer = self.consumer.autoclaim(self.consumer_name, min_idle_time=self.claim_idle_ms,
                                         start_id=self._claim_from, count=count)
        next_from, claimed = answer[0], answer[1]
        self._claim_from = _id_text(next_from)  # "0-0" again once the whole group was scanned
        held_ids = {_id_text(message_id) for message_id in held}
        entries, gone = [], []
        for message_id, fields in claimed:
            if not fields:  # trimmed from the stream since: nothing to route
                gone.append(message_id)
            elif _id_text(message_id) not in held_ids:  # our own batch took long: it is ours already
                entries.append((message_id, fields))
        if gone:
            self.consumer.ack(*gone)
        if entries:
            log.warning("openedx_xapi: %s took over %d event bus messages another consumer left unacknowledged",
                        self.consumer_name, len(entries))
        return entries

    def _emit(self, entry):
        """Send the message's signal, as upstream does; a message that cannot be read is logged
        and acknowledged with the batch (upstream does the same: replaying cannot fix it)."""
        message = None
        try:
            message = RedisMessage.parse(entry, self.full_topic)
            self.emit_signals_from_message(message)
        except Exception as error:  # pylint: disable=broad-except
            run_context = {"full_topic": self.full_topic, "consumer_group": self.group_id,
                           "consumer_name": self.consumer_name}
            self.record_event_consuming_error(run_context, error, message)

    def _route_and_ack(self, batch, held):
        batch.route()
        self.consumer.ack(*held)

    def _stop_on_sigterm(self):
        if threading.current_thread() is not threading.main_thread():
            return

        def stop(signum, frame):  # noqa: ARG001
            log.info("openedx_xapi: SIGTERM, stopping after the current batch")
            self._shut_down()

        signal.signal(signal.SIGTERM, stop)


def _id_text(message_id):
    return message_id.decode() if isinstance(message_id, bytes) else str(message_id)
