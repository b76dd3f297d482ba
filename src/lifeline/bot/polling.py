"""``lifeline bot``: every tenant's bot polling in one process; ``set-webhook`` for the other mode.

Polling needs no public URL (good for a start, a test or a fallback); webhooks scale with
the API's workers. A bot is in one mode at a time: starting to poll deletes its webhook
(PTB does that), ``set-webhook`` ends polling on Telegram's side.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from contextlib import AsyncExitStack

from telegram.error import TelegramError

from lifeline.bot.application import (
    ALLOWED_UPDATES,
    BotApplication,
    bot_tenants,
    build_application,
    publish_commands,
)
from lifeline.bot.context import BotDeps
from lifeline.config import Settings
from lifeline.core.defaults import BOT_POLL_TIMEOUT_SECONDS
from lifeline.core.errors import ConfigError, LifelineError
from lifeline.db import connect

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/{tenant}/webhook"
"""Where the API receives a tenant's updates, below its public URL."""


def run(settings: Settings) -> None:
    """Poll until SIGINT or SIGTERM, then stop every bot cleanly (``lifeline bot``)."""

    async def until_signalled() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await poll(settings, stop)

    asyncio.run(until_signalled())


async def poll(
    settings: Settings, stop: asyncio.Event, *, poll_seconds: int = BOT_POLL_TIMEOUT_SECONDS
) -> None:
    """Poll for every tenant with a bot until ``stop`` is set.

    A tenant whose bot cannot start (a wrong token) is logged and left out; if none can
    start, LifelineError.
    """
    tenants = bot_tenants(settings)
    if not tenants:
        raise ConfigError('no tenant has a Telegram bot (channels.telegram.provider = "telegram")')
    client = connect(settings.redis.url)
    try:
        async with AsyncExitStack() as stack:
            running = []
            for tenant, telegram in tenants:
                deps = BotDeps.create(tenant, telegram, client)
                app = build_application(deps, polling=True)
                if await _start(stack, app, deps, poll_seconds):
                    running.append(tenant.id)
            if not running:
                raise LifelineError("no bot could start; see the log above")
            log.info("polling for %s", ", ".join(running))
            await stop.wait()
    finally:
        client.close()


async def _start(
    stack: AsyncExitStack, app: BotApplication, deps: BotDeps, poll_seconds: int
) -> bool:
    """Initialize and start one bot; its stop and shutdown are pushed onto ``stack``."""
    try:
        await app.initialize()
    except TelegramError as exc:
        log.error("tenant %s: bot cannot start: %s", deps.tenant.id, exc)
        return False
    stack.push_async_callback(app.shutdown)
    await publish_commands(app, deps)
    updater = app.updater
    if updater is None:
        raise RuntimeError("a polling bot was built without an updater")
    await updater.start_polling(timeout=poll_seconds, allowed_updates=ALLOWED_UPDATES)
    stack.push_async_callback(updater.stop)
    await app.start()
    stack.push_async_callback(app.stop)  # LIFO: stop, then updater.stop, then shutdown
    return True


async def set_webhooks(settings: Settings, base_url: str) -> list[str]:
    """Register each tenant's webhook at ``base_url`` + ``WEBHOOK_PATH``; one line per tenant.

    Tenants without a ``webhook_secret`` are skipped with a line saying so: an endpoint
    without a secret would take updates from anyone.
    """
    tenants = bot_tenants(settings)
    if not tenants:
        raise ConfigError('no tenant has a Telegram bot (channels.telegram.provider = "telegram")')
    client = connect(settings.redis.url)
    lines = []
    try:
        for tenant, telegram in tenants:
            if telegram.webhook_secret is None:
                lines.append(f"{tenant.id}: skipped, no webhook_secret configured")
                continue
            url = base_url.rstrip("/") + WEBHOOK_PATH.format(tenant=tenant.id)
            deps = BotDeps.create(tenant, telegram, client)
            app = build_application(deps, polling=False)
            async with app:
                await app.bot.set_webhook(
                    url,
                    secret_token=telegram.webhook_secret.get_secret_value(),
                    allowed_updates=ALLOWED_UPDATES,
                )
                await publish_commands(app, deps)
            lines.append(f"{tenant.id}: {url}")
    except TelegramError as exc:
        raise LifelineError(f"Telegram refused the webhook: {exc}") from None
    finally:
        client.close()
    return lines
