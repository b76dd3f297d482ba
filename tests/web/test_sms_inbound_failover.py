"""With several SMS providers, members' replies may come through any of them: each
provider's own inbound token is accepted, and nothing else."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from lifeline.config import Settings
from lifeline.members import MemberData, MemberStore
from lifeline.web import create_web_app
from tests.api.helpers import TestClient
from tests.web.conftest import PUBLIC_URL, WEB

FIRST, SECOND = "first-" + "a" * 24, "second-" + "b" * 24
NUMBER = "+4915123456789"


@pytest.fixture
def web(make_settings: Callable[..., Settings], tmp_path: Path) -> Iterator[TestClient]:
    outbox = {"provider": "outbox", "path": str(tmp_path / "outbox")}
    gateway = {"provider": "http", "url": "http://gw.example/send", "token": "t",
               "sender": "DemoBKK"}  # fmt: skip
    settings = make_settings(
        web=WEB,
        channels={"email": outbox, "sms": [gateway | {"inbound_token": FIRST},
                                           outbox | {"inbound_token": SECOND}]},
    )  # fmt: skip
    with TestClient(create_web_app(settings), base_url=PUBLIC_URL) as client:
        yield client


@pytest.mark.parametrize("token", [FIRST, SECOND])
def test_each_providers_token_is_accepted(
    web: TestClient, redis_client: redis.Redis, token: str
) -> None:
    data = MemberData(language="de", topics=("outages",), phone=NUMBER)
    member = MemberStore(redis_client).create("demo-bkk", data)
    body = {"from": NUMBER, "to": "+4930999", "text": "STOP"}

    answer = web.post("/sms/demo-bkk/inbound", json=body,
                      headers={"Authorization": f"Bearer {token}"})  # fmt: skip

    assert answer.json() == {"action": "stopped"}
    assert MemberStore(redis_client).get("demo-bkk", member.id).paused == frozenset({"sms"})


def test_another_token_is_refused(web: TestClient) -> None:
    body = {"from": NUMBER, "to": "+4930999", "text": "STOP"}
    answer = web.post("/sms/demo-bkk/inbound", json=body,
                      headers={"Authorization": f"Bearer {'x' * 30}"})  # fmt: skip

    assert answer.status_code == 401
