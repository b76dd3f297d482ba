"""The outbox provider: every message becomes one JSON line in a file.

The default of a first run and of ``lifeline dev``: nothing leaves the machine, and what
would have been sent can be read in ``<path>/<tenant>/<kind>.jsonl``.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr

from lifeline.channels.base import (
    ACK_MARK,
    UNSUBSCRIBE_MARK,
    Channel,
    Delivered,
    Failed,
    Message,
    Outcome,
    ProviderConfig,
    Recipient,
)
from lifeline.core import defaults
from lifeline.core.vocabulary import ChannelKind


class OutboxConfig(ProviderConfig):
    """``provider = "outbox"``: write messages to a folder instead of sending them."""

    provider: Literal["outbox"] = "outbox"
    path: Path = Path(defaults.OUTBOX_DIR)
    rate_per_second: float = defaults.OUTBOX_RATE_PER_SECOND
    inbound_token: SecretStr | None = Field(default=None, min_length=16)
    """As an SMS gateway's (``POST /sms/<tenant>/inbound``), to try replies in ``lifeline dev``."""

    def create(self, *, kind: ChannelKind, tenant_id: str) -> Channel:
        return OutboxChannel(self, kind=kind, tenant_id=tenant_id)


class OutboxChannel(Channel):
    """Appends each message as a JSON line; safe with many workers writing at once."""

    provider = "outbox"

    def __init__(self, config: OutboxConfig, *, kind: ChannelKind, tenant_id: str) -> None:
        super().__init__(kind=kind, tenant_id=tenant_id)
        self.file = config.path / tenant_id / f"{kind}.jsonl"
        self._fd: int | None = None

    async def open(self) -> None:
        self._descriptor()

    def _descriptor(self) -> int:
        if self._fd is None:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            # O_APPEND makes each write land whole at the end, even from several processes.
            self._fd = os.open(self.file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        return self._fd

    async def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    async def send(self, recipient: Recipient, message: Message) -> Outcome:
        unsubscribe = recipient.unsubscribe_url or ""
        ack = recipient.ack_url or ""
        line = {
            "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "tenant": self.tenant_id,
            "channel": self.kind,
            "member_id": recipient.member_id,
            "to": recipient.address,
            "language": message.language,
            "subject": message.subject,
            # As the email channel does: each recipient's own unsubscribe link in the text.
            "text": message.text.replace(UNSUBSCRIBE_MARK, unsubscribe).replace(ACK_MARK, ack),
            "html": message.html.replace(UNSUBSCRIBE_MARK, unsubscribe).replace(ACK_MARK, ack)
            if message.html
            else None,
            "unsubscribe_url": recipient.unsubscribe_url,
            "ack_url": recipient.ack_url,
            "buttons": [[b.label, b.data] for b in message.buttons],
            "reply_to": message.reply_to,
        }
        data = (json.dumps(line, ensure_ascii=False) + "\n").encode()
        try:
            os.write(self._descriptor(), data)
        except OSError as exc:
            return Failed(f"outbox write failed: {exc.strerror}")
        return Delivered(provider_id=None)
