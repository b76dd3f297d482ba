"""``split_html``: Telegram HTML cut into messages, each well-formed and within the limit."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lifeline.channels.html import split_html
from tests.providers.botapi import visible_text


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def paragraphs(count: int, size: int) -> str:
    """``count`` paragraphs of about ``size`` characters, each numbered."""
    words = " ".join(f"<b>Störung</b> &amp; Wort{i}" for i in range(size // 25))
    return "\n\n".join(f"Absatz {n}: {words}" for n in range(count))


def test_short_text_is_one_part_unchanged() -> None:
    text = "<b>Störung</b>: Online-Filiale &amp; App nicht erreichbar."
    assert split_html(text, 4096) == [text]


def test_splits_on_paragraphs_when_they_fit() -> None:
    text = paragraphs(12, 900)
    parts = split_html(text, 4096)
    assert len(parts) > 1
    assert all(units(part) <= 4096 for part in parts)
    assert "\n\n".join(parts) == text  # every cut was a whole paragraph break


def test_falls_back_to_line_breaks_then_words() -> None:
    lines = "\n".join(f"Zeile {n}: " + " ".join(["wort"] * 30) for n in range(60))
    parts = split_html(lines, 1000)
    assert "\n".join(parts) == lines
    one_line = " ".join(["Wort"] * 600)
    parts = split_html(one_line, 1000)
    assert " ".join(parts) == one_line
    assert all(units(part) <= 1000 for part in parts)


def test_cuts_a_giant_word_between_characters() -> None:
    parts = split_html("x" * 10_000, 4096)
    assert [len(part) for part in parts] == [4096, 4096, 1808]


def test_reopens_tags_in_every_part() -> None:
    text = '<b>Wichtig: <a href="https://status.example.org">' + "Status " * 400 + "</a></b> Ende"
    parts = split_html(text, 500)
    assert len(parts) > 4
    for part in parts[:-1]:
        assert part.startswith(
            '<b>Wichtig: <a href="https://status.example.org">'
        ) or part.startswith('<b><a href="https://status.example.org">')
        assert part.endswith("</a></b>")
        visible_text(part)  # balanced and well-formed, or it raises
    assert parts[-1].endswith("</a></b> Ende")


def test_never_cuts_inside_an_entity() -> None:
    text = "&amp;&lt;&gt;&quot;&#228;" * 300
    for part in split_html(text, 100):
        assert re.fullmatch(r"(&[#a-z0-9]+;)+", part), part


def test_counts_emoji_as_two_units_like_telegram() -> None:
    parts = split_html("🚨" * 3000, 4096)
    assert [units(part) for part in parts] == [4096, 1904]


def test_refuses_a_tag_longer_than_the_limit() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        split_html('<a href="https://example.org/' + "x" * 200 + '">link</a>' + " y" * 100, 100)


def test_empty_elements_take_no_room() -> None:
    empty_links = '<a href="https://e.org/"></a>' * 5
    text = "Wort<b> </b>" + empty_links + '<a href="https://e.org/">Wort</a>'
    assert split_html(text, 60) == ['Wort<b> </b><a href="https://e.org/">Wort</a>']


def test_a_part_never_starts_by_closing_what_the_last_one_closed() -> None:
    text = "<b>" + "fett " * 18 + "</b>" + "x" * 50  # the best cut is the space before </b>
    parts = split_html(text, 100)
    assert parts == ["<b>" + " ".join(["fett"] * 18) + "</b>", "x" * 50]


_WORDS = st.sampled_from(["Wort", "Störung", "&amp;", "&lt;", "🚨", "x" * 70, " ", "\n", "\n\n"])
_TAGS = [
    ("<b>", "</b>"),
    ("<i>", "</i>"),
    ("<code>", "</code>"),
    ('<a href="https://e.org/">', "</a>"),
]


def _html(depth: int) -> st.SearchStrategy[str]:
    """Telegram HTML nested at most ``depth`` deep (deeper would not fit the limits below)."""
    if depth == 0:
        return _WORDS
    wrapped = st.builds(
        lambda tag, body: f"{tag[0]}{''.join(body)}{tag[1]}",
        st.sampled_from(_TAGS),
        st.lists(_html(depth - 1), max_size=6),
    )
    return st.one_of(_WORDS, wrapped)


@settings(max_examples=150, deadline=None)
@given(body=st.lists(_html(3), max_size=40).map("".join), limit=st.integers(150, 400))
def test_any_split_is_well_formed_and_loses_no_text(body: str, limit: int) -> None:
    parts = split_html(body, limit)
    assert all(units(part) <= limit for part in parts)
    seen = "".join("".join(visible_text(part).split()) for part in parts)
    assert seen == "".join(visible_text(body).split())
