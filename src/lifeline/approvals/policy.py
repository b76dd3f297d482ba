"""Which notices wait for a second person: the tenant's ``[tenants.approval]`` rules."""

from __future__ import annotations

from lifeline.config import ApprovalPolicy
from lifeline.core.vocabulary import Severity


def why_approval(
    policy: ApprovalPolicy | None,
    *,
    severity: Severity,
    audience: int,
    approved_scenario: bool = False,
) -> str | None:
    """Why this notice must wait for approval, or None if it may go out at once.

    ``approved_scenario``: the notice is a scenario approved in advance, sent as it is.
    """
    if policy is None:
        return None
    if approved_scenario and policy.approved_scenarios:
        return None
    if severity in policy.severities:
        return f"severity {severity}"
    if policy.min_audience is not None and audience >= policy.min_audience:
        return f"audience of {audience} members (policy: from {policy.min_audience})"
    return None
