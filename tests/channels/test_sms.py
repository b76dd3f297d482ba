"""The HTTP SMS providers (generic gateway, Twilio) against the gateway stand-in."""

from __future__ import annotations

import asyncio
import base64
import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from lifeline.channels import Delivered, Failed, Message, Recipient, RetryLater
from lifeline.channels.http_sms import HttpSmsChannel, HttpSmsConfig, retry_after
from lifeline.channels.seven import SevenConfig
from lifeline.channels.twilio import TwilioConfig
from lifeline.config import settings_from_dict
from lifeline.core.errors import ConfigError
from lifeline.core.masking import mask_phone
from tests.providers.smsgateway import SmsGatewayServer

ERIKA = "+4915112345678"
TEXT = Message(text="Demo BKK: Online-Filiale gestoert. Hotline 030 1234567.")
MESSAGING_SERVICE = "MG" + "ab" * 16


def member(number: str = ERIKA) -> Recipient:
    return Recipient(member_id=3, address=number, language="de")


def http_config(gw: SmsGatewayServer, **changes: Any) -> HttpSmsConfig:
    raw = {"url": gw.send_url, "token": gw.token, "sender": "DemoBKK"} | changes
    return HttpSmsConfig.model_validate(raw)


def twilio_config(gw: SmsGatewayServer, **changes: Any) -> TwilioConfig:
    raw = {
        "account_sid": gw.account_sid,
        "auth_token": gw.auth_token,
        "sender": "+4930555000",
        "api_base": gw.url,
    } | changes
    return TwilioConfig.model_validate(raw)


def seven_config(gw: SmsGatewayServer, **changes: Any) -> SevenConfig:
    raw = {"api_key": gw.api_key, "sender": "DemoBKK", "api_base": gw.url} | changes
    return SevenConfig.model_validate(raw)


async def send_via(
    config: HttpSmsConfig | TwilioConfig | SevenConfig, recipient: Recipient | None = None
) -> Any:
    async with config.create(kind="sms", tenant_id="demo-bkk") as channel:
        return await channel.send(recipient or member(), TEXT)


# --- generic JSON gateway ---------------------------------------------------------------


async def test_http_posts_to_from_text_with_bearer_token(sms_gateway: SmsGatewayServer) -> None:
    outcome = await send_via(http_config(sms_gateway))
    [call] = sms_gateway.calls_to("http")
    assert call.params == {"to": ERIKA, "from": "DemoBKK", "text": TEXT.text}
    assert call.headers["authorization"] == f"Bearer {sms_gateway.token}"
    assert call.headers["content-type"] == "application/json"
    [sms] = sms_gateway.delivered
    assert outcome == Delivered(provider_id=sms.provider_id)


async def test_http_reads_message_id_as_well(sms_gateway: SmsGatewayServer) -> None:
    sms_gateway.id_field = "message_id"
    outcome = await send_via(http_config(sms_gateway))
    assert outcome == Delivered(provider_id=sms_gateway.delivered[0].provider_id)


async def test_http_rate_limit_honours_retry_after(sms_gateway: SmsGatewayServer) -> None:
    sms_gateway.retry_after = 12
    sms_gateway.fail_next(1, "429")
    outcome = await send_via(http_config(sms_gateway))
    assert isinstance(outcome, RetryLater)
    assert outcome.after == 12
    assert "429" in outcome.reason
    assert sms_gateway.delivered == []


async def test_http_server_error_is_retried(sms_gateway: SmsGatewayServer) -> None:
    sms_gateway.fail_next(1, "500")
    outcome = await send_via(http_config(sms_gateway))
    assert isinstance(outcome, RetryLater)
    assert outcome.after is None
    assert "Internal Server Error" in outcome.reason


async def test_http_invalid_number_fails_with_the_gateways_words(
    sms_gateway: SmsGatewayServer,
) -> None:
    sms_gateway.invalid_numbers.add(ERIKA)
    outcome = await send_via(http_config(sms_gateway))
    assert isinstance(outcome, Failed)
    assert not outcome.unsubscribe
    assert "422" in outcome.reason
    assert "invalid 'To' number" in outcome.reason
    assert ERIKA not in outcome.reason
    assert mask_phone(ERIKA) in outcome.reason


async def test_http_wrong_token_is_a_credentials_failure(sms_gateway: SmsGatewayServer) -> None:
    outcome = await send_via(http_config(sms_gateway, token="not-the-token"))
    assert isinstance(outcome, Failed)
    assert outcome.reason.startswith("gateway refused credentials")
    assert "401" in outcome.reason
    assert "not-the-token" not in outcome.reason


async def test_texts_over_max_segments_are_refused_before_paying(
    sms_gateway: SmsGatewayServer,
) -> None:
    config = http_config(sms_gateway, max_segments=3)
    async with config.create(kind="sms", tenant_id="demo-bkk") as channel:
        fits = await channel.send(member(), Message(text="a" * 459))  # 3 x 153 GSM-7 septets
        too_long = await channel.send(member(), Message(text="a" * 460))
        unicode = await channel.send(member(), Message(text="🚨" * 101))  # UCS-2: 4 parts
    assert isinstance(fits, Delivered)
    assert isinstance(too_long, Failed)
    assert "4 SMS parts" in too_long.reason
    assert isinstance(unicode, Failed)
    assert len(sms_gateway.calls) == 1


