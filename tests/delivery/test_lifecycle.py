"""Notice lifecycle: updates and resolve reach exactly the members who got the notice."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
import redis
from rq import Queue

from lifeline import delivery
from lifeline.access import apikeys
from lifeline.api import create_app
from lifeline.config import Settings
from lifeline.core import defaults
from lifeline.core.errors import Conflict
from lifeline.core.vocabulary import Stage
from lifeline.db import connect_rq
from lifeline.delivery import context, records, worker
from lifeline.members import MemberData, MemberStore
from lifeline.notices import NoticeStore
from lifeline.notices.schemas import NoticeIn, ResolveIn, UpdateIn
from lifeline.notices.store import notices_key
from tests.api.helpers import TestClient
from tests.delivery.test_fanout import NOTICE, outbox_lines
from tests.providers.botapi import BotApiServer, visible_text
from tests.providers.fixtures import BOT_TOKEN
from tests.providers.smsgateway import SmsGatewayServer

T = "demo-bkk"


def plan_queue(settings: Settings) -> Queue:
    return Queue(defaults.QUEUE_PLAN, connection=connect_rq(settings.redis.url))


def post(settings: Settings, client: redis.Redis, body: dict[str, Any]) -> int:
    notice, _ = delivery.publish(
        tenant=settings.tenants[0],
        body=NoticeIn.model_validate(body),
        store=NoticeStore(client),
        plan_queue=plan_queue(settings),
    )
    return notice.id


def follow(
    settings: Settings, client: redis.Redis, notice_id: int, stage: Stage, body: dict[str, Any]
) -> int:
    model = UpdateIn.model_validate(body) if stage == "update" else ResolveIn.model_validate(body)
    notice, _ = delivery.follow_up(
        tenant=settings.tenants[0],
        parent_id=notice_id,
        stage=stage,
        body=model,
        store=NoticeStore(client),
        plan_queue=plan_queue(settings),
    )
    return notice.id


def add_members(client: redis.Redis, n: int, **contact: Callable[[int], Any]) -> None:
    rows = [
        MemberData(
            language="en" if i % 2 else "de",
            topics=("outages",),
            **{name: make(i) for name, make in contact.items()},
        )
        for i in range(n)
    ]
    MemberStore(client).upsert_many(T, rows)


def test_update_goes_to_exactly_the_recipients_as_telegram_replies(
    make_settings: Callable[..., Settings], redis_client: redis.Redis, bot_api: BotApiServer
) -> None:
    telegram = {"provider": "telegram", "token": BOT_TOKEN, "api_base": bot_api.api_base,
                "rate_per_second": 1000, "allow_paid_broadcast": True}  # fmt: skip
    settings = make_settings(channels={"telegram": telegram})
    add_members(redis_client, 12, telegram_chat_id=lambda i: 9000 + i)
    bot_api.blocked_chats.add(9003)
    notice_id = post(settings, redis_client, {**NOTICE, "channels": ["telegram"]})
    worker.run(settings, burst=True)
    first = {m.chat_id: m.message_id for m in bot_api.delivered}
    # A member who joins after the notice went out does not get its update.
    MemberStore(redis_client).create(
        T, MemberData(language="de", topics=("outages",), telegram_chat_id=9999)
    )
    body = {"de": "Die App läuft wieder teilweise.", "en": "The app partly works again."}
    update_id = follow(settings, redis_client, notice_id, "update", {"body": body})
    worker.run(settings, burst=True)

    updates = [m for m in bot_api.delivered if m.message_id not in first.values()]
    assert sorted(m.chat_id for m in updates) == sorted(first)
    assert 9003 not in first
    for message in updates:
        reply = json.loads(message.params["reply_parameters"])
        assert reply["message_id"] == first[message.chat_id]
        language = "en" if (cast(int, message.chat_id) - 9000) % 2 else "de"
        assert body[language] in visible_text(message.text)
    progress = records.progress(redis_client, T, update_id, ("telegram",))["telegram"]
    assert (progress.total, progress.sent, progress.pending) == (11, 11, 0)


def test_resolve_stops_unsent_messages_of_the_notice(
    make_settings: Callable[..., Settings], redis_client: redis.Redis
) -> None:
    settings = make_settings(worker={"batch_size": 5})
    add_members(redis_client, 20, email=lambda i: f"m{i}@example.org")
    notice_id = post(settings, redis_client, {**NOTICE, "channels": ["email"]})
    plan_queue(settings).empty()  # type: ignore[no-untyped-call]  # rq: Queue.empty unannotated
    context.install(settings)
    delivery.plan_notice(T, notice_id)  # four batches queued, none run yet
    resolve_id = follow(settings, redis_client, notice_id, "resolve", {})
    worker.run(settings, burst=True)

    original = records.progress(redis_client, T, notice_id, ("email",))["email"]
    assert (original.total, original.sent, original.skipped, original.pending) == (20, 0, 20, 0)
    assert outbox_lines(settings, "email") == []  # nobody got it, so nobody gets the all-clear
    resolve = records.progress(redis_client, T, resolve_id, ("email",))["email"]
    assert (resolve.total, resolve.pending) == (0, 0)
    assert NoticeStore(redis_client).get(T, notice_id).status == "resolved"


def test_resolve_after_delivery_reaches_everyone_once_and_only_once(
    make_settings: Callable[..., Settings], redis_client: redis.Redis
) -> None:
    settings = make_settings()
    add_members(redis_client, 6, email=lambda i: f"m{i}@example.org")
    notice_id = post(settings, redis_client, {**NOTICE, "channels": ["email"]})
    worker.run(settings, burst=True)
    follow(settings, redis_client, notice_id, "resolve", {"body": {"de": "Alles wieder gut."}})
    with pytest.raises(Conflict, match="already resolved"):
        follow(settings, redis_client, notice_id, "resolve", {})
    with pytest.raises(Conflict, match="already resolved"):
        follow(settings, redis_client, notice_id, "update", {"body": {"de": "zu spät"}})
    worker.run(settings, burst=True)
    lines = outbox_lines(settings, "email")
    assert len(lines) == 12
    resolves = [line for line in lines if "Alles wieder gut." in str(line["text"])]
    assert sorted(str(line["to"]) for line in resolves) == sorted(
        f"m{i}@example.org" for i in range(6) if i % 2 == 0
    )


def test_expired_notice_is_not_sent(
    make_settings: Callable[..., Settings], redis_client: redis.Redis
) -> None:
    settings = make_settings()
    add_members(redis_client, 3, email=lambda i: f"m{i}@example.org")
    soon = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    notice_id = post(settings, redis_client, {**NOTICE, "channels": ["email"], "expires_at": soon})
    time.sleep(1.2)
    worker.run(settings, burst=True)
    got = records.progress(redis_client, T, notice_id, ("email",))["email"]
    assert (got.total, got.sent, got.skipped) == (3, 0, 3)
    assert outbox_lines(settings, "email") == []


def test_critical_notice_overtakes_queued_ones(
    make_settings: Callable[..., Settings], redis_client: redis.Redis
) -> None:
    settings = make_settings(worker={"batch_size": 1})
    add_members(redis_client, 8, email=lambda i: f"m{i}@example.org")
    context.install(settings)
    normal = post(settings, redis_client, {**NOTICE, "channels": ["email"]})
    delivery.plan_notice(T, normal)  # eight batches wait in lifeline:email
    plan_queue(settings).empty()  # type: ignore[no-untyped-call]  # rq: Queue.empty unannotated
    critical_body = {
        **NOTICE,
        "severity": "critical",
        "headline": {"de": "KRITISCH", "en": "CRITICAL"},
    }
    post(settings, redis_client, {**critical_body, "channels": ["email"]})
    worker.run(settings, burst=True)
    subjects = [str(line["subject"]) for line in outbox_lines(settings, "email")]
    assert len(subjects) == 16
    assert all("KRITISCH" in s or "CRITICAL" in s for s in subjects[:8]), subjects


def test_progress_has_rate_and_failures_page_through_the_api(
    make_settings: Callable[..., Settings], redis_client: redis.Redis, bot_api: BotApiServer
) -> None:
    telegram = {"provider": "telegram", "token": BOT_TOKEN, "api_base": bot_api.api_base,
                "rate_per_second": 1000, "allow_paid_broadcast": True}  # fmt: skip
    settings = make_settings(channels={"telegram": telegram})
    add_members(redis_client, 8, telegram_chat_id=lambda i: 7000 + i)
    bot_api.blocked_chats.update({7001, 7003, 7005, 7007, 7000})
    notice_id = post(settings, redis_client, {**NOTICE, "channels": ["telegram"]})
    worker.run(settings, burst=True)
    key = apikeys.create(redis_client, T, {"support"})
    with TestClient(create_app(settings)) as api:
        api.headers["Authorization"] = f"Bearer {key}"
        shown = api.get(f"/v1/notices/{notice_id}").json()["progress"]["telegram"]
        assert shown["rate"] > 0
        assert (shown["sent"], shown["failed"], shown["eta_seconds"]) == (3, 5, 0.0)
        failures, cursor, pages = [], None, 0
        while True:
            page = api.get(
                f"/v1/notices/{notice_id}/failures",
                params={"limit": 2, **({"cursor": cursor} if cursor else {})},
            ).json()
            failures += page["failures"]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
    assert pages == 3
    members = MemberStore(redis_client)
    chats = sorted(cast(int, members.get(T, f["member_id"]).telegram_chat_id) for f in failures)
    assert chats == [7000, 7001, 7003, 7005, 7007]
    assert all("blocked" in f["reason"] for f in failures)
    assert all(members.get(T, f["member_id"]).address("telegram") is None for f in failures)


async def test_the_same_batch_run_twice_at_once_sends_each_member_once(
    make_settings: Callable[..., Settings],
    redis_client: redis.Redis,
    sms_gateway: SmsGatewayServer,
) -> None:
    sms = {"provider": "http", "url": sms_gateway.send_url, "token": sms_gateway.token,
           "sender": "DemoBKK", "rate_per_second": 1000}  # fmt: skip
    settings = make_settings(channels={"sms": sms})
    add_members(redis_client, 40, phone=lambda i: f"+49151{40000000 + i}")
    notice_id = post(settings, redis_client, {**NOTICE, "channels": ["sms"]})
    plan_queue(settings).empty()  # type: ignore[no-untyped-call]  # rq: Queue.empty unannotated
    context.install(settings)
    ids = list(MemberStore(redis_client).iter_subscribers(T, "sms", ["outages"]))
    # A job queued twice (say, an enqueue retried after a lost reply) runs on two workers.
    await asyncio.gather(
        delivery.deliver_batch(T, notice_id, "sms", ids),
        delivery.deliver_batch(T, notice_id, "sms", list(reversed(ids))),
    )
    sent = [m.to for m in sms_gateway.delivered]
    assert sorted(sent) == sorted(f"+49151{40000000 + i}" for i in range(40))
    got = records.progress(redis_client, T, notice_id, ("sms",))["sms"]
    assert (got.sent, got.reclaimed) == (40, 0)


def test_a_notice_whose_planning_job_was_lost_is_planned_again(
    make_settings: Callable[..., Settings], redis_client: redis.Redis
) -> None:
    settings = make_settings()
    add_members(redis_client, 3, email=lambda i: f"m{i}@example.org")
    store = NoticeStore(redis_client)
    # What the API stored before it died: the notice, but no planning job and no mark.
    doc = {**NOTICE, "channels": ["email"], "expires_at": None}
    lost, _ = store.create(T, doc)
    redis_client.zadd(notices_key(T), {str(lost.id): time.time() * 1000 - 60_000})
    fresh, _ = store.create(T, doc)  # too new to count as lost: its API may still queue it
    rt = context.install(settings)
    assert delivery.plan.recover_unplanned(rt) == [lost.id]
    assert delivery.plan.recover_unplanned(rt) == []
    worker.run(settings, burst=True)
    assert len(outbox_lines(settings, "email")) == 3
    assert store.field(T, fresh.id, "plan") is None
