"""Workers that die (SIGKILL) or are stopped (SIGTERM) in the middle of a fan-out."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import cast

import pytest
import redis
from rq import SimpleWorker

from lifeline.delivery import records
from lifeline.members import batches
from tests.faults.conftest import (
    admin_api,
    complete,
    on_the_wire,
    phone,
    post_notice,
    progress,
    seed_members,
    tally,
)
from tests.processes import Fleet, wait_until
from tests.providers.smsgateway import SmsGatewayServer

pytestmark = pytest.mark.slow

CONCURRENCY = 8


def mid_batch(rq_client: redis.Redis, client: redis.Redis, name: str) -> bool:
    """Whether the named worker runs a batch with recipients on the wire right now."""
    worker = SimpleWorker.find_by_key(
        SimpleWorker.redis_worker_namespace_prefix + name, connection=rq_client
    )
    if worker is None:
        return False
    for execution in worker.get_current_executions(refresh=True):
        tenant_id, notice_id, kind, recipients = execution.job.args
        key = records.deliveries_key(tenant_id, notice_id, kind)
        member_ids = batches.member_ids(recipients)  # a list, or a planned bitmap slice
        states = cast(list[str | None], client.hmget(key, member_ids))  # decode_responses=True
        if any(s is not None and s.startswith("w") for s in states):
            return True
    return False


@pytest.fixture
def rq_client(redis_url: str, redis_client: redis.Redis) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


def test_sigkilled_worker_restarted_under_its_name_loses_nobody(
    provider_config: Callable[..., Path],
    fleet: Callable[[Path], Fleet],
    redis_client: redis.Redis,
    rq_client: redis.Redis,
    sms_gateway: SmsGatewayServer,
) -> None:
    """Issue 4's must-show: 10,000 recipients, one worker SIGKILLed mid-batch and restarted
    (as systemd does, under the same name): 10,000 delivered, none lost, and duplicates only
    among the sends in flight at the kill, at most the batch's concurrency, all counted."""
    n = 10_000
    config = provider_config(batch_size=500, concurrency=CONCURRENCY)
    seed_members(redis_client, n)
    with admin_api(config, redis_client) as api:
        notice_id = post_notice(api, "sms")
    workers = fleet(config)
    victim = workers.start(name="crash-1")
    workers.start(name="crash-2")

    wait_until(
        lambda: (
            progress(redis_client, notice_id, "sms").sent >= n // 4
            and mid_batch(rq_client, redis_client, "crash-1")
        ),
        timeout=60,
        what="a quarter sent while crash-1 is in the middle of a batch",
    )
    workers.kill(victim)
    sent_at_kill = progress(redis_client, notice_id, "sms").sent
    restarted = workers.start(name="crash-1")
    wait_until(complete(redis_client, notice_id, "sms", n), timeout=120, what="all recorded")

    assert sent_at_kill < n, "the kill came before the end"
    assert restarted.poll() is None, "the restarted worker took over its name\n" + workers.logs()
    final = progress(redis_client, notice_id, "sms")
    assert (final.sent, final.failed, final.pending) == (n, 0, 0)
    got = tally((sms.to for sms in sms_gateway.delivered), (phone(i) for i in range(n)))
    print(f"\nSIGKILL of 1 of 2 workers, {n} recipients: {got}, reclaimed={final.reclaimed}")
    assert (got.delivered, got.lost, got.strangers) == (n, 0, 0)
    # Every re-sent recipient was on the wire at the kill: counted, and within one batch's lanes.
    assert 1 <= final.reclaimed <= CONCURRENCY
    assert got.duplicates <= final.reclaimed
    assert on_the_wire(redis_client, notice_id, "sms") == 0


def test_sigkilled_worker_batch_is_taken_over_by_another(
    provider_config: Callable[..., Path],
    fleet: Callable[[Path], Fleet],
    redis_client: redis.Redis,
    rq_client: redis.Redis,
    sms_gateway: SmsGatewayServer,
) -> None:
    """A worker that never comes back: its batch's lease lapses and the other worker's
    maintenance puts it back on the queue; nobody is lost."""
    n = 2_000
    config = provider_config(batch_size=500, concurrency=CONCURRENCY, sms_rate=400)
    seed_members(redis_client, n)
    with admin_api(config, redis_client) as api:
        notice_id = post_notice(api, "sms")
    workers = fleet(config)
    victim = workers.start(name="gone-1")
    survivor = workers.start(name="gone-2")

    wait_until(
        lambda: (
            progress(redis_client, notice_id, "sms").sent >= 200
            and mid_batch(rq_client, redis_client, "gone-1")
        ),
        timeout=60,
        what="gone-1 in the middle of a batch",
    )
    workers.kill(victim)
    # Bounded by the lease (30 s) plus the maintenance interval (10 s), with room to spare.
    wait_until(complete(redis_client, notice_id, "sms", n), timeout=120, what="all recorded")

    assert survivor.poll() is None
    final = progress(redis_client, notice_id, "sms")
    assert (final.sent, final.failed, final.pending) == (n, 0, 0)
    got = tally((sms.to for sms in sms_gateway.delivered), (phone(i) for i in range(n)))
    print(f"\nSIGKILL of 1 of 2 workers, no restart, {n} recipients: {got}, {final.reclaimed=}")
    assert (got.delivered, got.lost, got.strangers) == (n, 0, 0)
    assert 1 <= final.reclaimed <= CONCURRENCY
    assert got.duplicates <= final.reclaimed


def test_sigterm_finishes_sends_in_flight_and_hands_the_rest_on(
    provider_config: Callable[..., Path],
    fleet: Callable[[Path], Fleet],
    redis_client: redis.Redis,
    sms_gateway: SmsGatewayServer,
) -> None:
    """SIGTERM mid-batch: the worker records what it sent, exits 0, and the rest of its batch
    goes out through another worker — nobody twice, nobody missed."""
    n = 300
    config = provider_config(batch_size=500, concurrency=CONCURRENCY, sms_rate=50)
    seed_members(redis_client, n)
    with admin_api(config, redis_client) as api:
        notice_id = post_notice(api, "sms")
    workers = fleet(config)
    first = workers.start()
    wait_until(
        lambda: progress(redis_client, notice_id, "sms").sent >= 50, timeout=60, what="50 sent"
    )

    assert workers.terminate(first) == 0, workers.logs()
    stopped = progress(redis_client, notice_id, "sms")
    assert on_the_wire(redis_client, notice_id, "sms") == 0, "every claimed send was recorded"
    assert stopped.pending > 0, "the worker stopped without working through its whole batch"
    assert len(sms_gateway.delivered) == stopped.sent

    workers.start()
    wait_until(complete(redis_client, notice_id, "sms", n), timeout=60, what="all recorded")
    final = progress(redis_client, notice_id, "sms")
    got = tally((sms.to for sms in sms_gateway.delivered), (phone(i) for i in range(n)))
    print(f"\nSIGTERM after {stopped.sent} of {n}: {got}, {final.reclaimed=}")
    assert (final.sent, final.failed, final.reclaimed) == (n, 0, 0)
    assert got == type(got)(delivered=n, duplicates=0, lost=0, strangers=0)
