"""The bot's words: gettext catalogues ``locales/<lang>/LC_MESSAGES/lifeline.po``.

msgids are English; the ``en`` catalogue repeats them, so both are complete and a test
can prove it. Handlers say ``_ = gettext_for(language)`` and then ``_("…")``; texts are
Telegram HTML, so values put into them go through ``html.escape``.

Compiled ``.mo`` files are not committed: the wheel build compiles them (``hatch_build.py``),
and a source checkout (editable install, tests) compiles the ``.po`` in memory on first use.
A ``.mo`` older than its ``.po`` is ignored, so an edited catalogue is never shadowed.

    pybabel extract -F babel.cfg -o locales/lifeline.pot --add-comments=Translators: …
    pybabel update -i locales/lifeline.pot -d locales -D lifeline --ignore-obsolete
    pybabel compile -d locales -D lifeline --statistics   (README "Telegram bot" has it all)
"""

from __future__ import annotations

import functools
import gettext
import io
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import babel.dates
from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from lifeline.core import defaults
from lifeline.core.locales import locales_dir
from lifeline.core.vocabulary import LANGUAGES, Language

DOMAIN = "lifeline"
"""gettext domain: the catalogue files are named ``lifeline.po`` / ``lifeline.mo``."""

Translate = Callable[[str], str]

DISPLAY_TIMEZONE = ZoneInfo(defaults.DISPLAY_TIMEZONE)

_DATETIME_PATTERNS = {
    "de": "EEEE, d. MMMM y, HH:mm 'Uhr'",
    "en": "EEEE d MMMM y, HH:mm 'German time'",
}


def N_(message: str) -> str:
    """Mark a text for extraction where it is defined; it is translated where it is shown."""
    return message


def catalogue_path(language: str, suffix: str = ".po") -> Path:
    """Where a language's catalogue lives (``.po`` source or compiled ``.mo``)."""
    return locales_dir() / language / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


@functools.cache
def translation(language: str) -> gettext.GNUTranslations:
    """The compiled catalogue of a supported language (loaded once per process)."""
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    po, mo = catalogue_path(language), catalogue_path(language, ".mo")
    if mo.is_file() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as fh:
            return gettext.GNUTranslations(fh)
    return gettext.GNUTranslations(compile_po(po, language))


def compile_po(po: Path, language: str) -> io.BytesIO:
    """A ``.po`` file compiled to ``.mo`` bytes, fuzzy entries left out (as msgfmt does)."""
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return buffer


def gettext_for(language: str) -> Translate:
    """``_`` for one language."""
    return translation(language).gettext


def ngettext_for(language: str) -> Callable[[str, str, int], str]:
    """``ngettext`` for one language (singular, plural, count)."""
    return translation(language).ngettext


def pick_language(code: object, default: str) -> str:
    """A Telegram ``language_code`` ("de", "en-GB") as a supported language, else ``default``."""
    if isinstance(code, str):
        primary = code.split("-", 1)[0].split("_", 1)[0].lower()
        if primary in LANGUAGES:
            return primary
    return default


def language_name(language: str, audience: str | None = None) -> str:
    """A language's name from Unicode CLDR: its own ("Deutsch"), or in ``audience``'s."""
    return str(Locale.parse(language).get_display_name(audience or language))


def negotiate(accept_language: str | None, default: Language) -> Language:
    """The supported language an ``Accept-Language`` header prefers most, else ``default``."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate((accept_language or "").split(",")[:32]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag))
    for negative_quality, _, tag in sorted(ranked):
        primary = tag.split("-", 1)[0].lower()
        if negative_quality < 0 and primary in LANGUAGES:
            return primary
    return default


def format_datetime(value: datetime, language: str) -> str:
    """A moment as members read it: German time, in their language's words."""
    pattern = _DATETIME_PATTERNS.get(language, "y-MM-dd HH:mm z")
    return babel.dates.format_datetime(value, pattern, tzinfo=DISPLAY_TIMEZONE, locale=language)
