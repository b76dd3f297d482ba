"""A worker keeps its event loop, Redis client and provider connections across batch jobs
(``delivery.kept``): counted at the stand-ins, which see every connection opened."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis

from lifeline import delivery
from lifeline.config import Settings
from lifeline.core import defaults
from lifeline.delivery import context, kept, records, worker
from lifeline.members import MemberData, MemberStore
from tests.delivery.test_fanout import NOTICE, T, publish
from tests.faults import conftest as faults
from tests.processes import Fleet, wait_until
from tests.providers.botapi import BotApiServer
from tests.providers.fixtures import BOT_TOKEN
from tests.providers.smtp import SmtpServer

MEMBERS, BATCH, CONCURRENCY = 60, 10, 2
"""Six batch jobs of one notice, two sends at a time."""


def email(relay: SmtpServer, sender: str = "service@example.org") -> dict[str, Any]:
    return {"provider": "smtp", "smtp_url": relay.url(), "from": f"Demo BKK <{sender}>",
            "rate_per_second": 1000}  # fmt: skip


def seed(client: redis.Redis, n: int) -> list[int]:
    store = MemberStore(client)
    return [
        store.create(
            T,
            MemberData(
                language="de",
                topics=("outages",),
                email=f"m{i}@example.org",
                telegram_chat_id=5000 + i,
                consent_given_at=datetime(2026, 11, 1, tzinfo=UTC),
                consent_source="test",
            ),
        ).id
        for i in range(n)
    ]


def settings_for(make_settings: Callable[..., Settings], **channels: Any) -> Settings:
    return make_settings(
        channels=channels, worker={"batch_size": BATCH, "concurrency": CONCURRENCY}
    )


def test_the_batch_jobs_of_a_notice_share_the_smtp_connections(
    make_settings: Callable[..., Settings], redis_client: redis.Redis, smtp_server: SmtpServer
) -> None:
    """Six batch jobs, each with two sends in flight: two connections in all, not twelve."""
    settings = settings_for(make_settings, email=email(smtp_server))
    seed(redis_client, MEMBERS)
    notice_id = publish(settings, redis_client, {**NOTICE, "channels": ["email"]})
    worker.run(settings, burst=True)
    assert records.progress(redis_client, T, notice_id, ("email",))["email"].sent == MEMBERS
    assert len(smtp_server.delivered) == MEMBERS
    assert smtp_server.connections <= CONCURRENCY
    assert kept.installed() is None  # the worker stopped: closed with it


def test_the_batch_jobs_of_a_notice_share_the_http_connections(
    make_settings: Callable[..., Settings], redis_client: redis.Redis, bot_api: BotApiServer
) -> None:
    telegram = {"provider": "telegram", "token": BOT_TOKEN, "api_base": bot_api.api_base,
                "rate_per_second": 1000, "allow_paid_broadcast": True}  # fmt: skip
    settings = settings_for(make_settings, telegram=telegram)
    seed(redis_client, MEMBERS)
    notice_id = publish(settings, redis_client, {**NOTICE, "channels": ["telegram"]})
    worker.run(settings, burst=True)
    assert records.progress(redis_client, T, notice_id, ("telegram",))["telegram"].sent == MEMBERS
    # The batches' pool (two connections in use at a time) plus at most one for getMe.
    assert bot_api.connections <= CONCURRENCY + 1


def test_idle_connections_close_and_a_changed_config_reconnects(
    make_settings: Callable[..., Settings], redis_client: redis.Redis, smtp_server: SmtpServer
) -> None:
    settings = settings_for(make_settings, email=email(smtp_server))
    ids = seed(redis_client, 4 * BATCH)
    notice_id = publish(settings, redis_client, {**NOTICE, "channels": ["email"]})
    batches = [ids[i : i + BATCH] for i in range(0, len(ids), BATCH)]
    context.install(settings)
    loop = kept.install()

    def run_batch(members: list[int]) -> None:
        loop.run(delivery.deliver_batch(T, notice_id, "email", members))

    try:
        run_batch(batches[0])
        run_batch(batches[1])
        assert smtp_server.connections <= CONCURRENCY
        opened = smtp_server.connections
        assert not loop.close_idle()  # just used
        assert loop.close_idle(now=time.monotonic() + defaults.WORKER_IDLE_CLOSE_SECONDS + 1)
        assert not loop.holds
        run_batch(batches[2])
        assert smtp_server.connections > opened  # it connected again
        reopened = smtp_server.connections
        # Another sender address: the kept channel was opened with the old config.
        context.install(settings_for(make_settings, email=email(smtp_server, "alerts@x.org")))
        run_batch(batches[3])
        assert smtp_server.connections > reopened
        assert {m.mail_from for m in smtp_server.delivered[-BATCH:]} == {"alerts@x.org"}
    finally:
        kept.uninstall()
    assert records.progress(redis_client, T, notice_id, ("email",))["email"].sent == len(ids)


def test_a_real_worker_keeps_its_connections_and_closes_them_on_sigterm(
    provider_config: Callable[..., Path],
    fleet: Callable[[Path], Fleet],
    redis_client: redis.Redis,
    smtp_server: SmtpServer,
) -> None:
    """``lifeline worker``: three batch jobs over the connections of the first, and a
    SIGTERM ends each session with QUIT before the process exits."""
    n = 3 * BATCH
    config = provider_config(batch_size=BATCH, concurrency=CONCURRENCY)
    faults.seed_members(redis_client, n)
    with faults.admin_api(config, redis_client) as api:
        notice_id = faults.post_notice(api, "email")
    workers = fleet(config)
    process = workers.start(name="kept-1")
    wait_until(faults.complete(redis_client, notice_id, "email", n), timeout=60, what="all sent")
    assert faults.progress(redis_client, notice_id, "email").sent == n
    assert 1 <= smtp_server.connections <= CONCURRENCY
    assert smtp_server.quits == 0  # kept open while the worker waits for the next job
    assert workers.terminate(process) == 0
    assert smtp_server.quits == smtp_server.connections