async def test_slow_gateway_times_out(sms_gateway: SmsGatewayServer) -> None:
    sms_gateway.fail_next(1, "slow")
    sms_gateway.slow_seconds = 3.0
    channel = HttpSmsChannel(http_config(sms_gateway), kind="sms", tenant_id="t", timeout=0.5)
    async with channel:
        slow = await channel.send(member(), TEXT)
        fine = await channel.send(member(), TEXT)
    assert isinstance(slow, RetryLater)
    assert "in time" in slow.reason
    assert isinstance(fine, Delivered)
    assert len(sms_gateway.delivered) == 1


async def test_unreachable_gateway_is_retried() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    raw = {"url": f"http://127.0.0.1:{port}/send", "token": "t", "sender": "DemoBKK"}
    outcome = await send_via(HttpSmsConfig.model_validate(raw))
    assert isinstance(outcome, RetryLater)
    assert "unreachable" in outcome.reason


async def test_concurrent_sends_over_one_client(sms_gateway: SmsGatewayServer) -> None:
    numbers = [f"+49151000000{i:02d}" for i in range(30)]
    async with http_config(sms_gateway).create(kind="sms", tenant_id="demo-bkk") as channel:
        outcomes = await asyncio.gather(*(channel.send(member(n), TEXT) for n in numbers))
    assert all(isinstance(o, Delivered) for o in outcomes)
    assert sorted(s.to for s in sms_gateway.delivered) == numbers


async def test_random_failures_are_never_counted_as_delivered(
    sms_gateway: SmsGatewayServer,
) -> None:
    sms_gateway.failure_rate = 0.4
    numbers = [f"+49151000000{i:02d}" for i in range(40)]
    async with http_config(sms_gateway).create(kind="sms", tenant_id="demo-bkk") as channel:
        outcomes = await asyncio.gather(*(channel.send(member(n), TEXT) for n in numbers))
    ok = {n for n, o in zip(numbers, outcomes, strict=True) if isinstance(o, Delivered)}
    assert 0 < len(ok) < 40
    assert all(isinstance(o, RetryLater) for o in outcomes if not isinstance(o, Delivered))
    assert {s.to for s in sms_gateway.delivered} == ok


# --- Twilio -----------------------------------------------------------------------------


async def test_twilio_posts_the_messages_api_form(sms_gateway: SmsGatewayServer) -> None:
    outcome = await send_via(twilio_config(sms_gateway))
    [call] = sms_gateway.calls_to("twilio")
    assert call.params == {"To": ERIKA, "From": "+4930555000", "Body": TEXT.text}
    assert call.headers["content-type"] == "application/x-www-form-urlencoded"
    basic = base64.b64encode(f"{sms_gateway.account_sid}:{sms_gateway.auth_token}".encode())
    assert call.headers["authorization"] == f"Basic {basic.decode()}"
    [sms] = sms_gateway.delivered
    assert sms.provider_id.startswith("SM")
    assert outcome == Delivered(provider_id=sms.provider_id)


async def test_twilio_messaging_service_replaces_from(sms_gateway: SmsGatewayServer) -> None:
    await send_via(twilio_config(sms_gateway, sender=MESSAGING_SERVICE))
    [call] = sms_gateway.calls_to("twilio")
    assert call.params == {"To": ERIKA, "MessagingServiceSid": MESSAGING_SERVICE, "Body": TEXT.text}


async def test_twilio_invalid_number_fails(sms_gateway: SmsGatewayServer) -> None:
    outcome = await send_via(twilio_config(sms_gateway), member("+49 151 1234"))
    assert isinstance(outcome, Failed)
    assert not outcome.unsubscribe
    assert "21211" in outcome.reason


async def test_twilio_opted_out_recipient_unsubscribes(sms_gateway: SmsGatewayServer) -> None:
    sms_gateway.unsubscribed_numbers.add(ERIKA)
    outcome = await send_via(twilio_config(sms_gateway))
    assert isinstance(outcome, Failed)
    assert outcome.unsubscribe
    assert "21610" in outcome.reason
    assert sms_gateway.delivered == []


@pytest.mark.parametrize(("fault", "after"), [("429", 2.0), ("500", None)])
async def test_twilio_transient_errors_are_retried(
    sms_gateway: SmsGatewayServer, fault: str, after: float | None
) -> None:
    sms_gateway.fail_next(1, fault)
    outcome = await send_via(twilio_config(sms_gateway))
    assert isinstance(outcome, RetryLater)
    assert outcome.after == after
    assert sms_gateway.delivered == []


