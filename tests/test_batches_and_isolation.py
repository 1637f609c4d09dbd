"""Batches per consumer, and a consumer that is down costing the others nothing (issue 5)."""
import statistics
import time
from datetime import datetime

import pytest

from openedx_xapi.consumers import ConsumerConfigError, from_settings
from sandbox.services import fetch_statements, start_ralph

from .faultproxy import FaultProxy
from .test_faults import FAST, emit_over, exactly_once
from .test_integration import emit_enrollments, xapi_consumer


@pytest.mark.parametrize("key, value", [("batch_size", 0), ("batch_size", 1001), ("batch_size", "10"),
                                        ("batch_size", 2.5), ("batch_seconds", -1), ("batch_seconds", 61),
                                        ("batch_seconds", "0.2"), ("batch_seconds", True)])
def test_batch_settings_out_of_range_are_refused_with_a_clear_error(key, value):
    declaration = {"name": "lrs", "url": "https://lrs.example.com/xAPI/", "auth": {"type": "basic", "username": "u"},
                   key: value}
    with pytest.raises(ConsumerConfigError, match=f"'{key}' must be"):
        from_settings(declaration)


def test_batch_settings_in_range_are_taken():
    consumer = from_settings({"name": "lrs", "url": "https://lrs.example.com/xAPI/", "batch_size": 5,
                              "batch_seconds": 1.5, "auth": {"type": "basic", "username": "u"}})
    assert (consumer.batch_size, consumer.batch_seconds) == (5, 1.5)


@pytest.mark.integration
def test_each_consumer_gets_batches_of_its_own_size(tmp_path, use_consumers, celery_worker_factory, flush_redis):
    with start_ralph(tmp_path / "a") as small_lrs, start_ralph(tmp_path / "b") as large_lrs:
        small, large = FaultProxy(small_lrs.url.split("/xAPI")[0]), FaultProxy(large_lrs.url.split("/xAPI")[0])
        try:
            use_consumers({**xapi_consumer(small_lrs), "name": "small", "url": small.root + "/xAPI/",
                           "batch_size": 7},
                          {**xapi_consumer(large_lrs), "name": "large", "url": large.root + "/xAPI/"},
                          BATCH_SIZE=50, BATCH_SECONDS=0.5)
            emit_enrollments(100)  # a backlog: the worker starts after it
            celery_worker_factory()
            exactly_once(small_lrs, 100)
            exactly_once(large_lrs, 100)
            small_sizes = [len(seen.ids) for seen in small.posts()]
            large_sizes = [len(seen.ids) for seen in large.posts()]
            assert max(small_sizes) == 7 and sum(small_sizes) == 100
            assert max(large_sizes) == 50 and sum(large_sizes) == 100
        finally:
            small.down()
            large.down()


def latencies(statements):
    """(emitted at, seconds from the event, its statement's timestamp, to its storage in the LRS)."""
    found = []
    for statement in statements:
        emitted = datetime.fromisoformat(statement["timestamp"].replace("Z", "+00:00"))
        stored = datetime.fromisoformat(statement["stored"].replace("Z", "+00:00"))
        found.append((emitted, (stored - emitted).total_seconds()))
    return found


@pytest.mark.integration
def test_one_consumer_down_does_not_slow_the_other(tmp_path, use_consumers, celery_worker_factory, flush_redis):
    """The same stream to two LRSs; the second goes down halfway. The first's emit-to-stored
    latency (p50) stays within twice what it was while both were up."""
    with start_ralph(tmp_path / "a") as steady_lrs, start_ralph(tmp_path / "b") as flaky_lrs:
        flaky = FaultProxy(flaky_lrs.url.split("/xAPI")[0])
        try:
            use_consumers({**xapi_consumer(steady_lrs), "name": "steady"},
                          {**xapi_consumer(flaky_lrs), "name": "flaky", "url": flaky.root + "/xAPI/"},
                          **{**FAST, "CONNECT_TIMEOUT": 3.05, "READ_TIMEOUT": 10})
            celery_worker_factory()
            emit_over(200, 4)
            exactly_once(steady_lrs, 200)
            both_up = [latency for _at, latency in latencies(fetch_statements(steady_lrs))]
            went_down = time.time()
            flaky.down()
            emit_over(200, 4, first_user=201)
            statements = exactly_once(steady_lrs, 400)
            one_down = [latency for at, latency in latencies(statements) if at.timestamp() >= went_down]
            assert len(one_down) >= 150
            up_p50, down_p50 = statistics.median(both_up), statistics.median(one_down)
            assert down_p50 <= 2 * max(up_p50, 0.05), (up_p50, down_p50)
            flaky.up()
            exactly_once(flaky_lrs, 400)  # and the one that was down gets everything, once
        finally:
            flaky.down()
