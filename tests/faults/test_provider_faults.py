"""Providers that push back, fail, stall or hang up: everyone still gets it exactly once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from tests.faults.conftest import (
    admin_api,
    chat,
    complete,
    email,
    phone,
    post_notice,
    progress,
    seed_members,
    tally,
)
from tests.processes import Fleet, wait_until
from tests.providers.botapi import BotApiServer
from tests.providers.smsgateway import SmsGatewayServer
from tests.providers.smtp import SmtpServer

pytestmark = pytest.mark.slow


def test_telegram_429_with_retry_after_to_every_second_call(
    provider_config: Callable[..., Path],
    fleet: Callable[[Path], Fleet],
    redis_client: redis.Redis,
    bot_api: BotApiServer,
) -> None:
    n = 24
    bot_api.retry_after = 1
    for _ in range(n):
        bot_api.fail_next(1, "retry_after")
        bot_api.fail_next(1, "ok")
    config = provider_config()
    seed_members(redis_client, n)
    with admin_api(config, redis_client) as api:
        notice_id = post_notice(api, "telegram")
    fleet(config).start()
    wait_until(complete(redis_client, notice_id, "telegram", n), timeout=90, what="all recorded")

    calls = bot_api.calls_to("sendMessage")
    statuses = Counter(call.status for call in calls)
    final = progress(redis_client, notice_id, "telegram")
    got = tally((str(m.chat_id) for m in bot_api.delivered), (str(chat(i)) for i in range(n)))
    print(f"\n429 to every second call, {n} recipients: {got}, {dict(statuses)}, {final.retried=}")
    assert statuses == {429: n, 200: n}
    assert (final.sent, final.failed, final.retried, final.reclaimed) == (n, 0, n, 0)
    assert got == type(got)(delivered=n, duplicates=0, lost=0, strangers=0)


def test_sms_gateway_5xx_and_timeouts(
    provider_config: Callable[..., Path],
    fleet: Callable[[Path], Fleet],
    redis_client: redis.Redis,
    sms_gateway: SmsGatewayServer,
) -> None:
    n = 40
    sms_gateway.slow_seconds = 11  # longer than the channel's 10 s timeout: a real timeout
    for fault in ("500", "slow") * 3:
        sms_gateway.fail_next(1, fault)
        sms_gateway.fail_next(1, "ok")
    config = provider_config()
    seed_members(redis_client, n)
    with admin_api(config, redis_client) as api:
        notice_id = post_notice(api, "sms")
    fleet(config).start()
    wait_until(complete(redis_client, notice_id, "sms", n), timeout=90, what="all recorded")
    # A stalled call is logged once the stand-in gives up on it, after the client did.
    wait_until(lambda: len(sms_gateway.calls) >= n + 6, timeout=30, what="stalls logged")

    statuses = Counter(call.status for call in sms_gateway.calls_to("http"))
    final = progress(redis_client, notice_id, "sms")
    got = tally((sms.to for sms in sms_gateway.delivered), (phone(i) for i in range(n)))
    print(f"\n3 × 500 and 3 × timeout, {n} recipients: {got}, {dict(statuses)}")
    assert statuses == {500: 6, 200: n}
    assert (final.sent, final.failed, final.retried, final.reclaimed) == (n, 0, 6, 0)
    assert got == type(got)(delivered=n, duplicates=0, lost=0, strangers=0)


def test_smtp_relay_drops_the_connection_mid_batch(
    provider_config: Callable[..., Path],
    fleet: Callable[[Path], Fleet],
    redis_client: redis.Redis,
    smtp_server: SmtpServer,
) -> None:
    n = 200
    config = provider_config(email_rate=50)
    seed_members(redis_client, n)
    with admin_api(config, redis_client) as api:
        notice_id = post_notice(api, "email")
    fleet(config).start()
    wait_until(lambda: len(smtp_server.delivered) >= 30, timeout=60, what="30 mails")
    connections = smtp_server.connections
    smtp_server.fail_next(3, "drop")  # the next three messages: hang up instead of answering
    wait_until(complete(redis_client, notice_id, "email", n), timeout=90, what="all recorded")

    final = progress(redis_client, notice_id, "email")
    got = tally((m.rcpt_tos[0] for m in smtp_server.delivered), (email(i) for i in range(n)))
    print(f"\n3 dropped connections, {n} recipients: {got}, {final.retried=}")
    assert (final.sent, final.failed, final.retried, final.reclaimed) == (n, 0, 3, 0)
    assert got == type(got)(delivered=n, duplicates=0, lost=0, strangers=0)
    assert smtp_server.connections >= connections + 3, "each dropped slot reconnected"
