"""The words Lifeline uses, each defined once; every other module imports them from here.

A word is a ``Literal`` type (for pydantic and mypy) and a tuple of its values in their
canonical order (for loops, error messages and checks at run time).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

Language = Literal["de", "en"]
"""Languages of templates, notices, FAQ entries and members."""
LANGUAGES: tuple[Language, ...] = get_args(Language)

ChannelKind = Literal["telegram", "email", "sms"]
"""The channels a notice can go out on."""
CHANNEL_KINDS: tuple[ChannelKind, ...] = get_args(ChannelKind)
"""In the order they are planned."""

Severity = Literal["minor", "major", "critical"]
"""How bad an outage is; critical notices go to the front of every queue."""
SEVERITIES: tuple[Severity, ...] = get_args(Severity)


def best_language(available: Iterable[str], wanted: str, default: str) -> str:
    """The language to show: the wanted one if there is a text in it, else the default
    (the tenant's), else any; ``available`` must not be empty."""
    languages = list(available)
    for language in (wanted, default):
        if language in languages:
            return language
    return languages[0]


Stage = Literal["alert", "update", "resolve"]
"""After the Common Alerting Protocol: the first message, a follow-up, the all-clear."""
STAGES: tuple[Stage, ...] = get_args(Stage)

NoticeStatus = Literal["pending_approval", "active", "resolved", "expired", "rejected"]
"""Where a notice stands: only an active one's messages go out. A notice that needs a second
person's approval waits as ``pending_approval``; rejected, or not approved in time
(``expired``), it never goes out."""

NoticeMode = Literal["actual", "exercise", "test"]
"""CAP's ``status`` of a notice (posted as ``status``): a real one, a drill, a technical test.
Exercises and tests go to members flagged ``tester`` only, marked in every message, and
never appear in public (status page, feed, broadcast channel)."""
NOTICE_MODES: tuple[NoticeMode, ...] = get_args(NoticeMode)

ApprovalState = Literal["pending", "approved", "rejected"]
"""Where a notice that needs four eyes stands (a lapsed ``pending`` one reads as expired)."""

Role = Literal["publisher", "support", "admin"]
"""What an API key may do; admin may do everything."""
ROLES: tuple[Role, ...] = get_args(Role)

ConsentAction = Literal["asked", "confirmed", "withdrawn", "resumed"]
"""What happened to a member's consent to be contacted on one channel."""
CONSENT_ACTIONS: tuple[ConsentAction, ...] = get_args(ConsentAction)

ConsentVia = Literal["page", "bot", "import", "api", "link", "sms", "demo"]
"""How: the sign-up page, the Telegram bot, an import, the admin API, a link in a message
(unsubscribe), an SMS reply (STOP/START), ``lifeline dev``'s demo members."""
CONSENT_VIAS: tuple[ConsentVia, ...] = get_args(ConsentVia)

AuditAction = Literal[
    "notice.post", "notice.update", "notice.resolve", "notice.approve", "notice.reject",
    "scenario.put", "scenario.delete", "scenario.approve",
    "member.create", "member.change", "member.delete", "member.import",
    "faq.put", "faq.delete",
    "key.create", "key.revoke", "key.rotate",
]  # fmt: skip
"""The admin actions the audit log records."""
AUDIT_ACTIONS: tuple[AuditAction, ...] = get_args(AuditAction)

TOPIC_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,31}$"
"""Topics members follow (``outages``): short, URL- and callback-safe."""

TENANT_ID_PATTERN = r"^[a-z0-9-]{2,32}$"
"""Tenant ids (``demo-bkk``): they appear in URLs and Redis keys."""

SCENARIO_KEY_PATTERN = r"^[a-z0-9][a-z0-9-]{0,47}$"
"""Keys of prepared scenarios (``eau-down``): they appear in URLs."""


@dataclass(frozen=True, slots=True)
class Contact:
    """How a member is reached on one channel kind."""

    channel: ChannelKind
    field: str
    """The member's attribute (and the API and import field) holding the address."""
    short: str
    """Its one-letter name in the member's Redis hash and lookup keys."""


CONTACTS: tuple[Contact, ...] = (
    Contact("telegram", "telegram_chat_id", "t"),
    Contact("email", "email", "e"),
    Contact("sms", "phone", "p"),
)
"""One contact per channel kind, in the order of ``CHANNEL_KINDS``."""

CONTACT_BY_CHANNEL: dict[str, Contact] = {c.channel: c for c in CONTACTS}
CONTACT_BY_FIELD: dict[str, Contact] = {c.field: c for c in CONTACTS}
CONTACT_BY_SHORT: dict[str, Contact] = {c.short: c for c in CONTACTS}
