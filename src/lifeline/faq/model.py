"""An answer to a frequent question, and the rules an entry follows.

Support staff keep the entries (``PUT /v1/faq/{key}`` or ``/faq_set`` in their Telegram
group); both write through ``make_entry``, so the rules are the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from lifeline.core.defaults import (
    FAQ_MAX_ANSWER,
    FAQ_MAX_KEYWORD,
    FAQ_MAX_KEYWORDS,
    FAQ_MAX_QUESTION,
)
from lifeline.core.errors import InvalidInput
from lifeline.core.vocabulary import LANGUAGES, best_language

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
"""FAQ keys: short, URL- and command-safe (they travel in callback data too)."""


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
        return best_language(self.question, wanted, default)


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
    questions = _texts(question, "question", FAQ_MAX_QUESTION)
    answers = _texts(answer, "answer", FAQ_MAX_ANSWER)
    if questions.keys() != answers.keys():
        raise InvalidInput(
            "question and answer must be given in the same languages "
            f"(question: {', '.join(sorted(questions))}; answer: {', '.join(sorted(answers))})",
            field="answer",
        )
    cleaned = tuple(dict.fromkeys(" ".join(k.split()) for k in keywords if k.strip()))
    if len(cleaned) > FAQ_MAX_KEYWORDS:
        raise InvalidInput(f"at most {FAQ_MAX_KEYWORDS} keywords", field="keywords")
    if any(len(k) > FAQ_MAX_KEYWORD for k in cleaned):
        raise InvalidInput(f"a keyword has at most {FAQ_MAX_KEYWORD} characters", field="keywords")
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
