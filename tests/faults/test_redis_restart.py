"""Redis (with AOF) restarted in the middle of a fan-out: workers wait, the API says 503."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import redis
from rq.job import Job

from lifeline.cli.embedded_redis import EmbeddedRedis
from lifeline.delivery.queues import JOB_RETRY
from lifeline.members import MemberStore
from tests.api.helpers import NOTICE, TestClient
from tests.faults.conftest import (
    TENANT,
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

DOWN_SECONDS = 4.0
"""How long Redis stays away: a restart of several seconds."""


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    """A redis-server of this test's own, with AOF, that the test may stop and start."""
    server = EmbeddedRedis(tmp_path / "redis", appendonly=True).start()
    yield server
    server.stop()


@pytest.fixture
def client(own_redis: EmbeddedRedis) -> Iterator[redis.Redis]:
    """A store client of that server (quick to fail, like the API's)."""
    store = redis.Redis.from_url(own_redis.url, decode_responses=True)
    yield store
    store.close()


def assert_unavailable(reply: httpx.Response) -> None:
    """503 in the API's error shape, with Retry-After: never a 500."""
    assert reply.status_code == 503, reply.text
    assert reply.json()["error"]["code"] == "unavailable"
    assert int(reply.headers["Retry-After"]) > 0


def batch_jobs(client: redis.Redis, notice_id: int) -> set[str]:
    """RQ job records of the notice's batches (kept after they finish)."""
    return set(client.scan_iter(f"rq:job:ll-{TENANT}-{notice_id}-sms-*", count=1000))


def test_redis_restart_mid_fanout_loses_nothing_and_api_says_503(
    own_redis: EmbeddedRedis,
    client: redis.Redis,
    provider_config: Callable[..., Path],
    fleet: Callable[[Path], Fleet],
    sms_gateway: SmsGatewayServer,
) -> None:
    """Issue 4's must-show: Redis stops (SIGTERM, AOF written) mid-fan-out and comes back
    after a few seconds. No member, subscription, notice, queued batch or recorded delivery
    is lost; the workers wait instead of failing; the API answers 503 with Retry-After
    meanwhile and 200 again afterwards, by itself."""
    n = 3_000
    config = provider_config(redis_url=own_redis.url, batch_size=250, sms_rate=300)
    assert client.config_get("appendonly")["appendonly"] == "yes"
    member_ids = seed_members(client, n)
    members = MemberStore(client)
    workers = fleet(config)
    with admin_api(config, client) as api:
        notice_id = post_notice(api, "sms")
        workers.start(name="restart-1")
        workers.start(name="restart-2")
        wait_until(
            lambda: progress(client, notice_id, "sms").sent >= n // 5,
            timeout=60,
            what="a fifth sent",
        )
        jobs_before = batch_jobs(client, notice_id)
        sent_before = progress(client, notice_id, "sms").sent

        own_redis.stop()  # SIGTERM: Redis writes its AOF out and exits
        down_since = time.monotonic()
        check_api_while_down(api, notice_id)
        time.sleep(max(0.0, DOWN_SECONDS - (time.monotonic() - down_since)))
        own_redis.start()

        # Nothing that was stored is gone.
        assert len(members.get_many(TENANT, member_ids)) == n
        assert members.count_subscribers(TENANT, "sms", "outages") == n
        assert batch_jobs(client, notice_id) >= jobs_before
        assert progress(client, notice_id, "sms").sent >= sent_before
        # The API recovers by itself.
        wait_until(
            lambda: api.get("/readyz").status_code == 200, timeout=30, what="API ready again"
        )
        reply = api.get(f"/v1/notices/{notice_id}")
        assert reply.status_code == 200, reply.text
        assert reply.json()["status"] == "active"

        wait_until(complete(client, notice_id, "sms", n), timeout=120, what="all recorded")

        # Once more while the workers wait for work: they pick up the next notice after it.
        later = seed_members(client, 20, first=n, topic="service")
        own_redis.stop()
        assert_unavailable(api.get("/readyz"))
        time.sleep(1.0)
        own_redis.start()
        wait_until(lambda: api.get("/readyz").status_code == 200, timeout=30, what="ready")
        second_id = post_notice(api, "sms", topic="service")
        wait_until(complete(client, second_id, "sms", 20), timeout=60, what="second notice")

    assert len(workers.running()) == 2, "both workers rode out the restart\n" + workers.logs()
    final = progress(client, notice_id, "sms")
    got = tally(
        (sms.to for sms in sms_gateway.delivered), (phone(i) for i in range(n + len(later)))
    )
    print(
        f"\nRedis down {DOWN_SECONDS:.0f} s after {sent_before} of {n} sent: {got}, "
        f"{final.reclaimed=}"
    )
    assert (final.sent, final.failed, final.pending) == (n, 0, 0)
    assert (got.delivered, got.lost, got.strangers) == (n + len(later), 0, 0)
    # The batches waited for Redis instead of failing: none ran twice, nobody got it twice.
    assert got.duplicates == 0
    rq_client = redis.Redis.from_url(own_redis.url)
    jobs = Job.fetch_many([key.removeprefix("rq:job:") for key in jobs_before], rq_client)
    assert {job.retries_left for job in jobs if job is not None} == {JOB_RETRY.max}
    rq_client.close()
    # A claim whose reply the restart cut off is sent again by the client and then finds
    # its own claim: counted as reclaimed (an upper bound on duplicates), at most one a lane.
    assert final.reclaimed <= 2 * 8
    assert on_the_wire(client, notice_id, "sms") == 0


def check_api_while_down(api: TestClient, notice_id: int) -> None:
    """Reads and writes answer 503 with Retry-After while Redis is away."""
    assert_unavailable(api.get("/readyz"))
    assert_unavailable(api.get(f"/v1/notices/{notice_id}"))
    assert_unavailable(api.get("/v1/notices"))
    assert_unavailable(api.post("/v1/notices", json=NOTICE | {"channels": ["sms"]}))
    assert api.get("/healthz").status_code == 200


@pytest.mark.timeout(120)
def test_a_worker_whose_redis_is_gone_still_stops_on_sigterm(
    own_redis: EmbeddedRedis,
    client: redis.Redis,
    provider_config: Callable[..., Path],
    fleet: Callable[[Path], Fleet],
) -> None:
    # Issue 10.3: with Redis gone every command waits out ~38 s of patient retries, so a
    # warm shutdown never finished within a grace period.
    workers = fleet(provider_config(redis_url=own_redis.url))
    process = workers.start(name="gone-1")
    wait_until(lambda: bool(client.keys("rq:worker:gone-1")), timeout=30, what="worker up")
    own_redis.stop()
    started = time.monotonic()
    code = workers.terminate(process, timeout=30)
    assert code == 0, workers.logs()
    assert time.monotonic() - started < 10, "stopped within a grace period"
    assert "Redis is unreachable: exiting now" in workers.logs()
