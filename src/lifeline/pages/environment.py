"""One Jinja environment per language for the public pages, words from the gettext catalogue.

Templates live beside this file in ``templates/``; ``.html.j2`` and ``.atom.j2`` files are
autoescaped. Words are marked ``{% trans %}…{% endtrans %}`` or ``_("…")`` and extracted
with the bot's (``babel.cfg``), so both catalogues stay complete.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from lifeline.core.i18n import format_datetime, language_name, translation
from lifeline.core.vocabulary import LANGUAGES


def render_page(name: str, language: str, **context: Any) -> str:
    """The page ``templates/<name>`` in one language."""
    template = _environment(language).get_template(name)
    return template.render(language=language, languages=LANGUAGES, **context)


@functools.cache
def _environment(language: str) -> Environment:
    env = Environment(
        loader=PackageLoader("lifeline.pages", "templates"),
        autoescape=select_autoescape(["html.j2", "atom.j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translation(language), newstyle=True)  # type: ignore[attr-defined]
    env.filters["datetime"] = lambda value: format_datetime(value, language)
    env.filters["isodate"] = _iso
    env.globals["language_name"] = language_name
    return env


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds").replace("+00:00", "Z")
