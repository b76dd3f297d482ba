"""The config file: TOML, ${NAME} from the environment, errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from lifeline.channels.smtp import SmtpConfig
from lifeline.config import load_settings
from lifeline.core.errors import ConfigError

GOOD = """
[redis]
url = "redis://127.0.0.1:6379/0"

[[tenants]]
id = "demo-bkk"
name = "Demo BKK"
default_language = "de"
hotline = "+49 30 1234567"
website = "https://status.example.org"

[tenants.channels.email]
provider = "smtp"
smtp_url = "smtp://user:${SMTP_PASSWORD}@127.0.0.1:2525"
from = "Demo BKK <service@example.org>"
rate_per_second = 50

[tenants.channels.telegram]
provider = "telegram"
token = "${DEMO_BKK_TELEGRAM_TOKEN}"
api_base = "http://127.0.0.1:8081/bot"
support_chat_id = -1001234567890

[tenants.channels.sms]
provider = "outbox"

[[tenants]]
id = "other-kk"
name = "Other KK"
default_language = "en"
"""

ENV = {"SMTP_PASSWORD": "s3cret", "DEMO_BKK_TELEGRAM_TOKEN": "123:abc"}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lifeline.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_design_shape_loads_with_secrets_from_environment(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, GOOD), env=ENV)
    assert [t.id for t in settings.tenants] == ["demo-bkk", "other-kk"]
    demo = settings.tenant("demo-bkk")
    assert demo is not None
    offered = demo.channels.configured()
    assert sorted(offered) == ["email", "sms", "telegram"]
    email = offered["email"]
    assert isinstance(email, SmtpConfig)
    assert "s3cret" in email.smtp_url.get_secret_value()
    assert "s3cret" not in repr(offered["email"])
    other = settings.tenant("other-kk")
    assert other is not None
    assert other.channels.configured() == {}


def test_environment_redis_url_wins(tmp_path: Path) -> None:
    settings = load_settings(
        write(tmp_path, GOOD), env={**ENV, "LIFELINE_REDIS_URL": "redis://10.0.0.1:6380/2"}
    )
    assert settings.redis.url == "redis://10.0.0.1:6380/2"


def test_config_path_from_environment(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    settings = load_settings(env={**ENV, "LIFELINE_CONFIG": str(path)})
    assert settings.tenants[0].name == "Demo BKK"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("", ""),
            "tenants[0].channels.telegram.token: environment variable "
            "DEMO_BKK_TELEGRAM_TOKEN is not set",
        ),
        (('id = "demo-bkk"', 'id = "Demo BKK"'), "tenants[0].id: String should match pattern"),
        (('default_language = "de"', 'default_language = "fr"'), "tenants[0].default_language:"),
        (
            ("rate_per_second = 50", 'rate_per_second = 50\ncolour = "red"'),
            "tenants[0].channels.email.colour: unknown key",
        ),
        (('provider = "outbox"', 'provider = "pigeon"'), "tenants[0].channels.sms: Input tag"),
        (
            ('url = "redis://127.0.0.1:6379/0"', 'url = "http://127.0.0.1"'),
            "redis.url: Value error, must start with redis://",
        ),
        (
            ('website = "https://status.example.org"', 'website = "not a url"'),
            "tenants[0].website:",
        ),
        (('id = "other-kk"', 'id = "demo-bkk"'), "tenant id 'demo-bkk' appears twice"),
        (('name = "Other KK"\n', ""), "tenants[1].name: required key is missing"),
        # Issue 10.8: a short webhook secret is all an attacker would have to guess.
        (
            ("support_chat_id = -1001234567890", 'webhook_secret = "short-secret"'),
            "tenants[0].channels.telegram.webhook_secret: Value error, must be at least 32",
        ),
        (
            ("support_chat_id = -1001234567890", f'webhook_secret = "{"ü" * 40}"'),
            "may hold only A-Z, a-z, 0-9, _ and -",
        ),
        (
            ('hotline = "+49 30 1234567"', 'allowed_countries = ["XX"]'),
            "tenants[0].allowed_countries[0]: Value error, 'XX' is not an ISO 3166",
        ),
    ],
)
def test_bad_file_names_key_and_problem(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    old, new = change
    env = dict(ENV)
    if not old:
        env.pop("DEMO_BKK_TELEGRAM_TOKEN")
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, GOOD.replace(old, new, 1) if old else GOOD), env=env)
    assert expected in str(caught.value)
    assert str(tmp_path) in str(caught.value)


def test_not_toml_names_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"not valid TOML: .*line 3"):
        load_settings(write(tmp_path, '[redis]\nurl = "x"\nbroken = \n'), env={})


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml", env={})
