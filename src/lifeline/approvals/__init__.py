"""Four-eyes approval: a notice the tenant's policy names waits for a second person.

A wrong mass message to a million members is an incident of its own. A tenant's
``[tenants.approval]`` names which notices wait (by severity and/or audience size); such a
notice is stored as pending and nothing is planned until a publisher with another key label
(keys belong to people) approves it; a rejection, or no decision within the expiry, and it is
never sent. The state lives in the notice's own hash, beside its document:

    approval         pending | approved | rejected
    approval_until   ms: a pending notice lapses (reads as expired) after it
    proposer, proposer_key, approval_reason, decided_by, decided_key, decided_at

policy.py   ``why_approval``: whether a notice must wait, and why
decide.py   ``pending_fields`` to store with a waiting notice; ``decide`` approve/reject
"""

from lifeline.approvals.decide import Decision, DecisionRefused, decide, pending_fields
from lifeline.approvals.policy import why_approval

__all__ = ["Decision", "DecisionRefused", "decide", "pending_fields", "why_approval"]
