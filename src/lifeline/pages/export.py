"""The status page and the feed as static files, for any static host or CDN to serve when
Lifeline's own host is overwhelmed (or down)::

    <folder>/<tenant>/index.html          the tenant's default language
    <folder>/<tenant>/index.<lang>.html   each language
    <folder>/<tenant>/feed.<lang>.atom    the feed in each language

Each file is written beside its final name and renamed over it, so a reader (or a sync to a
bucket) sees the old page or the new one, never half of one. Links between the files are
relative; the sign-up link points at the live site (``web.public_url``) when there is one.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path

from lifeline.config import TenantConfig
from lifeline.core.vocabulary import LANGUAGES
from lifeline.notices import NoticeStore
from lifeline.pages.feed import render_feed
from lifeline.pages.links import PageLinks
from lifeline.pages.status import read_status, render_status


def export_status(
    store: NoticeStore,
    tenant: TenantConfig,
    folder: Path,
    *,
    public_url: str = "",
    now: datetime | None = None,
) -> list[Path]:
    """Write a tenant's status pages and feeds under ``folder/<tenant id>``; the files."""
    target = folder / tenant.id
    target.mkdir(parents=True, exist_ok=True)
    view = read_status(store, tenant.id, now=now)
    links = PageLinks(tenant.id, public_url, static=True)
    written: list[Path] = []
    for language in LANGUAGES:
        page = render_status(tenant, view, language, links)
        written.append(_replace(target / f"index.{language}.html", page))
        if language == tenant.default_language:
            written.append(_replace(target / "index.html", page))
        feed = render_feed(tenant, view, language, links)
        written.append(_replace(target / f"feed.{language}.atom", feed))
    return written


def _replace(path: Path, text: str) -> Path:
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; a web server must read it
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
