"""A member as one Redis hash with short field names (memory per member matters at millions):

    l   language            t   Telegram chat id     e   email      p   phone (E.164)
    i   external id (the insurer's member number)            tr  "1" for a tester
    o   topics, comma list  x   paused channels      c   consent: "<when> <source>"
    a   created (``cr`` before issue 14, still read and renamed on the next write)

The consent time is epoch seconds in base 36 (six characters). ``a`` is epoch seconds in
decimal, which a listpack holds as a 4-byte integer (two bytes less than six characters;
records written before issue 14 hold base 36, told apart by length). ``l`` is left out for
German, the language ``decode`` assumes without one. That keeps a member's hash in a
smaller allocation class: 96 instead of 112 bytes by email only, 128 instead of 160 with
all three channels (jemalloc rounds a listpack up to 16-, then 32-byte steps).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from lifeline.core.vocabulary import CONTACT_BY_CHANNEL, CONTACTS
from lifeline.members.model import Member, MemberData, Reach

CREATED, OLD_CREATED = "a", "cr"
"""The field of the creation time, and its name before issue 14 (a byte more a member)."""

IMPLIED_LANGUAGE = "de"
"""The language of a member whose hash has no ``l``: not stored, most members read it."""

_SIMPLE = {"language": "l", **{c.field: c.short for c in CONTACTS}, "external_id": "i"}
"""Fields stored as they are, by their short names."""


def encode(data: MemberData | Mapping[str, Any], *, now: float | None = None) -> dict[str, Any]:
    """The compact hash fields of a member, or of a partial update (a mapping of field names).

    For a whole ``MemberData`` a None means "not given" and is left out, so an import row
    never erases a contact; in a partial update a None removes the field. ``now`` (the
    creation time, should the member be new) travels along as ``now``.
    """
    values = _as_mapping(data)
    doc: dict[str, Any] = {}
    for name, short in _SIMPLE.items():
        if name in values:
            doc[short] = None if values[name] is None else str(values[name])
    if doc.get("l") == IMPLIED_LANGUAGE:
        doc["l"] = None  # removes an old "l": "de" too
    if "consent_given_at" in values or "consent_source" in values:
        at, source = values.get("consent_given_at"), values.get("consent_source") or ""
        doc["c"] = None if at is None else f"{_b36(int(at.timestamp()))} {source}".rstrip()
    if "topics" in values:
        doc["o"] = ",".join(values["topics"]) if values["topics"] else None
    if "tester" in values:
        doc["tr"] = "1" if values["tester"] else None
    if "paused" in values:
        doc["x"] = ",".join(sorted(values["paused"])) if values["paused"] else None
    doc["now"] = str(int(now if now is not None else time.time()))
    return doc


def decode(member_id: int, fields: Mapping[str, str]) -> Member:
    """A ``Member`` from its stored hash."""
    consent_at, _, consent_source = fields.get("c", "").partition(" ")
    return Member(
        id=member_id,
        language=fields.get("l", IMPLIED_LANGUAGE),
        topics=tuple(t for t in fields.get("o", "").split(",") if t),
        telegram_chat_id=int(fields["t"]) if "t" in fields else None,
        email=fields.get("e"),
        phone=fields.get("p"),
        external_id=fields.get("i"),
        tester=fields.get("tr") == "1",
        consent_given_at=_when(consent_at),
        consent_source=consent_source or None,
        paused=frozenset(c for c in fields.get("x", "").split(",") if c),
        created_at=_created(fields.get(CREATED) or fields.get(OLD_CREATED)),
    )


def reach_fields(kind: str) -> tuple[str, str, str]:
    """The fields ``decode_reach`` reads: language, the channel's address, paused channels."""
    return ("l", CONTACT_BY_CHANNEL[kind].short, "x")


def decode_reach(kind: str, values: list[str | None]) -> Reach:
    """A member's ``Reach`` on a channel kind from the values of ``reach_fields(kind)``."""
    language, address, paused = values
    if address is not None and paused and kind in paused.split(","):
        address = None
    return Reach(language=language or IMPLIED_LANGUAGE, address=address)


def _when(value: str) -> datetime | None:
    """``c``'s time: base-36 epoch seconds."""
    return datetime.fromtimestamp(int(value, 36), UTC) if value else None


def _created(value: str | None) -> datetime | None:
    """``cr``: decimal epoch seconds (ten digits until 2286), or base 36 (six characters
    until 2038) as written before issue 14."""
    if not value:
        return None
    return datetime.fromtimestamp(int(value, 10 if len(value) > 7 else 36), UTC)


def _b36(number: int) -> str:
    """``number`` in base 36, as ``int(text, 36)`` reads it back (negative ones too)."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    sign, number = ("-", -number) if number < 0 else ("", number)
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return sign + out


def _as_mapping(data: MemberData | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(data, MemberData):
        values = {name: getattr(data, name) for name in MemberData.__dataclass_fields__}
        return {name: value for name, value in values.items() if value is not None}
    return data
