"""An SMS gateway goes down: every SMS still goes out exactly once, through the second
gateway, and when the first recovers new notices go through it again (issue 13.6).

Real ``lifeline worker`` processes, a real Redis, two instances of the SMS gateway
stand-in; receipts are counted per gateway, and /readyz and /metrics are read through the
admin API as an operator would.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from tests.api.helpers import TestClient
from tests.faults.conftest import (
    admin_api,
    complete,
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

CONFIG = """
[redis]
url = "{redis_url}"

[worker]
batch_size = 50
concurrency = {concurrency}
max_attempts = 12
retry_base_seconds = 0.05

[[tenants]]
id = "demo-bkk"
name = "Demo BKK"
hotline = "+49 30 1234567"
website = "https://status.example.org"

[[tenants.channels.sms]]
provider = "http"
name = "gw-a"
url = "{a}"
token = "{token}"
sender = "DemoBKK"
rate_per_second = 500
breaker = {{ cooldown_seconds = 1 }}

[[tenants.channels.sms]]
provider = "http"
name = "gw-b"
url = "{b}"
token = "{token}"
sender = "DemoBKK"
rate_per_second = 500
"""


def provider_states(api: TestClient) -> dict[str, str]:
    reply = api.get("/readyz")
    assert reply.status_code == 200, reply.text
    assert reply.json()["status"] == "ready"
    return {p["provider"]: p["state"] for p in reply.json()["providers"]}


def provider_sends(api: TestClient) -> dict[tuple[str, str], float]:
    """(provider, outcome) → lifeline_provider_sends_total."""
    found = {}
    for family in text_string_to_metric_families(api.get("/metrics").text):
        for sample in family.samples:
            if sample.name == "lifeline_provider_sends_total":
                found[(sample.labels["provider"], sample.labels["outcome"])] = sample.value
    return found


def test_gateway_a_down_every_sms_once_through_b_and_back_to_a_when_it_recovers(
    tmp_path: Path,
    redis_url: str,
    redis_client: redis.Redis,
    fleet: Callable[[Path], Fleet],
    sms_gateway: SmsGatewayServer,
) -> None:
    n = 120
    a = sms_gateway
    a.down = True
    with SmsGatewayServer(token=a.token) as b:
        config = tmp_path / "lifeline.toml"
        config.write_text(CONFIG.format(redis_url=redis_url, concurrency=CONCURRENCY,
                                        a=a.send_url, b=b.send_url, token=a.token))  # fmt: skip
        seed_members(redis_client, n)
        workers = fleet(config)
        workers.start_many(2)
        with admin_api(config, redis_client) as api:
            first = post_notice(api, "sms")
            wait_until(complete(redis_client, first, "sms", n), timeout=90, what="notice 1")

            through_b = tally((s.to for s in b.delivered), (phone(i) for i in range(n)))
            assert through_b == type(through_b)(delivered=n, duplicates=0, lost=0, strangers=0)
            assert a.delivered == []
            assert {c.status for c in a.calls_to("http")} == {503}
            final = progress(redis_client, first, "sms")
            assert (final.sent, final.failed, final.reclaimed) == (n, 0, 0)
            assert provider_states(api)["gw-b"] == "closed"
            assert provider_states(api)["gw-a"] in {"open", "half_open"}
            sends = provider_sends(api)
            assert sends[("gw-b", "sent")] == n
            assert sends[("gw-a", "sent")] == 0
            assert sends[("gw-a", "retried")] == len(a.calls_to("http"))

            a.down = False
            wait_until(lambda: provider_states(api)["gw-a"] == "half_open", timeout=30,
                       what="gateway A's cool-down over")  # fmt: skip
            b_before = len(b.delivered)
            second = post_notice(api, "sms")
            wait_until(complete(redis_client, second, "sms", n), timeout=90, what="notice 2")

            again = [s.to for s in a.delivered] + [s.to for s in b.delivered[b_before:]]
            both = tally(again, (phone(i) for i in range(n)))
            assert both == type(both)(delivered=n, duplicates=0, lost=0, strangers=0)
            # The first send probed A; sends that started while the probe was on the wire
            # went to B (how many depends on the rate), everything after it to A.
            assert a.delivered, "the probe went through A"
            assert provider_states(api) == {"gw-a": "closed", "gw-b": "closed"}

            a_before, b_before = len(a.delivered), len(b.delivered)
            third = post_notice(api, "sms")
            wait_until(complete(redis_client, third, "sms", n), timeout=90, what="notice 3")

            through_a = tally((s.to for s in a.delivered[a_before:]), (phone(i) for i in range(n)))
            assert through_a == type(through_a)(delivered=n, duplicates=0, lost=0, strangers=0)
            assert len(b.delivered) == b_before
            sends = provider_sends(api)
            assert sends[("gw-a", "sent")] == len(a.delivered)
            assert sends[("gw-b", "sent")] == len(b.delivered)
