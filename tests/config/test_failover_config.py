"""A channel's providers: one table as before, or an ordered array of tables with names."""

from __future__ import annotations

from pathlib import Path

import pytest

from lifeline.channels.http_sms import HttpSmsConfig
from lifeline.channels.outbox import OutboxConfig
from lifeline.config import load_settings
from lifeline.core import defaults
from lifeline.core.errors import ConfigError

TENANT = """
[[tenants]]
id = "demo-bkk"
name = "Demo BKK"
"""

GATEWAY = """
[[tenants.channels.sms]]
provider = "http"
url = "{url}"
token = "t"
sender = "DemoBKK"
"""


def load(tmp_path: Path, channels: str) -> list[tuple[str, type, object]]:
    path = tmp_path / "lifeline.toml"
    path.write_text(TENANT + channels, encoding="utf-8")
    tenant = load_settings(path, env={}).tenants[0]
    return [(name, type(c), c) for name, c in tenant.channels.providers("sms")]


def test_one_table_is_one_provider_named_after_its_kind(tmp_path: Path) -> None:
    found = load(tmp_path, '[tenants.channels.sms]\nprovider = "outbox"\n')

    assert [(name, kind) for name, kind, _ in found] == [("outbox", OutboxConfig)]


def test_an_array_keeps_its_order_names_and_breaker_settings(tmp_path: Path) -> None:
    channels = (
        GATEWAY.format(url="http://a.example") + 'name = "primary"\n'
        "breaker = { cooldown_seconds = 5, failure_streak = 3 }\n"
        + GATEWAY.format(url="http://b.example")
        + GATEWAY.format(url="http://c.example")
        + '[[tenants.channels.sms]]\nprovider = "outbox"\n'
    )
    path = tmp_path / "lifeline.toml"
    path.write_text(TENANT + channels, encoding="utf-8")
    channels_cfg = load_settings(path, env={}).tenants[0].channels
    found = channels_cfg.providers("sms")

    assert [name for name, _ in found] == ["primary", "http-2", "http-3", "outbox"]
    first = found[0][1]
    assert isinstance(first, HttpSmsConfig)
    assert first.url == "http://a.example"
    assert (first.breaker.cooldown_seconds, first.breaker.failure_streak) == (5, 3)
    assert found[1][1].breaker.cooldown_seconds == defaults.BREAKER_COOLDOWN_SECONDS
    # Everything that knows one provider per channel sees the first.
    assert channels_cfg.sms is first
    assert channels_cfg.configured()["sms"] is first


@pytest.mark.parametrize(
    ("channels", "message"),
    [
        (
            GATEWAY.format(url="http://a.example") + GATEWAY.format(url="not-a-url"),
            "tenants[0].channels.sms[1].url: Value error, must be an http",
        ),
        (
            GATEWAY.format(url="http://a.example") + '[[tenants.channels.sms]]\nprovider = "x"\n',
            "tenants[0].channels.sms[1]: Input tag 'x'",
        ),
        (
            (GATEWAY.format(url="http://a.example") + 'name = "a"\n') * 2,
            "tenants[0].channels: Value error, sms[1].name: 'a' is the name of sms[0] too",
        ),
        (
            GATEWAY.format(url="http://a.example") + 'name = "Not OK"\n',
            "tenants[0].channels.sms[0].name: String should match pattern",
        ),
        (
            GATEWAY.format(url="http://a.example") + "breaker = { error_share = 2 }\n",
            "tenants[0].channels.sms[0].breaker.error_share: Input should be less than",
        ),
        (
            GATEWAY.format(url="http://a.example") * (defaults.MAX_CHANNEL_PROVIDERS + 1),
            "tenants[0].channels.sms: List should have at most",
        ),
        ("[tenants.channels]\nsms = []\n", "tenants[0].channels.sms: List should have at least"),
        (
            '[tenants.channels.sms]\nprovider = "http"\nurl = "x"\ntoken = "t"\nsender = "D"\n',
            "tenants[0].channels.sms.url: Value error, must be an http",
        ),
    ],
)
def test_errors_name_the_key(tmp_path: Path, channels: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, channels)

    assert message in str(raised.value)


def test_telegram_takes_one_provider_only(tmp_path: Path) -> None:
    telegram = '[[tenants.channels.telegram]]\nprovider = "outbox"\n'

    with pytest.raises(ConfigError, match=r"tenants\[0\]\.channels\.telegram"):
        load(tmp_path, telegram)


def test_the_readme_example_loads(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    example = readme.split("Two SMS gateways", 1)[1].split("```toml", 1)[1].split("```", 1)[0]
    path = tmp_path / "lifeline.toml"
    path.write_text(TENANT + example, encoding="utf-8")
    env = {"SMS_A_TOKEN": "a", "SEVEN_API_KEY": "k"}

    channels = load_settings(path, env=env).tenants[0].channels

    assert [name for name, _ in channels.providers("sms")] == ["gateway-a", "seven"]
