"""Answers to frequent questions: what an entry is, the rules it follows, and search.

Support staff keep the entries (``PUT /v1/faq/{key}`` or ``/faq_set`` in their Telegram
group); members find them with ``/faq WORDS``. Search works in the member's language on
the entry's keywords and question, and forgives typos:

    score = max(keyword score, question score)          0 … 100
    keyword score    100 when a keyword appears in the query (long keywords: fuzzily)
    question score   per query word, its best fuzzy match among the question's words,
                     averaged with longer words weighing more (short words say little)

Entries scoring ``MIN_SCORE`` or more are answers; of those, the ones close to the best.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from rapidfuzz import fuzz, process

from lifeline.defaults import LANGUAGES
from lifeline.errors import InvalidInput

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
"""FAQ keys: short, URL- and command-safe (they travel in callback data too)."""

MAX_QUESTION = 300
"""Characters of a question: it labels a button."""

MAX_ANSWER = 3000
"""Characters of an answer: with the question it must fit one Telegram message (4096)."""

MAX_KEYWORDS = 30
"""Keywords per entry."""

MAX_KEYWORD = 60
"""Characters of one keyword."""

MIN_SCORE = 70.0
"""Lowest score (0–100) that counts as a match."""

CLOSE_TO_BEST = 12.0
"""Results scoring within this many points of the best one are shown with it."""

MAX_RESULTS = 3
"""Answers shown for one search."""

_WORD = re.compile(r"\w+")
_SHORT_KEYWORD = 4
"""Keywords shorter than this (e.g. "AU") must match a whole word, never fuzzily."""


@dataclass(frozen=True, slots=True)
class FaqEntry:
    """One question with its answer; texts are keyed by language ("de", "en")."""

    key: str
    question: dict[str, str]
    answer: dict[str, str]
    keywords: tuple[str, ...] = ()
    updated_at: datetime | None = None

    def language_for(self, wanted: str, default: str) -> str:
        """The language to show: the wanted one if the entry has it, else the default, else any."""
        for language in (wanted, default):
            if language in self.question:
                return language
        return next(iter(self.question))


def make_entry(
    *,
    key: str,
    question: Mapping[str, str],
    answer: Mapping[str, str],
    keywords: Iterable[str] = (),
    updated_at: datetime | None = None,
) -> FaqEntry:
    """A checked entry; InvalidInput naming the field when a rule is broken.

    Question and answer need the same languages (at least one); texts are trimmed and
    must not be empty or too long; keywords are trimmed, kept once, empty ones dropped.
    """
    if not KEY_PATTERN.match(key):
        raise InvalidInput(
            "must be 1–40 characters a-z, 0-9, _ or -, starting with a letter or digit",
            field="key",
        )
    questions = _texts(question, "question", MAX_QUESTION)
    answers = _texts(answer, "answer", MAX_ANSWER)
    if questions.keys() != answers.keys():
        raise InvalidInput(
            "question and answer must be given in the same languages "
            f"(question: {', '.join(sorted(questions))}; answer: {', '.join(sorted(answers))})",
            field="answer",
        )
    cleaned = tuple(dict.fromkeys(" ".join(k.split()) for k in keywords if k.strip()))
    if len(cleaned) > MAX_KEYWORDS:
        raise InvalidInput(f"at most {MAX_KEYWORDS} keywords", field="keywords")
    if any(len(k) > MAX_KEYWORD for k in cleaned):
        raise InvalidInput(f"a keyword has at most {MAX_KEYWORD} characters", field="keywords")
    return FaqEntry(key, questions, answers, cleaned, updated_at)


def _texts(texts: Mapping[str, str], name: str, limit: int) -> dict[str, str]:
    out: dict[str, str] = {}
    for language, text in texts.items():
        if language not in LANGUAGES:
            raise InvalidInput(f"language must be one of {', '.join(LANGUAGES)}", field=name)
        text = text.strip()
        if not text:
            raise InvalidInput(f"the {language} text must not be empty", field=f"{name}.{language}")
        if len(text) > limit:
            raise InvalidInput(f"at most {limit} characters", field=f"{name}.{language}")
        out[language] = text
    if not out:
        raise InvalidInput("give the text in at least one language", field=name)
    return out


def search(
    entries: Sequence[FaqEntry], query: str, language: str, *, default_language: str
) -> list[FaqEntry]:
    """The entries answering ``query`` best (at most ``MAX_RESULTS``), best first."""
    words = _words(query)
    if not words:
        return []
    scored = [(score(entry, words, language, default_language), entry) for entry in entries]
    scored = [(s, e) for s, e in scored if s >= MIN_SCORE]
    if not scored:
        return []
    scored.sort(key=lambda pair: (-pair[0], pair[1].key))
    best = scored[0][0]
    return [entry for s, entry in scored[:MAX_RESULTS] if s >= best - CLOSE_TO_BEST]


def score(entry: FaqEntry, words: Sequence[str], language: str, default_language: str) -> float:
    """How well an entry answers a query given as normalized words (0–100)."""
    text = " ".join(words)
    keyword = max((_keyword_score(_normal(k), words, text) for k in entry.keywords), default=0.0)
    shown = entry.language_for(language, default_language)
    question = _question_score(words, _words(entry.question[shown]))
    return max(keyword, question)


def _keyword_score(keyword: str, words: Sequence[str], text: str) -> float:
    if not keyword:
        return 0.0
    if len(keyword) < _SHORT_KEYWORD:
        return 100.0 if keyword in words else 0.0
    if f" {keyword} " in f" {text} ":
        return 100.0
    # A typo in a long keyword ("sik note") still finds it; partial: the query may say more.
    similarity = fuzz.partial_ratio(keyword, text)
    return similarity if similarity >= 85 else 0.0


def _question_score(query: Sequence[str], question: Sequence[str]) -> float:
    if not question:
        return 0.0
    weighted = 0.0
    weights = 0
    for word in query:
        match = process.extractOne(word, question, scorer=fuzz.ratio)
        weight = min(len(word), 8)
        weighted += weight * (match[1] if match else 0.0)
        weights += weight
    return weighted / weights if weights else 0.0


def _words(text: str) -> list[str]:
    return _WORD.findall(_normal(text))


def _normal(text: str) -> str:
    """Case- and accent-free ("Ärztin" → "arztin"), so members needn't type umlauts."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
