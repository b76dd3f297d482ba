"""Delivery receipts end to end: a notice goes out through the SMS gateway and SMTP
stand-ins, the providers report back in their own shapes, and the recipients move from
sent to delivered or undeliverable — in the ledger and in ``GET /v1/notices/{id}``. A hard
bounce pauses the member's email; a wrong token or signature changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import redis

from lifeline.access import apikeys
from lifeline.api import create_app
from lifeline.config import Settings
from lifeline.delivery import records, worker
from lifeline.members import MemberData, MemberStore
from lifeline.web import create_web_app
from tests.api.helpers import NOTICE, TestClient
from tests.providers.reports import mailgun_event, seven_dlr, twilio_status_callback
from tests.providers.smsgateway import SmsGatewayServer
from tests.providers.smtp import SmtpServer
from tests.web.conftest import PUBLIC_URL, WEB

T = "demo-bkk"
SMS_TOKEN = "inbound-" + "t" * 24
BOUNCE_TOKEN = "bounces-" + "b" * 24
MAILGUN_KEY = "mailgun-signing-" + "k" * 16
PHONES = ("+4915120000001", "+4915120000002", "+4915120000003")
EMAILS = ("a@example.org", "b@example.org", "c@example.org")


def sms_channel(gw: SmsGatewayServer, api: str) -> dict[str, Any]:
    base = {"sender": "DemoBKK", "rate_per_second": 1000, "inbound_token": SMS_TOKEN}
    if api == "twilio":
        callback = f"{PUBLIC_URL}/receipts/{T}/sms"
        return base | {"provider": "twilio", "account_sid": gw.account_sid,
                       "auth_token": gw.auth_token, "api_base": gw.url,
                       "status_callback": callback}  # fmt: skip
    if api == "seven":
        return base | {"provider": "seven", "api_key": gw.api_key, "api_base": gw.url}
    return base | {"provider": "http", "url": gw.send_url, "token": gw.token}


def email_channel(relay: SmtpServer) -> dict[str, Any]:
    return {"provider": "smtp", "smtp_url": relay.url(), "from": "Demo BKK <service@example.org>",
            "rate_per_second": 1000, "bounce_token": BOUNCE_TOKEN,
            "mailgun_signing_key": MAILGUN_KEY}  # fmt: skip


@contextmanager
def apps(settings: Settings, client: redis.Redis) -> Iterator[tuple[TestClient, TestClient]]:
    """The public app (webhooks) and the admin API with a publisher key."""
    key = apikeys.create(client, T, {"publisher", "admin"}, name="test")
    with (
        TestClient(create_web_app(settings), base_url=PUBLIC_URL) as web,
        TestClient(create_app(settings)) as api,
    ):
        api.headers["Authorization"] = f"Bearer {key}"
        yield web, api


def members(client: redis.Redis) -> list[int]:
    store = MemberStore(client)
    return [
        store.create(T, MemberData(language="de", topics=("outages",), phone=p, email=e)).id
        for p, e in zip(PHONES, EMAILS, strict=True)
    ]


def deliver(settings: Settings, api: TestClient, channels: list[str]) -> int:
    """Post a notice and run a worker until it has gone out."""
    response = api.post("/v1/notices", json=NOTICE | {"channels": channels})
    assert response.status_code == 202, response.text
    worker.run(settings, burst=True)
    return int(response.json()["id"])


def progress(api: TestClient, notice_id: int, kind: str) -> tuple[int, int, int]:
    """(sent, delivered, undeliverable) of a channel, as the admin API shows them."""
    got = api.get(f"/v1/notices/{notice_id}").json()["progress"][kind]
    return got["sent"], got["delivered"], got["undeliverable"]


def message_ids(relay: SmtpServer) -> dict[str, str]:
    """Address → Message-ID of every mail the relay accepted."""
    return {mail.rcpt_tos[0]: str(mail.message["Message-ID"]) for mail in relay.delivered}


def state(client: redis.Redis, notice_id: int, kind: str, member_id: int) -> str | None:
    return records.state_of(client, T, notice_id, kind, member_id)


@pytest.fixture
def make(
    make_settings: Callable[..., Settings], sms_gateway: SmsGatewayServer, smtp_server: SmtpServer
) -> Callable[[str], Settings]:
    return lambda api: make_settings(
        web=WEB,
        channels={"sms": sms_channel(sms_gateway, api), "email": email_channel(smtp_server)},
    )


def test_generic_sms_reports_move_recipients_and_count_once(
    make: Callable[[str], Settings], redis_client: redis.Redis, sms_gateway: SmsGatewayServer
) -> None:
    settings = make("http")
    ids = members(redis_client)
    with apps(settings, redis_client) as (web, api):
        notice_id = deliver(settings, api, ["sms"])
        sent = {sms.to: sms.provider_id for sms in sms_gateway.delivered}
        assert set(sent) == set(PHONES)
        bearer = {"Authorization": f"Bearer {SMS_TOKEN}"}

        def report(phone: str, status: str, **extra: str) -> Any:
            body = {"message_id": sent[phone], "status": status, **extra}
            return web.post(f"/receipts/{T}/sms", json=body, headers=bearer).json()

        assert report(PHONES[0], "delivered") == {"result": "delivered"}
        failed = report(PHONES[1], "failed", reason="absent subscriber")
        assert failed == {"result": "undeliverable"}
        assert report(PHONES[2], "accepted") == {"result": "ignored"}  # not final yet
        assert report(PHONES[0], "delivered") == {"result": "unchanged"}  # a repeat
        assert report(PHONES[1], "failed") == {"result": "unchanged"}
        assert progress(api, notice_id, "sms") == (3, 1, 1)
        assert state(redis_client, notice_id, "sms", ids[0]) == f"d:{sent[PHONES[0]]}"
        assert state(redis_client, notice_id, "sms", ids[1]) == "u:absent subscriber"
        assert state(redis_client, notice_id, "sms", ids[2]) == f"s:{sent[PHONES[2]]}"
        unknown = {"message_id": "msg-nobody", "status": "delivered"}
        answer = web.post(f"/receipts/{T}/sms", json=unknown, headers=bearer)
        assert answer.json() == {"result": "unknown"}
        seen = api.get(f"/v1/members/{ids[1]}/deliveries").json()["deliveries"]
        assert [(d["state"], d["detail"]) for d in seen] == [("undeliverable", "absent subscriber")]
        # An SMS undeliverable once is not paused: the phone may be back tomorrow.
        assert MemberStore(redis_client).get(T, ids[1]).paused == frozenset()
        # The update goes to whom the notice reached or may have: not to the undeliverable.
        sms_gateway.reset()
        update = {"body": {"de": "Es geht wieder.", "en": "It works again."}}
        assert api.post(f"/v1/notices/{notice_id}/updates", json=update).status_code == 202
        worker.run(settings, burst=True)
        assert sorted(sms.to for sms in sms_gateway.delivered) == [PHONES[0], PHONES[2]]


def test_undeliverable_wins_in_whatever_order_reports_arrive(
    make: Callable[[str], Settings], redis_client: redis.Redis, sms_gateway: SmsGatewayServer
) -> None:
    settings = make("http")
    ids = members(redis_client)
    with apps(settings, redis_client) as (web, api):
        notice_id = deliver(settings, api, ["sms"])
        sent = {sms.to: sms.provider_id for sms in sms_gateway.delivered}
        bearer = {"Authorization": f"Bearer {SMS_TOKEN}"}

        def report(phone: str, status: str) -> str:
            body = {"message_id": sent[phone], "status": status}
            result: str = web.post(f"/receipts/{T}/sms", json=body, headers=bearer).json()["result"]
            return result

        # Delivered, then the gateway's later word: undeliverable. The count moves with it.
        assert report(PHONES[0], "delivered") == "delivered"
        assert progress(api, notice_id, "sms") == (3, 1, 0)
        assert report(PHONES[0], "undelivered") == "undeliverable"
        assert progress(api, notice_id, "sms") == (3, 0, 1)
        # The same two crossing on the way: undeliverable first, the late delivered is ignored.
        assert report(PHONES[1], "undelivered") == "undeliverable"
        assert report(PHONES[1], "delivered") == "unchanged"
        assert progress(api, notice_id, "sms") == (3, 0, 2)
        assert state(redis_client, notice_id, "sms", ids[0]) == state(
            redis_client, notice_id, "sms", ids[1]
        )
        totals = records.totals(redis_client, [(T, "sms")])[0]
        assert (totals["delivered"], totals["undeliverable"]) == ("1", "2")  # reports, as came


def test_twilio_status_callback_is_checked_by_its_signature(
    make: Callable[[str], Settings], redis_client: redis.Redis, sms_gateway: SmsGatewayServer
) -> None:
    settings = make("twilio")
    ids = members(redis_client)
    url = f"{PUBLIC_URL}/receipts/{T}/sms"
    with apps(settings, redis_client) as (web, api):
        notice_id = deliver(settings, api, ["sms"])
        sent = {sms.to: sms.provider_id for sms in sms_gateway.delivered}
        assert all(sid.startswith("SM") for sid in sent.values())
        # Each message tells Twilio where to report: the URL the signature is made for.
        assert {c.params.get("StatusCallback") for c in sms_gateway.calls_to("twilio")} == {url}

        def callback(phone: str, status: str, code: str = "", token: str = "") -> Any:
            form, headers = twilio_status_callback(
                token or sms_gateway.auth_token, url, sent[phone], status, code
            )
            return web.post(f"/receipts/{T}/sms", data=form, headers=headers)

        forged = callback(PHONES[0], "delivered", token="not-the-auth-token")
        assert forged.status_code == 401
        assert state(redis_client, notice_id, "sms", ids[0]) == f"s:{sent[PHONES[0]]}"
        assert callback(PHONES[0], "sent").json() == {"result": "ignored"}
        assert callback(PHONES[0], "delivered").json() == {"result": "delivered"}
        assert callback(PHONES[1], "undelivered", "30005").json() == {"result": "undeliverable"}
        assert progress(api, notice_id, "sms") == (3, 1, 1)
        assert state(redis_client, notice_id, "sms", ids[1]) == "u:twilio undelivered 30005"


def test_seven_dlr_webhook_with_the_token_in_the_url(
    make: Callable[[str], Settings], redis_client: redis.Redis, sms_gateway: SmsGatewayServer
) -> None:
    settings = make("seven")
    ids = members(redis_client)
    with apps(settings, redis_client) as (web, api):
        notice_id = deliver(settings, api, ["sms"])
        sent = {sms.to: sms.provider_id for sms in sms_gateway.delivered}

        def dlr(phone: str, status: str, token: str = SMS_TOKEN) -> Any:
            path = f"/receipts/{T}/sms?token={token}"
            return web.post(path, json=seven_dlr(sent[phone], status))

        assert dlr(PHONES[0], "DELIVERED", token="wrong-" + "w" * 20).status_code == 401
        assert progress(api, notice_id, "sms") == (3, 0, 0)
        assert dlr(PHONES[0], "TRANSMITTED").json() == {"result": "ignored"}
        assert dlr(PHONES[0], "DELIVERED").json() == {"result": "delivered"}
        assert dlr(PHONES[1], "NOTDELIVERED").json() == {"result": "undeliverable"}
        assert dlr(PHONES[2], "EXPIRED").json() == {"result": "undeliverable"}
        assert progress(api, notice_id, "sms") == (3, 1, 2)
        assert state(redis_client, notice_id, "sms", ids[1]) == "u:seven.io NOTDELIVERED"


def test_a_hard_bounce_pauses_email_and_the_next_notice_is_not_emailed(
    make: Callable[[str], Settings], redis_client: redis.Redis, smtp_server: SmtpServer
) -> None:
    settings = make("http")
    ids = members(redis_client)
    with apps(settings, redis_client) as (web, api):
        notice_id = deliver(settings, api, ["email"])
        mails = message_ids(smtp_server)
        assert set(mails) == set(EMAILS)

        def bounce(address: str, event: str, token: str = BOUNCE_TOKEN) -> Any:
            body = {"message_id": mails[address], "event": event, "reason": "550 5.1.1 unknown"}
            headers = {"Authorization": f"Bearer {token}"}
            return web.post(f"/receipts/{T}/email", json=body, headers=headers)

        assert bounce(EMAILS[0], "hard_bounce", token="wrong-" + "w" * 20).status_code == 401
        assert MemberStore(redis_client).get(T, ids[0]).paused == frozenset()
        assert bounce(EMAILS[0], "hard_bounce").json() == {"result": "undeliverable"}
        assert bounce(EMAILS[1], "soft_bounce").json() == {"result": "undeliverable"}
        assert bounce(EMAILS[2], "delivered").json() == {"result": "delivered"}
        assert progress(api, notice_id, "email") == (3, 1, 2)
        assert state(redis_client, notice_id, "email", ids[0]) == "u:550 5.1.1 unknown"
        store = MemberStore(redis_client)
        assert store.get(T, ids[0]).paused == frozenset({"email"})
        assert store.get(T, ids[1]).paused == frozenset()  # a full mailbox empties again

        smtp_server.reset()
        deliver(settings, api, ["email"])
        assert sorted(m.rcpt_tos[0] for m in smtp_server.delivered) == sorted(EMAILS[1:])


def test_mailgun_events_are_checked_by_their_signature(
    make: Callable[[str], Settings], redis_client: redis.Redis, smtp_server: SmtpServer
) -> None:
    settings = make("http")
    ids = members(redis_client)
    with apps(settings, redis_client) as (web, api):
        notice_id = deliver(settings, api, ["email"])
        mails = message_ids(smtp_server)

        def event(address: str, kind: str, key: str = MAILGUN_KEY, **extra: str) -> Any:
            body = mailgun_event(key, mails[address], kind, recipient=address, **extra)
            return web.post(f"/receipts/{T}/email", json=body)

        forged = event(EMAILS[0], "failed", key="a-key-mailgun-never-gave", severity="permanent",
                       reason="bounce")  # fmt: skip
        assert forged.status_code == 401
        assert MemberStore(redis_client).get(T, ids[0]).paused == frozenset()
        assert event(EMAILS[0], "delivered").json() == {"result": "delivered"}
        temporary = event(EMAILS[1], "failed", severity="temporary", reason="generic")
        assert temporary.json() == {"result": "ignored"}  # Mailgun retries it
        bounced = event(EMAILS[1], "failed", severity="permanent", reason="bounce")
        assert bounced.json() == {"result": "undeliverable"}
        assert progress(api, notice_id, "email") == (3, 1, 1)
        assert MemberStore(redis_client).get(T, ids[1]).paused == frozenset({"email"})
        assert str(state(redis_client, notice_id, "email", ids[1])).startswith(
            "u:mailgun bounce: 5.1.1"
        )


def test_bad_bodies_are_refused_naming_the_field(
    make: Callable[[str], Settings], redis_client: redis.Redis
) -> None:
    settings = make("http")
    sms = {"Authorization": f"Bearer {SMS_TOKEN}"}
    email = {"Authorization": f"Bearer {BOUNCE_TOKEN}"}
    with apps(settings, redis_client) as (web, _):
        no_id = web.post(f"/receipts/{T}/sms", json={"status": "delivered"}, headers=sms)
        assert no_id.status_code == 422
        assert "message_id" in no_id.text
        no_event = web.post(f"/receipts/{T}/email", json={"message_id": "<a@b>"}, headers=email)
        assert no_event.status_code == 422
        assert "event" in no_event.text
        wrong = web.post(f"/receipts/{T}/email", json={"message_id": "<a@b>", "event": "x"},
                         headers=email)  # fmt: skip
        assert wrong.status_code == 422
        assert web.post(f"/receipts/{T}/sms", content=b"[1]", headers=sms).status_code == 422
        huge = {"message_id": "m", "status": "delivered", "reason": "x" * 20_000}
        assert web.post(f"/receipts/{T}/sms", json=huge, headers=sms).status_code == 413
        nobody = web.post(f"/receipts/{T}/sms", json={"message_id": "m", "status": "delivered"})
        assert nobody.status_code == 401
        assert web.post("/receipts/no-such-tenant/sms", json={}, headers=sms).status_code == 404
