"""Where the built-in ``locales`` folder is: message templates, services, bot catalogues."""

from __future__ import annotations

from pathlib import Path


def locales_dir() -> Path:
    """The built-in ``locales`` folder: package data of the wheel, else the source checkout."""
    package = Path(__file__).resolve().parents[1]
    candidates = (package / "locales", package.parents[1] / "locales")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    looked = " and ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"built-in templates not found: looked in {looked}")
