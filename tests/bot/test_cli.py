"""``lifeline bot`` (polling, as a real process) and ``lifeline bot set-webhook URL``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from lifeline.core.i18n import gettext_for
from tests import reaper
from tests.bot.conftest import SECRET
from tests.bot.updates import SUPPORT_CHAT_ID, Person
from tests.providers.botapi import BotApiServer
from tests.providers.fixtures import BOT_TOKEN

CONFIG = """
[redis]
url = "{redis_url}"

[[tenants]]
id = "demo-bkk"
name = "Demo BKK"

[tenants.channels.telegram]
provider = "telegram"
token = "${{BOT_TOKEN}}"
api_base = "{api_base}"
support_chat_id = {support}
webhook_secret = "${{WEBHOOK_SECRET}}"

[[tenants]]
id = "mail-only"
name = "Mail Only"

[tenants.channels.email]
provider = "outbox"
"""


@pytest.fixture
def env(tmp_path: Path, redis_url: str, bot_api: BotApiServer) -> dict[str, str]:
    config = tmp_path / "lifeline.toml"
    config.write_text(
        CONFIG.format(redis_url=redis_url, api_base=bot_api.api_base, support=SUPPORT_CHAT_ID)
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LIFELINE_")}
    return clean | {
        "LIFELINE_CONFIG": str(config),
        "BOT_TOKEN": BOT_TOKEN,
        "WEBHOOK_SECRET": SECRET,
    }


def lifeline(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return reaper.run(
        [sys.executable, "-m", "lifeline", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def wait_for(condition: object, what: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 20
    while not condition():  # type: ignore[operator]
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            _, err = process.communicate()
            raise AssertionError(f"gave up waiting for {what}: {err[-2000:]}")
        time.sleep(0.05)


def test_bot_polls_answers_and_stops_on_sigint(
    env: dict[str, str], bot_api: BotApiServer, redis_client: redis.Redis
) -> None:
    process = reaper.spawn(
        [sys.executable, "-m", "lifeline", "bot"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: bot_api.calls_to("deleteWebhook"), "polling to start", process)
        bot_api.push_update(Person(91, language_code="en").command("/start"))
        wait_for(lambda: bot_api.messages_to(91), "the welcome", process)
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert "polling for demo-bkk" in err
    welcome = bot_api.messages_to(91)[0].text
    assert gettext_for("en")("Send /stop at any time to unsubscribe.") in welcome
    menus = bot_api.calls_to("setMyCommands")
    assert {c.params.get("language_code") for c in menus} >= {"de", "en"}
    assert any(str(SUPPORT_CHAT_ID) in str(c.params.get("scope")) for c in menus)
    assert BOT_TOKEN not in err


def test_set_webhook_registers_each_tenant_with_its_secret(
    env: dict[str, str], bot_api: BotApiServer, redis_client: redis.Redis
) -> None:
    done = lifeline("bot", "set-webhook", "https://ll.example.org/", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "demo-bkk: https://ll.example.org/telegram/demo-bkk/webhook"
    [call] = bot_api.calls_to("setWebhook")
    assert call.params["url"] == "https://ll.example.org/telegram/demo-bkk/webhook"
    assert call.params["secret_token"] == SECRET
    assert set(json.loads(call.params["allowed_updates"])) >= {"message", "callback_query"}


def test_set_webhook_refuses_a_non_url(env: dict[str, str]) -> None:
    done = lifeline("bot", "set-webhook", "ll.example.org", env=env)
    assert done.returncode == 2
    assert "URL" in done.stderr
    assert "Traceback" not in done.stderr


def test_bot_without_any_telegram_tenant_says_so(
    env: dict[str, str], tmp_path: Path, redis_url: str
) -> None:
    config = tmp_path / "mail.toml"
    config.write_text(f'[redis]\nurl = "{redis_url}"\n[[tenants]]\nid = "mm"\nname = "M"\n')
    done = lifeline("bot", env=env | {"LIFELINE_CONFIG": str(config)})
    assert done.returncode == 2
    assert "no tenant has a Telegram bot" in done.stderr
