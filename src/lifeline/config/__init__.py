"""The configuration file: TOML, ``${NAME}`` taken from the environment, validated by pydantic.

models.py   the shape: [redis], [api], [worker], [[tenants]] with their channels
loading.py  ``load_settings()``: read, substitute, validate; errors name the key
"""

from lifeline.config.loading import Environment, load_settings, settings_from_dict
from lifeline.config.models import (
    ApiConfig,
    ApprovalPolicy,
    CascadeConfig,
    RedisConfig,
    Settings,
    TenantChannels,
    TenantConfig,
    WebConfig,
    WorkerConfig,
)

__all__ = [
    "ApiConfig",
    "ApprovalPolicy",
    "CascadeConfig",
    "Environment",
    "RedisConfig",
    "Settings",
    "TenantChannels",
    "TenantConfig",
    "WebConfig",
    "WorkerConfig",
    "load_settings",
    "settings_from_dict",
]
