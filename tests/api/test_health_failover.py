"""/readyz with a channel of several providers: each provider's breaker is shown, a failing
one is a warning, and the process stays ready (the next provider sends)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
import redis.asyncio as aioredis

from lifeline.api import create_app
from lifeline.channels import RetryLater
from lifeline.channels.base import BreakerConfig
from lifeline.config import Settings
from lifeline.delivery.breaker import CLOSED, Breakers, Pick
from tests.api.helpers import TestClient


@pytest.fixture
def api(
    make_settings: Callable[..., Settings], tmp_path: Path, redis_client: redis.Redis
) -> Iterator[TestClient]:
    outbox = {"provider": "outbox", "path": str(tmp_path / "outbox")}
    sms = [outbox | {"name": "first"}, outbox | {"name": "second"}]
    with TestClient(create_app(make_settings(channels={"email": outbox, "sms": sms}))) as client:
        yield client


def fail(redis_url: str, *names: str) -> None:
    """Open these providers' breakers the way sends do: transient failures in a row."""

    async def run() -> None:
        client = aioredis.Redis.from_url(redis_url, decode_responses=True)
        all_names = ["first", "second"]
        breakers = Breakers(client, "demo-bkk", "sms",
                            [(n, BreakerConfig(failure_streak=1)) for n in all_names])  # fmt: skip
        for name in names:
            await breakers.record(Pick(all_names.index(name), CLOSED), RetryLater("503"))
        await client.aclose()

    asyncio.run(run())


def states(api: TestClient) -> tuple[int, dict[str, str], list[str]]:
    reply = api.get("/readyz")
    body = reply.json()
    return (
        reply.status_code,
        {p["provider"]: p["state"] for p in body["providers"]},
        [w for w in body["warnings"] if "sms" in w],
    )


def test_every_provider_closed_is_no_warning(api: TestClient) -> None:
    status, providers, warnings = states(api)

    assert (status, providers, warnings) == (200, {"first": "closed", "second": "closed"}, [])
    channels = {p["channel"] for p in api.get("/readyz").json()["providers"]}
    assert channels == {"sms"}, "a channel with one provider has no breaker to show"


def test_one_failing_provider_warns_and_stays_ready(api: TestClient, redis_url: str) -> None:
    fail(redis_url, "first")

    status, providers, warnings = states(api)

    assert (status, providers) == (200, {"first": "open", "second": "closed"})
    assert warnings == ["demo-bkk sms: provider first failing, the next sends"]


def test_every_provider_failing_says_so(api: TestClient, redis_url: str) -> None:
    fail(redis_url, "first", "second")

    status, providers, warnings = states(api)

    assert (status, providers) == (200, {"first": "open", "second": "open"})
    assert warnings == ["demo-bkk sms: every provider is failing (first, second)"]
