"""A notice's cascade: which channels, in which order, and how long a member has on each
to acknowledge before the notice goes out on their next one.

The plan is worked out when the notice is posted (the notice's ``cascade`` over the
tenant's ``[tenants.cascade]`` over the defaults) and stored with the notice, so a change
of the config file never changes a notice already on its way. Running it is the
delivery's (``lifeline.delivery.cascade``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from lifeline.config import TenantConfig
from lifeline.core import defaults
from lifeline.core.errors import InvalidInput
from lifeline.core.locations import quoted
from lifeline.core.vocabulary import ChannelKind
from lifeline.notices.schemas import CascadeIn


@dataclass(frozen=True, slots=True)
class CascadePlan:
    """After ``after_seconds`` on ``order[i]``, on to ``order[i + 1]``."""

    after_seconds: int
    order: tuple[ChannelKind, ...]


def plan_document(tenant: TenantConfig, asked: CascadeIn | None) -> dict[str, Any] | None:
    """The cascade to store with a posted notice (None: it does not cascade).

    Raises InvalidInput naming ``cascade.order`` for a channel the tenant does not offer.
    """
    config = tenant.cascade
    if asked is None and (config is None or not config.enabled):
        return None
    if asked is not None and not asked.enabled:
        return None
    offered = tenant.channels.configured()
    after = (asked.after_seconds if asked else None) or (
        config.after_seconds if config else defaults.CASCADE_AFTER_SECONDS
    )
    order: list[str]
    if asked is not None and asked.order is not None:
        order = list(asked.order)
        missing = [k for k in order if k not in offered]
        if missing:
            raise InvalidInput(
                f"channel {quoted(missing[0])} is not configured for this tenant",
                field="cascade.order",
            )
    elif config is not None:
        order = list(config.order)
    else:
        order = [k for k in defaults.CASCADE_ORDER if k in offered]
    if len(order) < 2:
        raise InvalidInput("a cascade needs two channels the tenant offers", field="cascade")
    return {"after_seconds": after, "order": order}


def from_document(doc: Mapping[str, Any] | None) -> CascadePlan | None:
    """The stored plan of a notice, if it has one."""
    if not doc:
        return None
    order = tuple(cast(list[ChannelKind], doc.get("order") or []))
    return CascadePlan(int(doc.get("after_seconds") or 0), order)
