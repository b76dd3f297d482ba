"""One python-telegram-bot ``Application`` per tenant, and the registry the webhook uses.

Handlers, in the order PTB tries them (the first match handles an update):

    private chats   /start /language /sprache /topics /status /faq /help /stop /delete
    staff group     /help, and replies to relayed questions
    anywhere        /faq_set /faq_del /faq_list (refused in private chats, see support)
    private chats   buttons; other text → support; unknown commands; non-text
    any chat        my_chat_member (the member blocked the bot)

Only new messages are handled: edited messages and channel posts match no handler.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, TypeAlias

import redis
from telegram import (
    BotCommand,
    BotCommandScope,
    BotCommandScopeChat,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from lifeline.bot import callbacks, faq_staff, guard, member, support
from lifeline.bot.context import DEPS_KEY, BotDeps
from lifeline.bot.guard import STORE_FAILURE
from lifeline.bot.intake import SanitizingBot, parse
from lifeline.bot.keyboards import MEMBER_COMMANDS, STAFF_COMMANDS
from lifeline.channels import TelegramConfig
from lifeline.config import Settings, TenantConfig
from lifeline.core.errors import LifelineError, StoreUnavailable
from lifeline.core.i18n import gettext_for
from lifeline.core.vocabulary import LANGUAGES

log = logging.getLogger(__name__)

BotApplication: TypeAlias = Application[Any, Any, Any, Any, Any, Any]

BOT_CONNECTIONS = 16
"""HTTP connections of one tenant's bot to the Bot API for its answers (webhook updates of
many chats are answered at once)."""

ALLOWED_UPDATES: list[str] = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]
"""Update kinds the bots ask Telegram for; everything else would only be ignored."""


def bot_tenants(settings: Settings) -> list[tuple[TenantConfig, TelegramConfig]]:
    """The tenants with a Telegram bot (``provider = "telegram"``), with its config."""
    return [
        (tenant, tenant.channels.telegram)
        for tenant in settings.tenants
        if isinstance(tenant.channels.telegram, TelegramConfig)
    ]


def build_application(bot: BotDeps, *, polling: bool) -> BotApplication:
    """A tenant's bot: its token, its Bot API base, all handlers; no updater for webhooks."""
    sanitizing = SanitizingBot(
        bot.telegram.token.get_secret_value(),
        base_url=bot.telegram.api_base,
        request=HTTPXRequest(connection_pool_size=BOT_CONNECTIONS),
        get_updates_request=HTTPXRequest(connection_pool_size=1),
        defaults=Defaults(
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        ),
        tenant_id=bot.tenant.id,
    )
    builder = Application.builder().bot(sanitizing)
    if not polling:
        builder = builder.updater(None)
    app: BotApplication = builder.build()
    app.bot_data[DEPS_KEY] = bot
    register_handlers(app, bot)
    return app


