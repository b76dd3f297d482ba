"""The shared words: each defined once, consistent with each other."""

from __future__ import annotations

from typing import get_args

import pytest

from lifeline.core.locations import dotted
from lifeline.core.masking import mask_email, mask_phone
from lifeline.core.vocabulary import (
    CHANNEL_KINDS,
    CONTACT_BY_CHANNEL,
    CONTACT_BY_FIELD,
    CONTACT_BY_SHORT,
    CONTACTS,
    LANGUAGES,
    ROLES,
    SEVERITIES,
    ChannelKind,
    Language,
)


def test_one_contact_per_channel_in_channel_order() -> None:
    assert tuple(c.channel for c in CONTACTS) == CHANNEL_KINDS == get_args(ChannelKind)
    assert len(CONTACT_BY_CHANNEL) == len(CONTACT_BY_FIELD) == len(CONTACT_BY_SHORT) == 3
    assert [c.field for c in CONTACTS] == ["telegram_chat_id", "email", "phone"]


def test_the_words_as_the_api_and_config_spell_them() -> None:
    assert LANGUAGES == get_args(Language) == ("de", "en")
    assert SEVERITIES == ("minor", "major", "critical")
    assert ROLES == ("publisher", "support", "admin")


@pytest.mark.parametrize(
    ("loc", "text"),
    [
        (("tenants", 0, "channels", "email"), "tenants[0].channels.email"),
        (("body", "topics", 1), "body.topics[1]"),
        ((3,), "[3]"),
        ((), ""),
    ],
)
def test_locations_read_as_a_path(loc: tuple[str | int, ...], text: str) -> None:
    assert dotted(loc) == text


def test_masking_keeps_enough_to_tell_apart_not_to_reach() -> None:
    assert mask_email("erika.mustermann@example.org") == "er***@example.org"
    assert mask_email("nonsense") == "***"
    assert mask_phone("+4915112345678") == "+49151****78"
    assert mask_phone("+491") == "****"
