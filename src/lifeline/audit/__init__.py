"""The audit log: every admin action — notices, members, FAQ, keys — with who (the key's
id and label), what, when and from which address; append-only, kept
``api.audit_retention_days``.

model.py  AuditEntry
store.py  AuditLog: append, read newest first by time, action and cursor
"""

from lifeline.audit.model import Actor, AuditEntry
from lifeline.audit.store import AuditLog, AuditPage

__all__ = ["Actor", "AuditEntry", "AuditLog", "AuditPage"]
