"""/metrics after a fan-out over real worker processes (issue 12.5): the delivery counters
equal what the providers received and what the notice's progress says, per channel and
outcome, however many workers did the sending."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from lifeline.access import apikeys
from lifeline.api import create_app
from lifeline.config import load_settings
from lifeline.members import MemberData, MemberStore
from tests.api.helpers import TestClient
from tests.processes import Fleet, wait_until
from tests.providers.smsgateway import SmsGatewayServer
from tests.providers.smtp import SmtpServer

pytestmark = pytest.mark.slow

NOTICE = {
    "severity": "major",
    "headline": {"de": "Störung der App", "en": "App outage"},
    "services": ["app"],
    "topics": ["outages"],
    "channels": ["email", "sms"],
}


def samples(text: str) -> dict[tuple[str, ...], float]:
    """(metric sample name, sorted label values) → value."""
    found: dict[tuple[str, ...], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key = (sample.name, *(f"{k}={v}" for k, v in sorted(sample.labels.items())))
            found[key] = sample.value
    return found


def test_delivery_counters_equal_the_deliveries_per_channel_and_outcome(
    redis_client: redis.Redis,
    write_config: Callable[..., Path],
    fleet: Callable[[Path], Fleet],
    smtp_server: SmtpServer,
    sms_gateway: SmsGatewayServer,
) -> None:
    config = write_config(batch_size=25)
    settings = load_settings(config, env={})
    rows = [MemberData(language="de", topics=("outages",), email=f"m{i}@example.org",
                       phone=f"+49151{50000000 + i}") for i in range(200)]  # fmt: skip
    rows += [
        MemberData(language="en", topics=("service",), email=f"s{i}@example.org") for i in range(20)
    ]  # fmt: skip (another topic: not recipients)
    for i in range(7):  # refused by the relay for good: recorded as failed
        smtp_server.rejected[f"m{i}@example.org"] = "550 5.1.1 User unknown"
    MemberStore(redis_client).upsert_many("demo-bkk", rows)
    key = apikeys.create(redis_client, "demo-bkk", {"publisher"})
    fleet(config).start_many(2)
    with TestClient(create_app(settings)) as api:
        api.headers["Authorization"] = f"Bearer {key}"
        notice_id = api.post("/v1/notices", json=NOTICE).json()["id"]
        wait_until(lambda: api.get(f"/v1/notices/{notice_id}").json()["complete"],
                   timeout=90, what="the notice delivered")  # fmt: skip
        progress = api.get(f"/v1/notices/{notice_id}").json()["progress"]
        scraped = api.get("/metrics")
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    found = samples(scraped.text)

    def delivered(channel: str, outcome: str) -> float:
        key = ("lifeline_deliveries_total", f"channel={channel}", f"outcome={outcome}",
               "tenant=demo-bkk")  # fmt: skip
        return found[key]

    assert delivered("email", "sent") == progress["email"]["sent"] == len(smtp_server.delivered)
    assert delivered("email", "failed") == progress["email"]["failed"] == 7
    assert delivered("sms", "sent") == progress["sms"]["sent"] == len(sms_gateway.delivered) == 200
    assert delivered("sms", "failed") == 0
    assert delivered("email", "sent") + delivered("email", "failed") == 200
    # Every provider request was timed, and the notice's first and last delivery too.
    requests = found[("lifeline_provider_request_seconds_count", "channel=sms", "tenant=demo-bkk")]
    assert requests >= 200
    for name in ("first", "last"):
        metric = f"lifeline_notice_{name}_delivery_seconds_count"
        assert found[(metric, "channel=email", "tenant=demo-bkk")] == 1
    assert found[("lifeline_queue_jobs", "queue=lifeline:email")] == 0
    assert found[("lifeline_workers", "state=alive")] == 2
