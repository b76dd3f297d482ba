"""The member bot on Telegram: subscribe, status, FAQ, and a human answer, in German and English.

application.py  one PTB Application per tenant; handler order; WebhookBots for the API
polling.py      ``lifeline bot`` (all tenants polling in one process), ``set-webhook``
member.py       /start /language /topics /status /faq /help /stop /delete
callbacks.py    button presses            keyboards.py  keyboards, callback data, menus
support.py      relay of questions to the staff group and of answers back; staff-only guard
faq_staff.py    /faq_set /faq_del /faq_list in the staff group
intake.py       updates checked before PTB sees them (webhook and polling)
guard.py        unknown input, blocked chats, Redis failures, the error handler
context.py      BotDeps (tenant, stores) and Talk (chat, member, language)
(its words: ``lifeline.core.i18n``; conversation state: ``lifeline.conversations``)

The API and the CLI use the bot only through this package's face (``lifeline.bot``).
"""

from lifeline.bot.application import BotUnavailable, WebhookBots
from lifeline.bot.intake import MalformedUpdate
from lifeline.bot.polling import poll, set_webhooks
from lifeline.bot.polling import run as run_polling

__all__ = [
    "BotUnavailable",
    "MalformedUpdate",
    "WebhookBots",
    "poll",
    "run_polling",
    "set_webhooks",
]
