"""A sign-up waiting for its confirmation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lifeline.core.vocabulary import ChannelKind, Language


@dataclass(frozen=True, slots=True)
class Signup:
    """What a person asked for on the sign-up page, and the consent text they were shown."""

    kind: ChannelKind
    address: str
    """An email address or an E.164 number, as validated at the edge."""
    language: Language
    topics: tuple[str, ...]
    text: str
    text_version: str
    asked_at: datetime
    client: str = ""
    """The client address the request came from (part of the proof of who asked)."""

    def to_fields(self) -> dict[str, str]:
        """The Redis hash of a pending sign-up."""
        return {
            "kind": self.kind,
            "address": self.address,
            "language": self.language,
            "topics": " ".join(self.topics),
            "text": self.text,
            "text_version": self.text_version,
            "asked_at": self.asked_at.isoformat(),
            "client": self.client,
        }

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> Signup:
        """A sign-up as ``to_fields`` stored it."""
        return cls(
            kind=fields["kind"],
            address=fields["address"],
            language=fields["language"],
            topics=tuple(fields["topics"].split()),
            text=fields["text"],
            text_version=fields["text_version"],
            asked_at=datetime.fromisoformat(fields["asked_at"]),
            client=fields.get("client", ""),
        )


@dataclass(frozen=True, slots=True)
class Started:
    """A sign-up stored: the token of its confirmation link, and for SMS the code."""

    token: str
    code: str | None = None
