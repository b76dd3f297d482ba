"""Members' SMS replies through the gateway's webhook: STOP ends their SMS (and the next
notice's SMS does not go to them), START brings them back, each confirmed once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from lifeline.config import Settings
from lifeline.consents import ConsentLog
from lifeline.members import MemberData, MemberStore
from lifeline.web import create_web_app
from lifeline.web.sms_inbound import _twilio_valid
from tests.api.helpers import TestClient
from tests.web.conftest import PUBLIC_URL, WEB
from tests.web.helpers import queued

TOKEN = "inbound-" + "t" * 24
NUMBER = "+4915123456789"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def settings(make_settings: Callable[..., Settings], tmp_path: Any) -> Settings:
    outbox = {"provider": "outbox", "path": str(tmp_path / "outbox")}
    return make_settings(
        web=WEB,
        channels={"email": outbox, "sms": outbox | {"inbound_token": TOKEN}},
    )


@pytest.fixture
def member_id(redis_client: redis.Redis) -> int:
    data = MemberData(language="de", topics=("outages",), phone=NUMBER, email="a@example.org")
    return MemberStore(redis_client).create("demo-bkk", data).id


def stop(web: TestClient, text: str = "STOP", **kwargs: Any) -> Any:
    body = {"from": "0151 23456789", "to": "+4930999", "text": text}
    return web.post("/sms/demo-bkk/inbound", json=body, **({"headers": BEARER} | kwargs))


def test_stop_pauses_sms_once_and_start_resumes(
    web: TestClient, member_id: int, redis_client: redis.Redis, redis_url: str
) -> None:
    members = MemberStore(redis_client)
    first = stop(web, "Stopp bitte")
    assert first.json() == {"action": "stopped"}
    assert members.get("demo-bkk", member_id).paused == frozenset({"sms"})
    assert members.get("demo-bkk", member_id).address("email") == "a@example.org"
    assert stop(web, "abmelden").json() == {"action": "stopped"}
    replies = queued(redis_url, "sms")
    assert len(replies) == 1  # answered once
    assert replies[0][0] == NUMBER
    assert "keine SMS der Demo BKK mehr" in replies[0][1].text
    assert stop(web, "START").json() == {"action": "started"}
    assert members.get("demo-bkk", member_id).paused == frozenset()
    assert len(queued(redis_url, "sms")) == 2
    actions = [(e.action, e.via) for e in ConsentLog(redis_client).history("demo-bkk", member_id)]
    assert actions == [("withdrawn", "sms"), ("resumed", "sms")]


def test_other_words_and_unknown_numbers_are_ignored_without_a_reply(
    web: TestClient, member_id: int, redis_url: str
) -> None:
    assert stop(web, "Hallo, wann geht die App wieder?").json() == {"action": "ignored"}
    body = {"from": "+4915199999999", "text": "STOP"}
    assert web.post("/sms/demo-bkk/inbound", json=body, headers=BEARER).json() == {
        "action": "ignored"
    }
    assert queued(redis_url, "sms") == []


def test_without_the_token_nothing_changes(
    web: TestClient, member_id: int, redis_client: redis.Redis
) -> None:
    assert stop(web, headers={}).status_code == 401
    assert stop(web, headers={"Authorization": "Bearer wrong-token-wrong-token"}).status_code == 401
    assert MemberStore(redis_client).get("demo-bkk", member_id).paused == frozenset()


def test_seven_shape_with_the_token_in_the_query(
    web: TestClient, member_id: int, redis_client: redis.Redis
) -> None:
    body = {"webhook_event": "sms_mo", "webhook_timestamp": "2026-12-02 11:55:44",
            "data": {"id": "1", "message_type": "SMS", "sender": "4915123456789",
                     "system": "4930999", "text": "STOP", "time": "1764676544"}}  # fmt: skip
    answer = web.post(f"/sms/demo-bkk/inbound?token={TOKEN}", json=body)
    assert answer.json() == {"action": "stopped"}
    assert MemberStore(redis_client).get("demo-bkk", member_id).paused == frozenset({"sms"})


def test_bad_bodies_are_4xx(web: TestClient) -> None:
    assert web.post("/sms/demo-bkk/inbound", content=b"{", headers=BEARER).status_code == 422
    assert web.post("/sms/demo-bkk/inbound", json={"x": 1}, headers=BEARER).status_code == 422
    big = web.post("/sms/demo-bkk/inbound", content=b"x" * 9000, headers=BEARER)
    assert big.status_code == 413


def test_twilio_signature_matches_twilios_published_example() -> None:
    form = {
        "CallSid": ["CA1234567890ABCDE"], "Caller": ["+12349013030"], "Digits": ["1234"],
        "From": ["+12349013030"], "To": ["+18005551212"],
    }  # fmt: skip
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert _twilio_valid("12345", url, form, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    assert not _twilio_valid("12346", url, form, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")


@pytest.fixture
def twilio_web(
    make_settings: Callable[..., Settings], redis_client: redis.Redis
) -> Iterator[TestClient]:
    sms = {"provider": "twilio", "account_sid": "AC" + "0" * 32, "auth_token": "12345",
           "sender": "+4930999"}  # fmt: skip
    settings = make_settings(web=WEB, channels={"sms": sms})
    with TestClient(create_web_app(settings), base_url=PUBLIC_URL) as client:
        yield client


def test_twilio_shape_is_checked_by_its_signature(
    twilio_web: TestClient, member_id: int, redis_client: redis.Redis
) -> None:
    import base64
    import hashlib
    import hmac

    form = {"From": NUMBER, "To": "+4930999", "Body": "STOP", "MessageSid": "SM1"}
    url = f"{PUBLIC_URL}/sms/demo-bkk/inbound"
    payload = url + "".join(f"{k}{form[k]}" for k in sorted(form))
    good = base64.b64encode(hmac.new(b"12345", payload.encode(), hashlib.sha1).digest()).decode()
    forged = twilio_web.post("/sms/demo-bkk/inbound", data=form,
                             headers={"X-Twilio-Signature": "AAAA" + good[4:]})  # fmt: skip
    assert forged.status_code == 401
    assert MemberStore(redis_client).get("demo-bkk", member_id).paused == frozenset()
    answer = twilio_web.post("/sms/demo-bkk/inbound", data=form,
                             headers={"X-Twilio-Signature": good})  # fmt: skip
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/xml")
    assert MemberStore(redis_client).get("demo-bkk", member_id).paused == frozenset({"sms"})
