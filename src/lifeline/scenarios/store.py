"""A tenant's scenarios in Redis, seeded with the starter set the first time they are read.

ll:t:<tenant>:scenarios          hash key → JSON document (``model.to_document``)
ll:t:<tenant>:scenarios:seeded   set once the starter set was written: a deleted starter
                                 scenario stays deleted
"""

from __future__ import annotations

import functools
import json
import tomllib
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import redis

from lifeline.core.errors import Conflict, NotFound
from lifeline.db import keys
from lifeline.scenarios.model import Scenario, from_document, to_document
from lifeline.scenarios.schemas import ScenarioIn

STARTER_AUTHOR = "starter set"
"""``updated_by`` of the scenarios Lifeline ships."""


def _library(tenant_id: str) -> str:
    return f"{keys.tenant(tenant_id)}scenarios"


@functools.cache
def starter_set() -> dict[str, Scenario]:
    """The shipped scenarios (``starter.toml``), checked as a PUT would check them."""
    with (Path(__file__).parent / "starter.toml").open("rb") as fh:
        raw = tomllib.load(fh)
    return {
        key: from_scenario_in(key, ScenarioIn.model_validate(doc), STARTER_AUTHOR)
        for key, doc in raw.items()
    }


def from_scenario_in(key: str, body: ScenarioIn, author: str) -> Scenario:
    """A scenario as written by ``author`` (its approval starts afresh)."""
    return Scenario(
        key=key,
        severity=body.severity,
        headline={str(k): v for k, v in body.headline.items()},
        body={str(k): v for k, v in body.body.items()},
        services=tuple(body.services),
        topics=None if body.topics is None else tuple(body.topics),
        channels=None if body.channels is None else tuple(body.channels),
        updated_at=datetime.now(UTC),
        updated_by=author,
    )


class ScenarioStore:
    """Tenant-scoped access to the scenario library; one instance per Redis client."""

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client

    def list(self, tenant_id: str) -> list[Scenario]:
        """Every scenario of the tenant, by key."""
        raw = cast(dict[str, str], self.redis.hgetall(self._seeded(tenant_id)))
        return [from_document(key, json.loads(raw[key])) for key in sorted(raw)]

    def get(self, tenant_id: str, key: str) -> Scenario:
        """The scenario with this key; NotFound naming it otherwise."""
        raw = cast(str | None, self.redis.hget(self._seeded(tenant_id), key))
        if raw is None:
            raise NotFound(f"scenario {key!r} not found")
        return from_document(key, json.loads(raw))

    def put(self, tenant_id: str, scenario: Scenario) -> bool:
        """Store or replace a scenario (any approval lapses with the change); True if new."""
        doc = json.dumps(to_document(scenario), ensure_ascii=False)
        return bool(self.redis.hset(self._seeded(tenant_id), scenario.key, doc))

    def delete(self, tenant_id: str, key: str) -> None:
        """Remove a scenario; NotFound if there is none."""
        if not self.redis.hdel(self._seeded(tenant_id), key):
            raise NotFound(f"scenario {key!r} not found")

    def approve(self, tenant_id: str, key: str, approver: str) -> Scenario:
        """Record a second person's approval of the scenario as it stands now.

        Conflict if ``approver`` is who last wrote it: four eyes are two people. The
        write is guarded by WATCH so that an approval never lands on a newer text.
        """
        library = self._seeded(tenant_id)
        with self.redis.pipeline() as pipe:
            cast(Any, pipe).watch(library)  # redis-py leaves watch untyped
            raw = cast(str | None, pipe.hget(library, key))
            if raw is None:
                raise NotFound(f"scenario {key!r} not found")
            scenario = from_document(key, json.loads(raw))
            if scenario.updated_by == approver:
                raise Conflict(f"scenario {key!r} was last written by {approver!r}: another "
                               "person must approve it")  # fmt: skip
            approved = replace(scenario, approved_by=approver, approved_at=datetime.now(UTC))
            pipe.multi()
            pipe.hset(library, key, json.dumps(to_document(approved), ensure_ascii=False))
            try:
                pipe.execute()
            except redis.WatchError:
                raise Conflict(f"scenario {key!r} changed meanwhile; look again") from None
        return approved

    def _seeded(self, tenant_id: str) -> str:
        """The library's key, after writing the starter set into it if it never was."""
        library = _library(tenant_id)
        marker = f"{library}:seeded"
        if self.redis.exists(marker):
            return library
        with self.redis.pipeline() as pipe:
            for key, scenario in starter_set().items():
                pipe.hsetnx(library, key, json.dumps(to_document(scenario), ensure_ascii=False))
            pipe.set(marker, "1")
            pipe.execute()
        return library
