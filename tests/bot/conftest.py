"""The bot against the local Bot API stand-in, in either mode, through Lifeline's own entry points.

``webhook``  the real admin API app (``create_app``, lifespan run) taking updates at
             ``POST /telegram/demo-bkk/webhook``; a post returns once the update is handled.
``polling``  ``lifeline.bot.polling.poll`` (what ``lifeline bot`` runs) in a thread with its
             own event loop, long-polling the stand-in's getUpdates.

Both give a ``Driver``: ``send(update, actions=n)`` delivers an update and returns the ``n``
requests the bot made in answer (sendMessage, answerCallbackQuery, edits).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import pytest
import redis

from lifeline.api import create_app
from lifeline.bot import poll
from lifeline.config import Settings
from tests.api.helpers import TestClient
from tests.bot.updates import SUPPORT_CHAT_ID
from tests.providers._http import Call
from tests.providers.botapi import BotApiServer
from tests.providers.fixtures import BOT_TOKEN

SECRET = "s3cret-webhook-token-of-forty-characters"
WEBHOOK = "/telegram/demo-bkk/webhook"
ACTIONS = frozenset(
    {"sendmessage", "editmessagetext", "editmessagereplymarkup", "answercallbackquery"}
)
"""Bot API methods by which the bot answers someone."""

WAIT_SECONDS = 10.0
"""Longest a polling test waits for the bot's answer before failing (never a timing check)."""


class Driver(Protocol):
    """Delivers updates to the bot in one mode."""

    api: BotApiServer

    def send(self, update: dict[str, Any], actions: int = 1) -> list[Call]: ...


def telegram_config(bot_api: BotApiServer, **overrides: Any) -> dict[str, Any]:
    """The tenant's telegram channel pointing at the stand-in."""
    return {
        "provider": "telegram",
        "token": BOT_TOKEN,
        "api_base": bot_api.api_base,
        "support_chat_id": SUPPORT_CHAT_ID,
        "broadcast_chat_id": "@demo_bkk_status",
        "webhook_secret": SECRET,
        **overrides,
    }


@pytest.fixture
def bot_settings(make_settings: Callable[..., Settings], bot_api: BotApiServer) -> Settings:
    """Tenant demo-bkk (default language de, topics outages and service) with a real bot."""
    return make_settings(channels={"telegram": telegram_config(bot_api)})


def actions(api: BotApiServer) -> list[Call]:
    """The bot's answering calls so far, in order."""
    return [c for c in api.calls if c.route.lower() in ACTIONS]


def markup(call: Call) -> dict[str, Any] | None:
    """The inline keyboard a call carried (PTB sends it JSON-encoded)."""
    raw = call.params.get("reply_markup")
    if raw is None:
        return None
    return raw if isinstance(raw, dict) else json.loads(raw)


def button_data(call: Call) -> list[str]:
    """The callback data of every button of a call's keyboard, row by row."""
    keyboard = markup(call) or {"inline_keyboard": []}
    return [b["callback_data"] for row in keyboard["inline_keyboard"] for b in row]


class WebhookDriver:
    """Posts updates to the API's webhook route."""

    def __init__(self, client: TestClient, api: BotApiServer) -> None:
        self.client = client
        self.api = api
        self._update_ids = itertools.count(1)

    def post(self, update: Any, secret: str | None = SECRET) -> Any:
        """POST one update (any JSON) with the secret header (none when None)."""
        headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret.encode()}
        return self.client.post(WEBHOOK, json=update, headers=headers)

    def send(self, update: dict[str, Any], actions: int = 1) -> list[Call]:
        before = len(_answers(self.api))
        response = self.post({"update_id": next(self._update_ids), **update})
        assert response.status_code == 200, response.text
        new = _answers(self.api)[before:]
        assert len(new) == actions, [(c.route, c.params.get("text")) for c in new]
        return new


class PollingDriver:
    """Pushes updates to the stand-in's getUpdates, which ``poll`` is long-polling."""

    def __init__(self, settings: Settings, api: BotApiServer) -> None:
        self.api = api
        self._settings = settings
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="lifeline-bot-polling")

    def _run(self) -> None:
        async def main() -> None:
            self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
            self._ready.set()
            await poll(self._settings, self._stop, poll_seconds=1)

        try:
            asyncio.run(main())
        except BaseException as exc:  # surfaced by stop(), which the test sees
            self.error = exc
            self._ready.set()

    def start(self) -> PollingDriver:
        self._thread.start()
        self._ready.wait(WAIT_SECONDS)
        # Polling starts by deleting any webhook; updates pushed from then on are fetched.
        _wait_for(lambda: self.api.calls_to("deleteWebhook") or self.error, "polling to start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(WAIT_SECONDS)
        assert not self._thread.is_alive(), "the polling bot did not stop"
        if self.error is not None:
            raise self.error

    def send(self, update: dict[str, Any], actions: int = 1) -> list[Call]:
        before = len(_answers(self.api))
        self.api.push_update(update)
        _wait_for(lambda: len(_answers(self.api)) >= before + actions, f"{actions} answers")
        new = _answers(self.api)[before:]
        assert len(new) == actions, [(c.route, c.params.get("text")) for c in new]
        return new


def _answers(api: BotApiServer) -> list[Call]:
    return actions(api)


def _wait_for(condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.01)


@contextlib.contextmanager
def serve_webhook(settings: Settings, api: BotApiServer) -> Iterator[WebhookDriver]:
    """A fresh API process, as it were: new app, new bots, only Redis carried over."""
    with TestClient(create_app(settings)) as client:
        yield WebhookDriver(client, api)


@pytest.fixture
def webhook(
    bot_settings: Settings, redis_client: redis.Redis, bot_api: BotApiServer
) -> Iterator[WebhookDriver]:
    """The admin API serving the tenant's webhook (its lifespan initializes the bot)."""
    with serve_webhook(bot_settings, bot_api) as driver:
        yield driver


@pytest.fixture
def polling(
    bot_settings: Settings, redis_client: redis.Redis, bot_api: BotApiServer
) -> Iterator[PollingDriver]:
    """``lifeline bot``'s polling loop for all tenants, running in a thread."""
    driver = PollingDriver(bot_settings, bot_api).start()
    try:
        yield driver
    finally:
        driver.stop()


@pytest.fixture(params=["webhook", "polling"])
def driver(request: pytest.FixtureRequest) -> Driver:
    """The bot in one mode, then the other."""
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]
