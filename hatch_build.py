"""Hatch build hook: compile the bot's gettext catalogues (``.po`` → ``.mo``) into the wheel.

Compiled catalogues are build output, so they are not committed (``.gitignore`` has ``*.mo``).
An editable install needs none: ``lifeline.core.i18n`` compiles the ``.po`` in memory when
no up-to-date ``.mo`` is beside it.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CatalogueBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    """Adds ``lifeline/locales/<lang>/LC_MESSAGES/<domain>.mo`` for every ``.po``."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Compile each catalogue into a temporary folder and map it into the wheel."""
        if self.target_name != "wheel" or version == "editable":
            return
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        self._out = Path(tempfile.mkdtemp(prefix="lifeline-mo-"))
        for po in sorted(Path(self.root, "locales").glob("*/LC_MESSAGES/*.po")):
            language = po.parent.parent.name
            with po.open("rb") as fh:
                catalog = read_po(fh, locale=language, domain=po.stem)
            mo = self._out / language / f"{po.stem}.mo"
            mo.parent.mkdir(parents=True, exist_ok=True)
            with mo.open("wb") as fh:
                write_mo(fh, catalog, use_fuzzy=False)
            target = f"lifeline/locales/{language}/LC_MESSAGES/{po.stem}.mo"
            build_data["force_include"][str(mo)] = target

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        """Remove the temporary folder."""
        out = getattr(self, "_out", None)
        if out is not None:
            shutil.rmtree(out, ignore_errors=True)
