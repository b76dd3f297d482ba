"""The services a notice can name as affected, and what members should do instead.

The texts live in ``locales/<lang>/services.toml``, one table per service::

    [app]
    label = "App"                     # how messages name it
    short = "App"                     # optional: a shorter name for SMS
    instead = "…"                     # what to do instead, in whole sentences
    with_hotline = "… {hotline} …"    # optional: replaces instead when there is a hotline
    sms = "…"                         # what to do instead in a few words, for SMS
    sms_with_hotline = "…"            # optional: replaces sms when there is a hotline

A notice may only name services that are listed (the API refuses others); messages show
each one in the member's language with what to do instead.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lifeline.config import TenantConfig
from lifeline.core.errors import ConfigError
from lifeline.core.locales import locales_dir


@dataclass(frozen=True, slots=True)
class ServiceEntry:
    """One affected service as templates see it, in one language."""

    key: str
    label: str
    short: str
    instead: str
    sms: str


def known_services() -> frozenset[str]:
    """Service keys a notice may name (the API refuses others)."""
    return frozenset(key for texts in _catalogue().values() for key in texts)


def services_for(tenant: TenantConfig, keys: Iterable[str], language: str) -> list[ServiceEntry]:
    """The texts of these services in one language, with the tenant's hotline filled in."""
    texts = _catalogue().get(language, {})
    entries = []
    for key in keys:
        found = texts.get(key)
        if found is None:  # refused by the API, but a stored notice must still render
            entries.append(ServiceEntry(key=key, label=key, short=key, instead="", sms=""))
            continue
        instead, sms = found["instead"], found["sms"]
        if tenant.hotline:
            instead = found.get("with_hotline", instead).replace("{hotline}", tenant.hotline)
            sms = found.get("sms_with_hotline", sms).replace("{hotline}", tenant.hotline)
        label = found["label"]
        entries.append(ServiceEntry(key, label, found.get("short", label), instead, sms))
    return entries


@functools.cache
def _catalogue() -> dict[str, dict[str, dict[str, str]]]:
    """Language -> service key -> texts, from ``locales/<lang>/services.toml``."""
    catalogue = {}
    for folder in sorted(locales_dir().iterdir()):
        path = folder / "services.toml"
        if path.is_file():
            with path.open("rb") as fh:
                data = tomllib.load(fh)
            catalogue[folder.name] = {key: _service_texts(path, key, v) for key, v in data.items()}
    return catalogue


def _service_texts(path: Path, key: str, value: object) -> dict[str, str]:
    allowed = {"label", "short", "instead", "with_hotline", "sms", "sms_with_hotline"}
    if not isinstance(value, dict) or not {"label", "instead", "sms"} <= value.keys():
        raise ConfigError(f"{path}: [{key}] needs label, instead and sms")
    if not value.keys() <= allowed or not all(isinstance(v, str) for v in value.values()):
        raise ConfigError(f"{path}: [{key}] may only hold texts named {sorted(allowed)}")
    return dict(value)
