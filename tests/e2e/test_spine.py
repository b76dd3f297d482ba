"""Issue 2's must-show: 1,000 members, three real local providers, real worker processes."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from lifeline.access import apikeys
from lifeline.api import create_app
from lifeline.config import load_settings
from lifeline.delivery import records
from tests.api.helpers import TestClient
from tests.processes import Fleet, wait_until
from tests.providers.botapi import BotApiServer, visible_text
from tests.providers.smsgateway import SmsGatewayServer
from tests.providers.smtp import SmtpServer

pytestmark = pytest.mark.slow

HEADLINE = {"de": "Störung: Online-Filiale nicht erreichbar", "en": "Outage: online branch down"}
NOTICE = {
    "severity": "major",
    "headline": HEADLINE,
    "body": {"de": "Bitte nutzen Sie Papier.", "en": "Please use paper forms."},
    "services": ["portal", "eau"],
    "topics": ["outages"],
    "channels": ["telegram", "email", "sms"],
}


def make_members(n: int, seed: int = 2) -> list[dict[str, Any]]:
    """n members, mixed de/en, each with one to three channels."""
    rng = random.Random(seed)
    members = []
    for i in range(n):
        kinds = rng.sample(["telegram", "email", "sms"], rng.randint(1, 3))
        row: dict[str, Any] = {
            "language": rng.choice(["de", "en"]),
            "topics": ["outages"],
            "consent": {"given_at": "2026-11-01T10:00:00Z", "source": "import"},
        }
        if "telegram" in kinds:
            row["telegram_chat_id"] = 5_000_000 + i
        if "email" in kinds:
            row["email"] = f"member{i}@example.org"
        if "sms" in kinds:
            row["phone"] = f"+49151{20000000 + i}"
        members.append(row)
    return members


@pytest.fixture
def api(redis_client: redis.Redis, write_config: Callable[..., Path]) -> Iterator[TestClient]:
    settings = load_settings(write_config(max_attempts=12), env={})
    with TestClient(create_app(settings)) as client:
        key = apikeys.create(redis_client, "demo-bkk", {"admin"})
        client.headers["Authorization"] = f"Bearer {key}"
        yield client


def import_members(api: TestClient, members: list[dict[str, Any]]) -> None:
    body = "\n".join(json.dumps(m) for m in members)
    reply = api.post(
        "/v1/members/import", content=body, headers={"Content-Type": "application/x-ndjson"}
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["created"] == len(members)


def deliver(api: TestClient, workers: Fleet) -> dict[str, Any]:
    reply = api.post("/v1/notices", json=NOTICE)
    assert reply.status_code == 202, reply.text
    notice_id = reply.json()["id"]
    workers.start_many(2)
    state: dict[str, Any] = {}

    def complete() -> bool:
        state.update(api.get(f"/v1/notices/{notice_id}").json())
        return bool(state["complete"])

    wait_until(complete, timeout=240, what="every channel complete")
    assert workers.alive(), workers.logs()[-3000:]
    return state


def expected_by_channel(members: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    return {
        "telegram": {
            str(m["telegram_chat_id"]): m["language"] for m in members if "telegram_chat_id" in m
        },
        "email": {m["email"]: m["language"] for m in members if "email" in m},
        "sms": {m["phone"]: m["language"] for m in members if "phone" in m},
    }


def received(
    bot_api: BotApiServer, smtp_server: SmtpServer, sms_gateway: SmsGatewayServer
) -> dict[str, list[tuple[str, str]]]:
    """(address, text) of everything each provider accepted."""
    return {
        "telegram": [(str(m.chat_id), visible_text(m.text)) for m in bot_api.delivered],
        "email": [
            (mail.rcpt_tos[0], str(mail.message["Subject"])) for mail in smtp_server.delivered
        ],
        "sms": [(sms.to, sms.text) for sms in sms_gateway.delivered],
    }


def assert_once_each_in_language(
    got: dict[str, list[tuple[str, str]]], wanted: dict[str, dict[str, str]]
) -> None:
    for kind, addresses in wanted.items():
        counts = Counter(address for address, _ in got[kind])
        assert set(counts) == set(addresses), kind
        assert max(counts.values()) == 1, f"{kind}: someone got it twice"
        for address, text in got[kind]:
            assert HEADLINE[addresses[address]] in text, (kind, address, text[:80])


def test_thousand_members_get_it_once_per_channel_in_their_language(
    api: TestClient,
    fleet: Callable[[Path], Fleet],
    write_config: Callable[..., Path],
    bot_api: BotApiServer,
    smtp_server: SmtpServer,
    sms_gateway: SmsGatewayServer,
) -> None:
    members = make_members(1000)
    import_members(api, members)
    state = deliver(api, fleet(write_config(max_attempts=12)))

    wanted = expected_by_channel(members)
    assert_once_each_in_language(received(bot_api, smtp_server, sms_gateway), wanted)
    for kind, addresses in wanted.items():
        progress = state["progress"][kind]
        assert progress["complete"]
        assert (progress["total"], progress["sent"], progress["failed"], progress["pending"]) == (
            len(addresses),
            len(addresses),
            0,
            0,
        )


def test_transient_failures_are_retried_and_permanent_ones_reported(
    api: TestClient,
    fleet: Callable[[Path], Fleet],
    write_config: Callable[..., Path],
    bot_api: BotApiServer,
    smtp_server: SmtpServer,
    sms_gateway: SmsGatewayServer,
    redis_client: redis.Redis,
) -> None:
    members = make_members(1000, seed=3)
    import_members(api, members)
    wanted = expected_by_channel(members)
    # Permanent failures: two blocked chats, one unknown mailbox, one dead number.
    blocked = [int(c) for c in sorted(wanted["telegram"])[:2]]
    gone_mail = sorted(wanted["email"])[0]
    dead_number = sorted(wanted["sms"])[0]
    bot_api.blocked_chats.update(blocked)
    smtp_server.rejected[gone_mail] = f"550 5.1.1 <{gone_mail}>: User unknown"
    sms_gateway.invalid_numbers.add(dead_number)
    # Transient failures: 20% of all calls, plus a few explicit rate-limit answers.
    bot_api.random_faults = ("500",)
    sms_gateway.random_faults = ("500",)
    for server in (bot_api, smtp_server, sms_gateway):
        server.failure_rate = 0.2
    bot_api.retry_after = 1
    bot_api.fail_next(2, "retry_after")
    sms_gateway.retry_after = 1
    sms_gateway.fail_next(2, "429")

    state = deliver(api, fleet(write_config(max_attempts=12)))

    for address in [str(c) for c in blocked]:
        wanted["telegram"].pop(address)
    wanted["email"].pop(gone_mail)
    wanted["sms"].pop(dead_number)
    assert_once_each_in_language(received(bot_api, smtp_server, sms_gateway), wanted)
    progress = state["progress"]
    assert (
        progress["telegram"]["failed"],
        progress["email"]["failed"],
        progress["sms"]["failed"],
    ) == (2, 1, 1)
    reasons = {kind: " ".join(progress[kind]["failure_reasons"]) for kind in progress}
    assert "blocked" in reasons["telegram"]
    assert "User unknown" in reasons["email"]
    assert "invalid" in reasons["sms"].lower()
    for kind in progress:
        assert progress[kind]["sent"] == len(wanted[kind])
    # Retries really happened, on every channel, and were counted.
    counters = records.progress(redis_client, "demo-bkk", state["id"], tuple(progress))
    assert all(counters[kind].retried > 50 for kind in progress), counters
    assert len(bot_api.calls_to("sendmessage")) > len(bot_api.delivered) + 50
