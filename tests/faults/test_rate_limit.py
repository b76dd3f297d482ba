"""Issue 4's must-show: three workers share one channel's rate limit at the provider."""

from __future__ import annotations

import bisect
import gc
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from tests.faults.conftest import (
    admin_api,
    complete,
    phone,
    post_notice,
    seed_members,
    tally,
)
from tests.processes import Fleet, wait_until
from tests.providers.smsgateway import SmsGatewayServer

pytestmark = pytest.mark.slow

RATE = 20


def busiest_second(arrivals: list[float]) -> int:
    """The most arrivals in any one-second window [t, t + 1) starting at an arrival."""
    times = sorted(arrivals)
    return max(bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times))


def test_busiest_second_of_a_few_arrivals() -> None:
    assert busiest_second([0.0, 0.5, 0.99, 1.0, 1.2]) == 4
    assert busiest_second([0.0, 1.0, 2.0]) == 1


def test_three_workers_never_exceed_20_per_second_and_average_at_least_19(
    provider_config: Callable[..., Path],
    fleet: Callable[[Path], Fleet],
    redis_client: redis.Redis,
    sms_gateway: SmsGatewayServer,
) -> None:
    n = 400
    config = provider_config(batch_size=100, sms_rate=RATE)
    seed_members(redis_client, n)
    workers = fleet(config)
    for _ in range(3):
        workers.start()
    # The stand-in notes arrivals in this process: a garbage collection of a large test
    # session's heap would stall its clock and bunch arrivals that did not bunch.
    gc.collect()
    gc.disable()
    try:
        with admin_api(config, redis_client) as api:
            notice_id = post_notice(api, "sms")
        wait_until(complete(redis_client, notice_id, "sms", n), timeout=120, what="all recorded")
    finally:
        gc.enable()

    arrivals = sorted(call.at for call in sms_gateway.calls_to("http"))
    busiest = busiest_second(arrivals)
    average = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
    got = tally((sms.to for sms in sms_gateway.delivered), (phone(i) for i in range(n)))
    print(
        f"\nrate_per_second={RATE}, 3 workers, {len(arrivals)} requests: busiest second "
        f"{busiest}, average {average:.2f}/s over {arrivals[-1] - arrivals[0]:.1f} s; {got}"
    )
    assert len(arrivals) == n
    assert got == type(got)(delivered=n, duplicates=0, lost=0, strangers=0)
    assert busiest <= RATE
    assert average >= 0.95 * RATE  # 19/s
