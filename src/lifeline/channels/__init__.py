"""Providers, one file each, and the registry that maps config to them.

Adding a provider: write ``channels/<name>.py`` with a config model (``provider: Literal[...]``)
and a ``Channel`` subclass, then add its config class to the union of its kind below.
Beside the providers lie the transport pieces they share: ``wire`` (rate-limit slots kept
where the bytes leave), ``lanes`` (one connection per send in flight), ``html`` (Telegram
HTML cut into messages), ``smstext`` (what an SMS text costs) and ``mime`` (an email's bytes
built once per message, filled in per recipient).

Channels import nothing of Lifeline but ``lifeline.core``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from lifeline.channels.base import (
    Channel,
    Delivered,
    Failed,
    Message,
    Outcome,
    ProviderConfig,
    Recipient,
    RetryLater,
)
from lifeline.channels.http_sms import HttpSmsConfig
from lifeline.channels.outbox import OutboxConfig
from lifeline.channels.seven import SevenConfig
from lifeline.channels.smtp import SmtpConfig
from lifeline.channels.telegram import TelegramConfig
from lifeline.channels.twilio import TwilioConfig

TelegramProvider = Annotated[TelegramConfig | OutboxConfig, Field(discriminator="provider")]
EmailProvider = Annotated[SmtpConfig | OutboxConfig, Field(discriminator="provider")]
SmsProvider = Annotated[
    HttpSmsConfig | TwilioConfig | SevenConfig | OutboxConfig, Field(discriminator="provider")
]

__all__ = [
    "Channel",
    "Delivered",
    "EmailProvider",
    "Failed",
    "Message",
    "Outcome",
    "ProviderConfig",
    "Recipient",
    "RetryLater",
    "SmsProvider",
    "TelegramConfig",
    "TelegramProvider",
]
