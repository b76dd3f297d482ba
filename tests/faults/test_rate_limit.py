"""Issue 4's must-show: three workers share one channel's rate limit at the provider."""

from __future__ import annotations

import bisect
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from tests import reaper
from tests.faults.conftest import (
    admin_api,
    complete,
    phone,
    post_notice,
    seed_members,
    tally,
)
from tests.processes import Fleet, wait_until

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
    tmp_path: Path,
) -> None:
    n = 400
    gateway = _GatewayProcess(tmp_path / "arrivals.json")
    try:
        config = provider_config(
            batch_size=100, sms_rate=RATE, sms_url=gateway.send_url, sms_token=gateway.token
        )
        seed_members(redis_client, n)
        workers = fleet(config)
        for _ in range(3):
            workers.start()
        with admin_api(config, redis_client) as api:
            notice_id = post_notice(api, "sms")
        wait_until(complete(redis_client, notice_id, "sms", n), timeout=120, what="all recorded")
    finally:
        arrivals, received = gateway.stop()

    arrivals.sort()
    busiest = busiest_second(arrivals)
    average = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
    got = tally(received, (phone(i) for i in range(n)))
    print(
        f"\nrate_per_second={RATE}, 3 workers, {len(arrivals)} requests: busiest second "
        f"{busiest}, average {average:.2f}/s over {arrivals[-1] - arrivals[0]:.1f} s; {got}"
    )
    assert len(arrivals) == n
    assert got == type(got)(delivered=n, duplicates=0, lost=0, strangers=0)
    assert busiest <= RATE
    assert average >= 0.95 * RATE  # 19/s


class _GatewayProcess:
    """The SMS gateway stand-in in a process of its own (``tests.providers.serve_sms``): the
    arrival times it notes do not wait for this busy test process's threads."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.process = reaper.spawn(
            [sys.executable, "-m", "tests.providers.serve_sms", str(out)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        first = json.loads(self.process.stdout.readline())
        self.send_url, self.token = str(first["send_url"]), str(first["token"])

    def stop(self) -> tuple[list[float], list[str]]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)
        self.process.stdout.close()
        record = json.loads(self.out.read_text())
        return [float(a) for a in record["arrivals"]], [str(t) for t in record["to"]]
