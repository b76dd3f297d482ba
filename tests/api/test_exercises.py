"""Exercises and tests (issue 13.2, CAP ``status``): they reach exactly the members flagged
``tester``, every subject, Telegram message and SMS starts with ÜBUNG / EXERCISE (or TEST),
and they never appear on the status page, in the feed or on the broadcast channel."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import redis

from lifeline.api import create_app
from lifeline.config import Settings
from lifeline.delivery import worker
from lifeline.members import MemberData, MemberStore
from tests.api.conftest import Headers
from tests.api.helpers import NOTICE, TestClient
from tests.delivery.test_fanout import outbox_lines
from tests.providers.botapi import BotApiServer
from tests.providers.fixtures import BOT_TOKEN

T = "demo-bkk"
MARKS = {("exercise", "de"): "ÜBUNG", ("exercise", "en"): "EXERCISE",
         ("test", "de"): "TEST", ("test", "en"): "TEST"}  # fmt: skip


def seed(client: redis.Redis) -> set[int]:
    """Twelve members on every channel, every third a tester; the testers' numbers."""
    rows = [
        MemberData(
            language="en" if i % 2 else "de",
            topics=("outages",),
            telegram_chat_id=7000 + i,
            email=f"m{i}@example.org",
            phone=f"+4915112345{i:03d}",
            tester=i % 3 == 0,
        )
        for i in range(12)
    ]
    MemberStore(client).upsert_many(T, rows)
    return {i for i in range(12) if i % 3 == 0}


def number(address: object) -> int:
    """The member's number in ``seed`` from any of their addresses."""
    text = str(address)
    found = re.search(r"m(\d+)@|^700?(\d+)$|345(\d{3})$", text)
    assert found, text
    return int(next(g for g in found.groups() if g is not None))


@pytest.mark.parametrize("mode", ["exercise", "test"])
def test_a_drill_reaches_exactly_the_testers_marked_on_every_channel(
    mode: str,
    api: TestClient,
    publisher: Headers,
    settings: Settings,
    redis_client: redis.Redis,
) -> None:
    testers = seed(redis_client)
    posted = api.post("/v1/notices", json=NOTICE | {"status": mode}, headers=publisher)
    assert posted.status_code == 202, posted.text
    worker.run(settings, burst=True)

    for kind in ("telegram", "email", "sms"):
        lines = outbox_lines(settings, kind)
        assert sorted(number(line["to"]) for line in lines) == sorted(testers), kind
        for line in lines:
            language = "en" if number(line["to"]) % 2 else "de"
            mark = MARKS[(mode, language)]
            first = str(line["subject"] if kind == "email" else line["text"])
            assert re.sub(r"</?b>", "", first).startswith(f"{mark}: "), (kind, first)
            if kind == "email":
                assert str(line["text"]).startswith(f"{mark}: ")
                assert f">{mark}</p>" in str(line["html"])
    shown = api.get(f"/v1/notices/{posted.json()['id']}", headers=publisher).json()
    assert shown["mode"] == mode
    assert shown["progress"]["email"]["total"] == len(testers)


def test_a_drill_is_not_public_and_its_update_is_marked_too(
    api: TestClient, publisher: Headers, settings: Settings, redis_client: redis.Redis
) -> None:
    seed(redis_client)
    drill = api.post("/v1/notices", json=NOTICE | {"status": "exercise"}, headers=publisher)
    drill_id = drill.json()["id"]
    real_body = NOTICE | {"headline": {"de": "Echte Störung", "en": "Real outage"}}
    real_id = api.post("/v1/notices", json=real_body, headers=publisher).json()["id"]
    worker.run(settings, burst=True)
    api.post(f"/v1/notices/{drill_id}/updates", json={"body": {"de": "Weiter geübt."}},
             headers=publisher)  # fmt: skip
    worker.run(settings, burst=True)

    for language in ("de", "en"):
        page = api.get(f"/t/{T}?lang={language}").text
        assert real_body["headline"][language] in page
        assert NOTICE["headline"][language] not in page
    feed = api.get(f"/t/{T}/feed.atom").text
    assert f"notice:{real_id}" in feed
    assert f"notice:{drill_id}" not in feed
    updates = [
        line for line in outbox_lines(settings, "sms") if "Weiter geübt" in str(line["text"])
    ]
    assert updates
    assert all(str(line["text"]).startswith("ÜBUNG: ") for line in updates)


def test_a_drill_skips_the_broadcast_channel(
    make_settings: Callable[..., Settings],
    redis_client: redis.Redis,
    bot_api: BotApiServer,
    publisher: Headers,
) -> None:
    telegram = {"provider": "telegram", "token": BOT_TOKEN, "api_base": bot_api.api_base,
                "broadcast_chat_id": "@demo_bkk_status", "rate_per_second": 1000,
                "allow_paid_broadcast": True}  # fmt: skip
    settings = make_settings(channels={"telegram": telegram})
    seed(redis_client)
    with TestClient(create_app(settings)) as client:
        body = NOTICE | {"channels": ["telegram"]}
        client.post("/v1/notices", json=body | {"status": "exercise"}, headers=publisher)
        worker.run(settings, burst=True)
        assert bot_api.messages_to("@demo_bkk_status") == []
        assert sorted(m.chat_id for m in bot_api.delivered) == [7000, 7003, 7006, 7009]
        client.post("/v1/notices", json=body, headers=publisher)  # a real one is broadcast
        worker.run(settings, burst=True)
        assert len(bot_api.messages_to("@demo_bkk_status")) == 2
