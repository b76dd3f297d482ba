"""One event of a member's consent history."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lifeline.core.vocabulary import ChannelKind, ConsentAction, ConsentVia


@dataclass(frozen=True, slots=True)
class ConsentEvent:
    """Asked, confirmed, withdrawn or resumed, on one channel, at one moment."""

    action: ConsentAction
    channel: ChannelKind
    at: datetime
    via: ConsentVia
    topics: tuple[str, ...] = ()
    language: str | None = None
    text: str | None = None
    """The consent text the member was shown, word for word (sign-up page, bot)."""
    text_version: str | None = None
    """``consent_text_version(text)``: the same words give the same version."""
    details: dict[str, str] = field(default_factory=dict)
    """Anything else worth proving: the client address a page sign-up came from, the
    import's source label."""

    def to_json(self) -> dict[str, Any]:
        """The event as stored and as the API shows it."""
        return {
            "action": self.action,
            "channel": self.channel,
            "at": self.at.isoformat(),
            "via": self.via,
            "topics": list(self.topics),
            "language": self.language,
            "text": self.text,
            "text_version": self.text_version,
            "details": dict(self.details),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ConsentEvent:
        """An event as ``to_json`` stored it."""
        return cls(
            action=data["action"],
            channel=data["channel"],
            at=datetime.fromisoformat(data["at"]),
            via=data["via"],
            topics=tuple(data.get("topics") or ()),
            language=data.get("language"),
            text=data.get("text"),
            text_version=data.get("text_version"),
            details=dict(data.get("details") or {}),
        )


def consent_text_version(text: str) -> str:
    """A short fingerprint of a consent text: it changes whenever a word of it does."""
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()[:12]
