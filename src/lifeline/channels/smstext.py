"""What an SMS text costs: its encoding, its length as the network counts it, and its parts.

Numbers from 3GPP TS 23.038 and 23.040. One SMS carries 140 octets: 160 GSM-7 septets or
70 UCS-2 code units. A longer text is sent as concatenated parts, each of which loses six
octets to the user data header, leaving 153 septets or 67 code units per part.

- GSM-7 applies only when every character is in the default alphabet or its extension
  table; one other character (``á``, ``„``, an emoji) turns the whole text into UCS-2.
- An extension-table character (``€ [ ] { } ~ ^ \\ |`` and form feed) is sent as an escape
  plus a character: two septets, which must land in the same part.
- UCS-2 is counted in UTF-16 code units: a character outside the BMP (most emoji) is a
  surrogate pair, two units, which must land in the same part too.

No library on PyPI did this when written: ``smsutil`` (last release 2020, Python 2 era,
needs ``future``) splits but accepts a bare escape as text; ``gsm0338`` is a well-kept codec
but counts nothing. The alphabet below was checked against ``gsm0338``'s table.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ"  # 0x00-0x1A; 0x1B is the escape, not a character
    "ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
"""The GSM 03.38 default alphabet: one septet each."""

GSM_EXTENSION = frozenset("\f^{}\\[~]|€")
"""The default extension table: escape + character, two septets each."""

GSM_SINGLE, GSM_PART = 160, 153
"""Septets in a lone SMS, and in each part of a concatenated one."""

UCS2_SINGLE, UCS2_PART = 70, 67
"""UTF-16 code units in a lone SMS, and in each part of a concatenated one."""

_PLAIN = str.maketrans(
    {
        "„": '"',
        "“": '"',
        "”": '"',
        "»": '"',
        "«": '"',
        "‚": "'",
        "‘": "'",
        "’": "'",
        "–": "-",
        "—": "-",
        "…": "...",
        "•": "-",
        "\u00a0": " ",  # no-break space
        "\u202f": " ",  # narrow no-break space, as in "z. B." typed by Word
        "\u2009": " ",  # thin space
        "\u00ad": None,  # soft hyphen
        "\u200b": None,  # zero-width space
    }
)


@dataclass(frozen=True, slots=True)
class SmsSegments:
    """How a text goes out by SMS."""

    encoding: Encoding
    characters: int
    """Septets for GSM-7 (two per extension character), UTF-16 code units for UCS-2."""
    segments: int
    """SMS parts the network bills; 0 for an empty text."""


@functools.lru_cache(maxsize=256)
def segments(text: str) -> SmsSegments:
    """Encoding, length and number of parts of ``text`` sent as one SMS.

    Cached: a batch sends the same few texts (one per language) hundreds of times.
    """
    costs = _gsm_costs(text)
    if costs is not None:
        return _count("GSM-7", costs, GSM_SINGLE, GSM_PART)
    utf16 = [2 if ord(char) > 0xFFFF else 1 for char in text]
    return _count("UCS-2", utf16, UCS2_SINGLE, UCS2_PART)


def plain_punctuation(text: str) -> str:
    """Replace typographic quotes, dashes, ellipses and odd spaces with GSM-7 equivalents.

    German text written in an office program is full of „…“ and –; each one alone would
    turn the SMS into UCS-2 and more than double its parts. Letters are left alone.
    """
    return text.translate(_PLAIN)


def _gsm_costs(text: str) -> list[int] | None:
    """Septets per character, or None when a character has no GSM-7 encoding."""
    costs = []
    for char in text:
        if char in GSM_BASIC:
            costs.append(1)
        elif char in GSM_EXTENSION:
            costs.append(2)
        else:
            return None
    return costs


def _count(encoding: Encoding, costs: list[int], single: int, part: int) -> SmsSegments:
    total = sum(costs)
    if total <= single:
        return SmsSegments(encoding, total, 1 if total else 0)
    # Fill parts greedily; a character that does not fit whole starts the next part,
    # since an escape pair or a surrogate pair cannot be split between two parts.
    parts, used = 1, 0
    for cost in costs:
        if used + cost > part:
            parts, used = parts + 1, 0
        used += cost
    return SmsSegments(encoding, total, parts)
