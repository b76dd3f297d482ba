"""SMS segment counting against the rules of 3GPP TS 23.038 / 23.040."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifeline.channels.smstext import (
    GSM_BASIC,
    GSM_EXTENSION,
    SmsSegments,
    plain_punctuation,
    segments,
)


def test_empty_text_costs_nothing() -> None:
    assert segments("") == SmsSegments("GSM-7", 0, 0)


@pytest.mark.parametrize(
    ("length", "parts"),
    [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)],
)
def test_gsm_boundaries(length: int, parts: int) -> None:
    assert segments("a" * length) == SmsSegments("GSM-7", length, parts)


@pytest.mark.parametrize(
    ("length", "parts"),
    [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3)],
)
def test_ucs2_boundaries(length: int, parts: int) -> None:
    assert segments("á" * length) == SmsSegments("UCS-2", length, parts)


@pytest.mark.parametrize("char", list("äöüÄÖÜßéèàÑñ§¿¡ØÅÆÉΔ@£$¥¤\n"))
def test_german_and_other_basic_letters_stay_gsm(char: str) -> None:
    assert segments(f"Störung {char}") == SmsSegments("GSM-7", 9, 1)


@pytest.mark.parametrize("char", [*"áíóúâêçÁ„“”–…", "\x1b", "😀"])
def test_one_character_outside_the_alphabet_makes_it_ucs2(char: str) -> None:
    info = segments(f"Störung {char}")
    assert info.encoding == "UCS-2"


@pytest.mark.parametrize("char", list("€[]{}~^\\|\f"))
def test_extension_characters_take_two_septets(char: str) -> None:
    assert segments(f"a{char}b") == SmsSegments("GSM-7", 4, 1)


def test_extension_characters_count_towards_the_single_limit() -> None:
    assert segments("€" * 80) == SmsSegments("GSM-7", 160, 1)
    assert segments("€" * 80 + "a") == SmsSegments("GSM-7", 161, 2)


def test_escape_pair_is_not_split_across_parts() -> None:
    # 306 septets would fit two parts of 153, but the € at 153/154 must move whole into
    # part two, which then overflows into a third.
    text = "a" * 152 + "€" + "a" * 152
    assert segments(text) == SmsSegments("GSM-7", 306, 3)


def test_escape_pair_that_fits_stays_in_its_part() -> None:
    text = "a" * 151 + "€" + "a" * 153
    assert segments(text) == SmsSegments("GSM-7", 306, 2)


def test_emoji_count_as_two_utf16_units() -> None:
    assert segments("😀" * 35) == SmsSegments("UCS-2", 70, 1)
    assert segments("😀" * 35 + "a") == SmsSegments("UCS-2", 71, 2)


def test_surrogate_pair_is_not_split_across_parts() -> None:
    text = "a" * 66 + "😀" + "a" * 66
    assert segments(text) == SmsSegments("UCS-2", 134, 3)


def test_alphabet_sizes() -> None:
    # 128 code points less the escape in the basic table, 10 in the extension table.
    assert len(GSM_BASIC) == 127
    assert len(GSM_EXTENSION) == 10
    assert "\x1b" not in GSM_BASIC


def test_plain_punctuation_turns_office_typography_into_gsm() -> None:
    text = plain_punctuation("„eAU“ gestört – bitte Papier‚AU‘ nutzen…\u00a0z.\u202fB.")
    assert text == "\"eAU\" gestört - bitte Papier'AU' nutzen... z. B."
    assert segments(text).encoding == "GSM-7"


def test_plain_punctuation_leaves_letters_alone() -> None:
    assert plain_punctuation("Ärztin á ç") == "Ärztin á ç"


_GSM = GSM_BASIC | GSM_EXTENSION
_BASIC_TEXT = st.text(alphabet=sorted(GSM_BASIC), max_size=700)
_BMP_NON_GSM = st.text(alphabet=st.characters(min_codepoint=0x100, max_codepoint=0xD7FF))


@given(_BASIC_TEXT)
def test_basic_only_text_matches_the_plain_formula(text: str) -> None:
    expected = 0 if not text else 1 if len(text) <= 160 else math.ceil(len(text) / 153)
    assert segments(text) == SmsSegments("GSM-7", len(text), expected)


@given(_BMP_NON_GSM.filter(lambda t: any(c not in _GSM for c in t)))
def test_bmp_ucs2_text_matches_the_plain_formula(text: str) -> None:
    expected = 1 if len(text) <= 70 else math.ceil(len(text) / 67)
    assert segments(text) == SmsSegments("UCS-2", len(text), expected)


@given(st.text(alphabet=sorted(_GSM), max_size=500))
def test_parts_never_fewer_than_septets_allow(text: str) -> None:
    info = segments(text)
    assert info.characters == len(text) + sum(c in GSM_EXTENSION for c in text)
    if info.characters > 160:
        assert info.segments >= math.ceil(info.characters / 153)
        # At worst one septet per part is lost to an escape pair that moved on.
        assert info.segments <= math.ceil(info.characters / 152)
