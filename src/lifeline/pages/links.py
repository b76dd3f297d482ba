"""Where the links of a page point: the live site (``/t/<tenant>?lang=en``) or a static copy
of it (``index.en.html``), which any static host can serve without Lifeline."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PageLinks:
    """The addresses a page links to, for one tenant."""

    tenant_id: str
    base: str = ""
    """``web.public_url`` without its trailing slash; "" for site-relative links."""
    static: bool = False
    """A static copy: pages are files, and the sign-up page lives on the live site only."""

    def status(self, language: str | None = None) -> str:
        """The status page, in one language or the one the reader's browser prefers."""
        if self.static:
            return f"index.{language}.html" if language else "index.html"
        return f"{self.root}" + (f"?lang={language}" if language else "")

    def feed(self, language: str) -> str:
        """The Atom feed in one language."""
        if self.static:
            return f"feed.{language}.atom"
        return f"{self.root}/feed.atom?lang={language}"

    def subscribe(self, language: str) -> str:
        """The sign-up page ("" when a static copy has no live site to send readers to)."""
        if self.static and not self.base:
            return ""
        return f"{self.base}/t/{self.tenant_id}/subscribe?lang={language}"

    def unsubscribe(self, token: str) -> str:
        """A member's signed unsubscribe link (``access.signing``, purpose "unsubscribe")."""
        return f"{self.base}/t/{self.tenant_id}/unsubscribe/{token}"

    def ack(self, notice_id: int, token: str) -> str:
        """A member's signed link to acknowledge one notice (its page has the button)."""
        return f"{self.base}/t/{self.tenant_id}/ack/{notice_id}/{token}"

    def confirm(self, token: str) -> str:
        """The link that confirms a sign-up (its page has the button that does it)."""
        return f"{self.base}/t/{self.tenant_id}/confirm/{token}"

    def qr(self, target: str, suffix: str) -> str:
        """A QR code image: ``target`` bot, subscribe or status; ``suffix`` svg or png."""
        return f"{self.base}/t/{self.tenant_id}/qr/{target}.{suffix}"

    @property
    def root(self) -> str:
        return f"{self.base}/t/{self.tenant_id}"
