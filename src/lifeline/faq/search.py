"""Finding the entries that answer a member's words, in the member's language, forgiving typos.

    score = max(keyword score, question score)          0 … 100
    keyword score    100 when a keyword appears in the query (long keywords: fuzzily)
    question score   per query word, its best fuzzy match among the question's words,
                     averaged with longer words weighing more (short words say little)

Entries scoring ``FAQ_MIN_SCORE`` or more are answers; of those, the ones close to the best.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from rapidfuzz import fuzz, process

from lifeline.core.defaults import (
    FAQ_CLOSE_TO_BEST,
    FAQ_FUZZY_KEYWORD_SCORE,
    FAQ_MAX_RESULTS,
    FAQ_MIN_SCORE,
    FAQ_SHORT_KEYWORD,
)
from lifeline.faq.model import FaqEntry

_WORD = re.compile(r"\w+")


def search(
    entries: Sequence[FaqEntry], query: str, language: str, *, default_language: str
) -> list[FaqEntry]:
    """The entries answering ``query`` best (at most ``FAQ_MAX_RESULTS``), best first."""
    words = _words(query)
    if not words:
        return []
    scored = [(score(entry, words, language, default_language), entry) for entry in entries]
    scored = [(s, e) for s, e in scored if s >= FAQ_MIN_SCORE]
    if not scored:
        return []
    scored.sort(key=lambda pair: (-pair[0], pair[1].key))
    best = scored[0][0]
    return [entry for s, entry in scored[:FAQ_MAX_RESULTS] if s >= best - FAQ_CLOSE_TO_BEST]


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
    if len(keyword) < FAQ_SHORT_KEYWORD:
        return 100.0 if keyword in words else 0.0
    if f" {keyword} " in f" {text} ":
        return 100.0
    # A typo in a long keyword ("sik note") still finds it; partial: the query may say more.
    similarity = fuzz.partial_ratio(keyword, text)
    return similarity if similarity >= FAQ_FUZZY_KEYWORD_SCORE else 0.0


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