def register_handlers(app: BotApplication, bot: BotDeps) -> None:
    """Add every handler and the error handler (see the module docstring for the order)."""
    new = filters.UpdateType.MESSAGE  # edited messages and channel posts are left alone
    private = filters.ChatType.PRIVATE & new
    staff = filters.Chat(bot.telegram.support_chat_id or []) & new
    commands = {
        "start": member.start,
        "language": member.language,
        "sprache": member.language,
        "topics": member.topics,
        "status": member.status,
        "faq": member.faq_command,
        "help": member.help_command,
        "stop": member.stop,
        "delete": member.delete,
    }
    for name, callback in commands.items():
        app.add_handler(CommandHandler(name, callback, filters=private))
    app.add_handler(CommandHandler("help", support.staff_help, filters=staff))
    for name, callback in {
        "faq_set": faq_staff.faq_set,
        "faq_del": faq_staff.faq_del,
        "faq_list": faq_staff.faq_list,
    }.items():
        app.add_handler(CommandHandler(name, support.staff_only(callback), filters=new))
    app.add_handler(MessageHandler(staff & filters.REPLY & ~filters.COMMAND, support.relay_answer))
    app.add_handler(CallbackQueryHandler(callbacks.on_button))
    app.add_handler(
        MessageHandler(private & filters.TEXT & ~filters.COMMAND, support.relay_question)
    )
    app.add_handler(MessageHandler(private & filters.COMMAND, guard.unknown_command))
    app.add_handler(MessageHandler(private & ~filters.StatusUpdate.ALL, guard.not_text))
    app.add_handler(ChatMemberHandler(guard.chat_member_changed, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_error_handler(guard.on_error)


async def publish_commands(app: BotApplication, bot: BotDeps) -> None:
    """Show the commands in Telegram's menu: members' per language, staff's in their group.

    A menu is a convenience, so a refusal (e.g. the bot is not in the staff group yet) is
    logged, not raised.
    """
    menus: list[tuple[str | None, BotCommandScope | None, list[BotCommand]]] = []
    languages: tuple[str | None, ...] = (None, *LANGUAGES)
    for language in languages:
        _ = gettext_for(language or bot.tenant.default_language)
        menus.append((language, None, [BotCommand(n, _(text)) for n, text in MEMBER_COMMANDS]))
    if bot.telegram.support_chat_id is not None:
        _ = gettext_for(bot.staff_language)
        scope = BotCommandScopeChat(bot.telegram.support_chat_id)
        menus.append((None, scope, [BotCommand(n, _(text)) for n, text in STAFF_COMMANDS]))
    for language, chat_scope, menu in menus:
        try:
            await app.bot.set_my_commands(menu, scope=chat_scope, language_code=language)
        except TelegramError as exc:
            log.warning("tenant %s: cannot set a command menu: %s", bot.tenant.id, exc)


class BotUnavailable(LifelineError):
    """A tenant's bot cannot be initialized now (Telegram unreachable): retry later."""


class WebhookBots:
    """The tenants' bots for webhook mode: initialized once, on start or on first use.

    A bot that cannot be initialized (Telegram unreachable when the API starts) is tried
    again on its next update rather than stopping the API.
    """

    def __init__(self, settings: Settings, client: redis.Redis) -> None:
        self._apps: dict[str, BotApplication] = {}
        self._ready: set[str] = set()
        self.secrets: dict[str, bytes] = {}
        for tenant, telegram in bot_tenants(settings):
            if telegram.webhook_secret is None:
                continue  # no secret, no webhook: such a bot polls
            deps = BotDeps.create(tenant, telegram, client)
            self._apps[tenant.id] = build_application(deps, polling=False)
            self.secrets[tenant.id] = telegram.webhook_secret.get_secret_value().encode()
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Initialize every bot that can be now."""
        for tenant_id in self._apps:
            await self.get(tenant_id)

    async def get(self, tenant_id: str) -> BotApplication | None:
        """The tenant's initialized bot; None if it has none or it cannot be initialized now."""
        app = self._apps.get(tenant_id)
        if app is None or tenant_id in self._ready:
            return app
        async with self._lock:
            if tenant_id not in self._ready:
                try:
                    await app.initialize()  # getMe: commands addressed /cmd@name need the name
                except TelegramError as exc:
                    log.warning(
                        "tenant %s: bot not ready (%s); retrying on its next update", tenant_id, exc
                    )
                    return None
                self._ready.add(tenant_id)
        return app

    async def handle(self, tenant_id: str, data: dict[str, Any]) -> None:
        """Handle one webhook update of a tenant.

        MalformedUpdate when it is not shaped as Telegram sends them (logged once);
        StoreUnavailable when Redis could not be reached meanwhile (the caller answers 503
        so that Telegram sends the update again); BotUnavailable when the bot cannot be
        initialized now.
        """
        app = await self.get(tenant_id)
        if app is None:
            raise BotUnavailable("the bot cannot reach Telegram right now; retry later")
        update = parse(data, app.bot, tenant_id)
        token = STORE_FAILURE.set(None)
        try:
            await app.process_update(update)
            failure = STORE_FAILURE.get()
        finally:
            STORE_FAILURE.reset(token)
        if failure is not None:
            raise StoreUnavailable(f"Redis unreachable: {failure}")

    async def stop(self) -> None:
        """Shut the initialized bots down (closes their HTTP clients)."""
        for tenant_id in sorted(self._ready):
            await self._apps[tenant_id].shutdown()
        self._ready.clear()
