"""The accessibility check itself: axe-core in the headless browser finds what it should,
so a clean result on Lifeline's pages means something."""

from __future__ import annotations

from typing import Any

from tests.browser import axe_violations

BROKEN = (
    "data:text/html;charset=utf-8,<!DOCTYPE html><html><head><title>x</title></head><body>"
    "<main><form><input type='text'><button></button></form></main></body></html>"
)


def test_axe_reports_a_page_without_labels_and_language(browser: Any) -> None:
    browser.get(BROKEN)
    found = {v["id"] for v in axe_violations(browser)}
    assert {"label", "button-name", "html-has-lang"} <= found, found
