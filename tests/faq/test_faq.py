"""FAQ entries: the rules an entry follows, and search in the member's language."""

from __future__ import annotations

import pytest

from lifeline.core.errors import InvalidInput
from lifeline.faq import FaqEntry, make_entry, search

ENTRIES = [
    make_entry(
        key="sick-note",
        question={
            "de": "Wie bekomme ich eine Krankschreibung, wenn die eAU gestört ist?",
            "en": "How do I get a sick note while the eAU is down?",
        },
        answer={"de": "Auf Papier.", "en": "On paper."},
        keywords=["sick note", "Krankschreibung", "AU"],
    ),
    make_entry(
        key="krankengeld",
        question={"de": "Wann kommt mein Krankengeld?", "en": "When is sickness benefit paid?"},
        answer={"de": "Später.", "en": "Later."},
        keywords=["Krankengeld"],
    ),
    make_entry(
        key="app",
        question={"de": "Soll ich die App neu installieren?", "en": "Should I reinstall the app?"},
        answer={"de": "Nein.", "en": "No."},
    ),
    make_entry(key="german-only", question={"de": "Gibt es Ärzte?"}, answer={"de": "Ja."}),
]


def keys(found: list[FaqEntry]) -> list[str]:
    return [entry.key for entry in found]


@pytest.mark.parametrize(
    ("query", "language", "expected"),
    [
        ("sick note", "en", ["sick-note"]),
        ("SICK NOTE?", "en", ["sick-note"]),
        ("sik note", "en", ["sick-note"]),  # a typo
        ("how do I get a sick note", "en", ["sick-note"]),
        ("Krankschreibung", "de", ["sick-note"]),
        ("krankschreibng", "de", ["sick-note"]),
        ("AU", "de", ["sick-note"]),
        ("au", "en", ["sick-note"]),
        ("Krankengeld", "de", ["krankengeld"]),
        ("sickness benefit", "en", ["krankengeld"]),
        ("reinstall app", "en", ["app"]),
        ("App neu installieren", "de", ["app"]),
        ("arzte", "en", ["german-only"]),  # no umlaut typed; only a German question exists
        ("weather tomorrow", "en", []),
        ("   ", "en", []),
        ("", "de", []),
    ],
)
def test_search(query: str, language: str, expected: list[str]) -> None:
    assert keys(search(ENTRIES, query, language, default_language="de")) == expected


def test_short_keywords_match_whole_words_only() -> None:
    assert keys(search(ENTRIES, "about", "en", default_language="de")) == []


def test_make_entry_tidies_keywords() -> None:
    entry = make_entry(
        key="k", question={"en": " Q "}, answer={"en": "A"}, keywords=["a  b", "a b", " ", "c"]
    )
    assert entry.question == {"en": "Q"}
    assert entry.keywords == ("a b", "c")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"key": "Bad Key"}, "key"),
        ({"key": "x" * 41}, "key"),
        ({"question": {}}, "question"),
        ({"question": {"fr": "q"}, "answer": {"fr": "a"}}, "question"),
        ({"question": {"en": " "}}, "question.en"),
        ({"question": {"en": "q" * 301}}, "question.en"),
        ({"answer": {"en": "a" * 3001}}, "answer.en"),
        ({"answer": {"de": "a"}}, "answer"),
        ({"keywords": [f"k{i}" for i in range(31)]}, "keywords"),
        ({"keywords": ["k" * 61]}, "keywords"),
    ],
)
def test_make_entry_refuses(fields: dict[str, object], field: str) -> None:
    base: dict[str, object] = {"key": "k", "question": {"en": "q"}, "answer": {"en": "a"}}
    with pytest.raises(InvalidInput) as caught:
        make_entry(**(base | fields))  # type: ignore[arg-type]
    assert caught.value.field == field


def test_language_for_falls_back() -> None:
    entry = ENTRIES[3]
    assert entry.language_for("en", "de") == "de"
    assert entry.language_for("en", "en") == "de"
