"""Issue 4's must-show: a resolve posted mid-fan-out stops the unsent remainder."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis

from lifeline.access import apikeys
from lifeline.api import create_app
from lifeline.config import load_settings
from lifeline.members import MemberData, MemberStore
from tests.api.helpers import TestClient
from tests.processes import Fleet, wait_until
from tests.providers.smsgateway import SmsGatewayServer

pytestmark = pytest.mark.slow

NOTICE = {
    "severity": "major",
    "headline": {"de": "Störung der eAU", "en": "Sick note outage"},
    "services": ["eau"],
    "topics": ["outages"],
    "channels": ["sms"],
}
RESOLVED = {"de": "Alles wieder in Ordnung.", "en": "All working again."}


def test_resolve_mid_fanout_stops_the_rest_and_reaches_the_recipients_once(
    redis_client: redis.Redis,
    write_config: Callable[..., Path],
    fleet: Callable[[Path], Fleet],
    sms_gateway: SmsGatewayServer,
) -> None:
    config = write_config(rate=40, batch_size=20)
    settings = load_settings(config, env={})
    rows = [
        MemberData(
            language="en" if i % 3 else "de", topics=("outages",), phone=f"+49151{30000000 + i}"
        )
        for i in range(400)
    ]
    MemberStore(redis_client).upsert_many("demo-bkk", rows)
    key = apikeys.create(redis_client, "demo-bkk", {"publisher"})
    with TestClient(create_app(settings)) as api:
        api.headers["Authorization"] = f"Bearer {key}"
        notice_id = api.post("/v1/notices", json=NOTICE).json()["id"]
        group = fleet(config)
        group.start_many(1)
        wait_until(lambda: len(sms_gateway.delivered) >= 60, timeout=60, what="60 sent")
        reply = api.post(f"/v1/notices/{notice_id}/resolve", json={"body": RESOLVED})
        assert reply.status_code == 202, reply.text
        resolve_id = reply.json()["id"]
        state: dict[str, Any] = {}

        def resolve_done() -> bool:
            state.update(api.get(f"/v1/notices/{notice_id}").json())
            return bool(state["updates"]) and state["updates"][0]["complete"]

        wait_until(resolve_done, timeout=120, what="the resolve delivered")
        assert group.alive(), group.logs()[-2000:]

    original = state["progress"]["sms"]
    assert state["status"] == "resolved"
    assert original["pending"] == 0
    assert original["skipped"] > 0, "the resolve came too late to stop anything"
    assert original["sent"] + original["skipped"] == 400
    messages = sms_gateway.delivered
    resolves = [m for m in messages if any(text in m.text for text in RESOLVED.values())]
    originals = [m for m in messages if m not in resolves]
    assert len(originals) == original["sent"]
    assert Counter(m.to for m in resolves) == Counter(m.to for m in originals)
    assert max(Counter(m.to for m in resolves).values()) == 1
    update = state["updates"][0]
    assert (update["id"], update["stage"]) == (resolve_id, "resolve")
    assert update["progress"]["sms"]["sent"] == original["sent"]
