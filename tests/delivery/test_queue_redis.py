"""A Redis of its own for the job queues (``[queue] url``, issue 12.4): jobs live there,
members, notices and delivery states in the store's Redis, and a notice still goes out."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import cast

import pytest
import redis

from lifeline.access import apikeys
from lifeline.api import create_app
from lifeline.cli.embedded_redis import EmbeddedRedis
from lifeline.config import Settings, settings_from_dict
from lifeline.delivery import worker
from lifeline.members import MemberData, MemberStore
from tests import reaper
from tests.api.helpers import NOTICE, TestClient


@pytest.fixture
def queue_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = EmbeddedRedis(tmp_path_factory.mktemp("queue-redis"), appendonly=False)
    with server:
        reaper.adopt(server.pid)
        yield server.url


def test_jobs_in_the_queue_redis_data_in_the_store(
    make_settings: Callable[..., Settings],
    redis_client: redis.Redis,
    queue_url: str,
    tmp_path: Path,
) -> None:
    base = make_settings()
    raw = base.model_dump(mode="json", by_alias=True, exclude_none=True)
    raw["queue"] = {"url": queue_url}
    settings = settings_from_dict(raw, env={})
    assert settings.queue_url == queue_url
    queues = redis.Redis.from_url(queue_url)
    queues.flushdb()
    MemberStore(redis_client).create(
        "demo-bkk", MemberData(language="de", topics=("outages",), email="q@example.org")
    )
    key = apikeys.create(redis_client, "demo-bkk", {"publisher"}, name="test")
    with TestClient(create_app(settings)) as api:
        api.headers["Authorization"] = f"Bearer {key}"
        notice_id = api.post("/v1/notices", json=NOTICE).json()["id"]
        assert queues.llen("rq:queue:lifeline:plan") == 1
        assert not cast(list[str], redis_client.keys("rq:*"))
        worker.run(settings, burst=True)
        progress = api.get(f"/v1/notices/{notice_id}").json()["progress"]
    assert progress["email"]["sent"] == 1
    assert not cast(list[str], redis_client.keys("rq:*"))  # the store holds no job
    outbox = Path(settings.tenants[0].channels.email.path)  # type: ignore[union-attr]
    assert "q@example.org" in (outbox / "demo-bkk" / "email.jsonl").read_text()
