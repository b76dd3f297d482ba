"""Telegram paid broadcasts (issue 14.4): an opt-in per tenant, with its own rate bound."""

from __future__ import annotations

from pathlib import Path

import pytest

from lifeline.channels import Delivered, Message, Recipient
from lifeline.channels.telegram import TelegramConfig
from lifeline.config import load_settings
from lifeline.core import defaults
from lifeline.core.errors import ConfigError
from tests.providers.botapi import BotApiServer
from tests.providers.fixtures import BOT_TOKEN

CONFIG = """
[redis]
url = "redis://127.0.0.1:6379/0"

[[tenants]]
id = "demo-bkk"
name = "Demo BKK"
default_language = "de"
hotline = "+49 30 1234567"
website = "https://status.example.org"

[tenants.channels.telegram]
provider = "telegram"
token = "123:abc"
api_base = "http://127.0.0.1:8081/bot"
{telegram}
"""


def load(tmp_path: Path, telegram: str) -> TelegramConfig:
    path = tmp_path / "lifeline.toml"
    path.write_text(CONFIG.format(telegram=telegram), encoding="utf-8")
    tenant = load_settings(path, env={}).tenant("demo-bkk")
    assert tenant is not None
    config = tenant.channels.telegram
    assert isinstance(config, TelegramConfig)
    return config


async def send_one(bot_api: BotApiServer, **config: object) -> dict[str, object]:
    """Send one message through a channel with this config; the parameters Telegram got."""
    channel = TelegramConfig(token=BOT_TOKEN, api_base=bot_api.api_base, **config).create(
        kind="telegram", tenant_id="demo-bkk"
    )
    async with channel:
        outcome = await channel.send(
            Recipient(member_id=1, address="4242", language="de"), Message(text="Störung")
        )
    [sent] = bot_api.delivered
    assert outcome == Delivered(provider_id=str(sent.message_id))
    return sent.params


# --- what is sent -----------------------------------------------------------------------


async def test_opted_in_bot_sends_allow_paid_broadcast(bot_api: BotApiServer) -> None:
    params = await send_one(bot_api, allow_paid_broadcast=True, rate_per_second=1000)
    assert str(params["allow_paid_broadcast"]).lower() == "true"


async def test_bot_without_opt_in_leaves_the_parameter_out(bot_api: BotApiServer) -> None:
    # Absent, not false: Telegram bills only requests that carry it.
    params = await send_one(bot_api)
    assert "allow_paid_broadcast" not in params


# --- what the config accepts ------------------------------------------------------------


def test_free_rate_is_the_default_and_the_bound_without_opt_in(tmp_path: Path) -> None:
    config = load(tmp_path, f"rate_per_second = {defaults.TELEGRAM_FREE_RATE_PER_SECOND:g}")
    assert config.rate_per_second == 30
    assert config.allow_paid_broadcast is False
    assert load(tmp_path, "").rate_per_second == defaults.TELEGRAM_RATE_PER_SECOND


def test_rate_above_free_limit_without_opt_in_is_refused_naming_the_key(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, "rate_per_second = 31")
    message = str(caught.value)
    assert "tenants[0].channels.telegram.rate_per_second:" in message
    assert "allow_paid_broadcast = true" in message


def test_opt_in_allows_up_to_a_thousand(tmp_path: Path) -> None:
    config = load(tmp_path, "allow_paid_broadcast = true\nrate_per_second = 1000")
    assert config.rate_per_second == 1000
    assert config.allow_paid_broadcast is True


def test_opt_in_rate_above_a_thousand_is_refused_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, "allow_paid_broadcast = true\nrate_per_second = 1001")
    assert (
        "tenants[0].channels.telegram.rate_per_second: Input should be less than or equal to 1000"
        in str(caught.value)
    )


def test_opt_in_given_after_the_rate_still_counts(tmp_path: Path) -> None:
    # TOML keys are unordered for the reader: the bound must not depend on their order.
    config = load(tmp_path, "rate_per_second = 500\nallow_paid_broadcast = true")
    assert config.rate_per_second == 500
