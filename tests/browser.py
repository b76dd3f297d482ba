"""Headless Chromium for the page tests: Debian's ``chromium`` driven by Selenium through
Debian's ``chromium-driver``, and axe-core (from the npm registry) for accessibility.

On CI (``CI=true``) a missing browser, driver or axe-core fails the test: a page test that
silently skips proves nothing. Elsewhere it skips, saying what to install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
"""Where ``npm install axe-core`` (run by ``.ci/run``) puts it."""

SERIOUS = ("serious", "critical")


def _missing(what: str) -> None:
    message = f"{what} (``.ci/run`` installs it: apt chromium chromium-driver, npm axe-core)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"missing on CI: {message}")
    pytest.skip(f"missing: {message}")


def axe_source() -> str:
    """axe-core's script; installs it with npm when it is not there yet."""
    if not AXE.is_file() and shutil.which("npm"):
        subprocess.run(
            ["npm", "install", "--no-save", "--no-audit", "--no-fund", "axe-core@4"],
            cwd=ROOT,
            check=False,
            capture_output=True,
            timeout=300,
        )
    if not AXE.is_file():
        _missing(f"axe-core at {AXE}")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Chromium (Selenium WebDriver), closed with the session."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        _missing("chromium and chromedriver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = cast(str, chromium)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1000,1400",
                     "--lang=en-GB", "--no-first-run"):  # fmt: skip
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": "en-GB,en"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def axe_violations(driver: Any) -> list[dict[str, Any]]:
    """The serious and critical axe-core violations of the page the browser shows."""
    driver.execute_script(axe_source())
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => done(r.violations)).catch(e => done([{id: 'axe-error', impact: 'critical',"
        " help: String(e), nodes: []}]));"
    )
    return [v for v in cast(list[dict[str, Any]], result) if v.get("impact") in SERIOUS]


def describe(violations: list[dict[str, Any]]) -> str:
    """Violations as lines a person can act on."""
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v.get('help')} at "
        + ", ".join(str(n.get("target")) for n in v.get("nodes", [])[:3])
        for v in violations
    )
