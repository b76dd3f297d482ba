"""The configuration file: TOML, ``${NAME}`` taken from the environment, validated by pydantic.

``load_settings()`` is the one way in. Whatever is wrong with a file comes out as a
``ConfigError`` whose lines each name the key and the problem, e.g.::

    tenants[0].channels.email.smtp_url: environment variable SMTP_PASSWORD is not set
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from lifeline.config.models import PROVIDER_SHAPES, Settings
from lifeline.core.errors import ConfigError
from lifeline.core.locations import dotted

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class Environment(BaseSettings):
    """The environment variables Lifeline reads (``LIFELINE_*``)."""

    model_config = SettingsConfigDict(env_prefix="LIFELINE_", extra="ignore")

    config: Path | None = None
    redis_url: str | None = None


def load_settings(path: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read, substitute and validate the config; ``LIFELINE_REDIS_URL`` overrides ``[redis]``.

    With no path and no ``LIFELINE_CONFIG`` the defaults apply (no tenants).
    """
    env = os.environ if env is None else env
    path = path or (Path(env["LIFELINE_CONFIG"]) if env.get("LIFELINE_CONFIG") else None)
    raw: dict[str, Any] = _read_toml(path) if path else {}
    return settings_from_dict(raw, env=env, source=str(path) if path else "defaults")


def settings_from_dict(
    raw: dict[str, Any], *, env: Mapping[str, str] | None = None, source: str = "config"
) -> Settings:
    """Validate already-parsed config data (used by ``load_settings`` and ``lifeline dev``)."""
    env = os.environ if env is None else env
    try:
        data = _substitute(raw, env, ())
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    redis_url = env.get("LIFELINE_REDIS_URL")
    if redis_url:
        data.setdefault("redis", {})
        if isinstance(data["redis"], dict):
            data["redis"]["url"] = redis_url
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, data, source)) from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def _substitute(value: Any, env: Mapping[str, str], loc: tuple[str | int, ...]) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, env, (*loc, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, env, (*loc, i)) for i, v in enumerate(value)]
    if isinstance(value, str):

        def lookup(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in env:
                raise ConfigError(f"{_dotted(loc)}: environment variable {name} is not set")
            return env[name]

        return _ENV_REF.sub(lookup, value)
    return value


def _dotted(loc: tuple[str | int, ...]) -> str:
    return dotted(loc) or "(top level)"


def _describe(exc: ValidationError, data: Any, source: str) -> str:
    lines = []
    for error in exc.errors(include_url=False):
        loc = _key_path(error["loc"], data)
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        elif error["type"] == "missing":
            message = "required key is missing"
        lines.append(f"{source}: {_dotted(loc)}: {message}")
    return "\n".join(lines)


def _key_path(loc: tuple[str | int, ...], data: Any) -> tuple[str | int, ...]:
    """The error's location as the file's keys, without pydantic's union tags in it."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part not in node and node.get("provider") == part:
            continue  # the discriminator's tag, not a key of the file
        if part in PROVIDER_SHAPES and not (isinstance(node, dict) and part in node):
            continue  # one provider table or an array of them: a tag, not a key either
        path.append(part)
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            node = None
    return tuple(path)
