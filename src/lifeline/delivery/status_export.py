"""After every notice, update and all-clear, the worker writes the tenant's status page and
feed to ``web.static_dir`` (``pages.export``), so a static copy is never older than the
last change. A failed write is logged and delivery goes on: members' messages come first.
"""

from __future__ import annotations

import logging

from lifeline.config import TenantConfig
from lifeline.delivery.context import WorkerContext
from lifeline.notices import NoticeStore
from lifeline.pages import export_status

log = logging.getLogger(__name__)


def export_after_change(rt: WorkerContext, tenant: TenantConfig) -> None:
    """Write the tenant's static status copy, if a folder is configured."""
    folder = rt.settings.web.static_dir
    if folder is None:
        return
    try:
        export_status(NoticeStore(rt.redis), tenant, folder, public_url=rt.settings.web.base())
    except OSError as exc:
        log.error("tenant %s: the static status page could not be written to %s: %s",
                  tenant.id, folder, exc)  # fmt: skip
