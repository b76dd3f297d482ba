"""Every word the bot says is in both gettext catalogues, translated and not fuzzy.

The msgids are extracted from the code with Babel, as ``pybabel extract -F babel.cfg`` does,
and compared with ``locales/<lang>/LC_MESSAGES/lifeline.po``.
"""

from __future__ import annotations

import functools
import re
import string
from pathlib import Path
from typing import cast

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from lifeline.core import i18n
from lifeline.core.vocabulary import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
Msgid = str | tuple[str, ...]


@functools.cache
def extracted() -> dict[Msgid, str]:
    """msgid → where it is used, for every gettext call in src/ (the babel.cfg mapping)."""
    with (ROOT / "babel.cfg").open() as fh:
        # Babel leaves parse_mapping_cfg unannotated
        method_map, options_map = parse_mapping_cfg(fh)  # type: ignore[no-untyped-call]
    found: dict[Msgid, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map
    ):
        found.setdefault(message, f"{filename}:{lineno}")
    return found


def catalogue(language: str) -> dict[Msgid, tuple[str | tuple[str, ...], bool]]:
    """msgid → (msgstr, fuzzy) of a language's catalogue."""
    with i18n.catalogue_path(language).open("rb") as fh:
        catalog = read_po(fh, locale=language, domain=i18n.DOMAIN)
    # Babel types ids and strings loosely (list, None); read_po makes them str or tuple.
    return {
        cast(Msgid, m.id): (cast(str | tuple[str, ...], m.string), m.fuzzy) for m in catalog if m.id
    }


def test_code_uses_gettext_at_all() -> None:
    assert "Choose your language:" in extracted()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_msgid_in_the_code_is_in_the_catalogue(language: str) -> None:
    missing = {m: where for m, where in extracted().items() if m not in catalogue(language)}
    assert not missing, f"not in {language} catalogue (run pybabel extract + update): {missing}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_has_no_untranslated_fuzzy_or_stale_entries(language: str) -> None:
    used = extracted()
    entries = catalogue(language)
    untranslated = [m for m, (s, _) in entries.items() if not all(_strings(s))]
    fuzzy = [m for m, (_, f) in entries.items() if f]
    stale = [m for m in entries if m not in used]
    assert not untranslated, f"untranslated in {language}: {untranslated}"
    assert not fuzzy, f"fuzzy in {language}: {fuzzy}"
    assert not stale, f"no longer used, remove from {language}: {stale}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_placeholders_and_commands(language: str) -> None:
    for msgid, (msgstr, _) in catalogue(language).items():
        for original, translated in zip(_strings(msgid), _strings(msgstr), strict=False):
            assert _fields(original) == _fields(translated), (language, msgid)
            assert _commands(original) == _commands(translated), (language, msgid)


def test_english_catalogue_repeats_the_msgids() -> None:
    for msgid, (msgstr, _) in catalogue("en").items():
        assert _strings(msgstr) == _strings(msgid)


def test_compiled_catalogues_translate() -> None:
    assert i18n.gettext_for("de")("Choose your language:") == "Wählen Sie Ihre Sprache:"
    assert i18n.gettext_for("en")("Choose your language:") == "Choose your language:"


def _strings(value: str | tuple[str, ...]) -> tuple[str, ...]:
    return value if isinstance(value, tuple) else (value,)


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _commands(text: str) -> set[str]:
    return set(re.findall(r"/[a-z_]+", text))
