"""What members read on the web: the status page, its Atom feed, and the pages of signing up
and unsubscribing, server-rendered from Jinja templates in German and English.

environment.py  the Jinja environment per language (gettext words from ``core.i18n``)
status.py       a tenant's notices as the status page shows them: active first, then the
                last 30 days, each with its updates and what to do instead
feed.py         the same as an Atom feed
links.py        where a page's links point: the live site, or a static copy
export.py       the status page and feed as static files (after every notice, and by hand)
"""

from lifeline.pages.environment import render_page
from lifeline.pages.export import export_status
from lifeline.pages.feed import render_feed
from lifeline.pages.links import PageLinks
from lifeline.pages.status import StatusView, read_status, render_status, tenant_context

__all__ = [
    "PageLinks",
    "StatusView",
    "export_status",
    "read_status",
    "render_feed",
    "render_page",
    "render_status",
    "tenant_context",
]