async def test_twilio_wrong_auth_token_is_a_credentials_failure(
    sms_gateway: SmsGatewayServer,
) -> None:
    outcome = await send_via(twilio_config(sms_gateway, auth_token="wrong-auth-token"))
    assert isinstance(outcome, Failed)
    assert outcome.reason.startswith("gateway refused credentials")
    assert "20003" in outcome.reason
    assert "wrong-auth-token" not in outcome.reason


# --- seven.io ---------------------------------------------------------------------------


async def test_seven_posts_json_with_api_key(sms_gateway: SmsGatewayServer) -> None:
    outcome = await send_via(seven_config(sms_gateway))
    [call] = sms_gateway.calls_to("seven")
    assert call.params == {"to": ERIKA, "from": "DemoBKK", "text": TEXT.text}
    assert call.headers["x-api-key"] == sms_gateway.api_key
    [sms] = sms_gateway.delivered
    assert outcome == Delivered(provider_id=sms.provider_id)


async def test_seven_invalid_number_fails(sms_gateway: SmsGatewayServer) -> None:
    sms_gateway.invalid_numbers.add(ERIKA)
    outcome = await send_via(seven_config(sms_gateway))
    assert isinstance(outcome, Failed)
    assert "return code 202" in outcome.reason
    assert ERIKA not in outcome.reason
    assert sms_gateway.delivered == []


async def test_seven_wrong_key_is_a_credentials_failure(sms_gateway: SmsGatewayServer) -> None:
    outcome = await send_via(seven_config(sms_gateway, api_key="wrong-key"))
    assert isinstance(outcome, Failed)
    assert outcome.reason.startswith("gateway refused credentials")
    assert "900" in outcome.reason


@pytest.mark.parametrize("fault", ["429", "500"])
async def test_seven_transient_errors_are_retried(
    sms_gateway: SmsGatewayServer, fault: str
) -> None:
    sms_gateway.fail_next(1, fault)
    outcome = await send_via(seven_config(sms_gateway))
    assert isinstance(outcome, RetryLater)
    assert sms_gateway.delivered == []


# --- config and helpers -----------------------------------------------------------------


def sms_settings(**sms: Any) -> dict[str, Any]:
    return {"tenants": [{"id": "demo-bkk", "name": "Demo BKK", "channels": {"sms": sms}}]}


def test_all_providers_are_registered() -> None:
    http = {
        "provider": "http",
        "url": "https://sms.example.org/send",
        "token": "t",
        "sender": "DemoBKK",
    }
    twilio = {
        "provider": "twilio",
        "account_sid": "AC" + "0" * 32,
        "auth_token": "secret",
        "sender": "+4930555000",
    }
    seven = {"provider": "seven", "api_key": "k", "sender": "DemoBKK"}
    for raw, kind in ((http, HttpSmsConfig), (twilio, TwilioConfig), (seven, SevenConfig)):
        sms = settings_from_dict(sms_settings(**raw), env={}).tenants[0].channels.sms
        assert isinstance(sms, kind)
        assert sms.max_segments == 3


@pytest.mark.parametrize(
    ("raw", "complaint"),
    [
        ({"provider": "http", "url": "ftp://x", "token": "t", "sender": "X"}, r"\.url: .*http"),
        (
            {"provider": "http", "url": "https://x", "token": "t", "sender": "Far too long"},
            r"\.sender",
        ),
        (
            {"provider": "twilio", "account_sid": "AC1", "auth_token": "t", "sender": "X"},
            r"\.account_sid",
        ),
        (
            {"provider": "twilio", "account_sid": "AC" + "0" * 32, "auth_token": "t", "sender": "X"}
            | {"max_segments": 0},
            r"\.max_segments",
        ),
    ],
)
def test_bad_settings_name_the_key(raw: dict[str, Any], complaint: str) -> None:
    with pytest.raises(ConfigError, match=r"tenants\[0\]\.channels\.sms" + complaint):
        settings_from_dict(sms_settings(**raw), env={})


def test_secrets_never_show(sms_gateway: SmsGatewayServer) -> None:
    http = http_config(sms_gateway, token="bearer-secret")
    twilio = twilio_config(sms_gateway, auth_token="twilio-secret")
    seven = seven_config(sms_gateway, api_key="seven-secret")
    for shown in map(repr, (http, twilio, seven)):
        assert "-secret" not in shown
    for shown in map(str, (http, twilio, seven)):
        assert "-secret" not in shown
    with pytest.raises(ValidationError) as error:
        HttpSmsConfig.model_validate({"url": "ftp://x", "token": "bearer-secret", "sender": "?"})
    assert "bearer-secret" not in str(error.value)


def test_mask_phone() -> None:
    assert mask_phone("+4915112345678") == "+49151****78"
    assert mask_phone("+491") == "****"


def test_retry_after_reads_seconds_and_dates() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    assert retry_after(httpx.Response(429, headers={"Retry-After": "30"})) == 30
    assert 80 < (retry_after(httpx.Response(429, headers={"Retry-After": later})) or 0) <= 90
    assert retry_after(httpx.Response(429)) is None
    assert retry_after(httpx.Response(429, headers={"Retry-After": "soon"})) is None
