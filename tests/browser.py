"""What every headless-browser test shares: Debian's Chromium and chromedriver, where the
screenshots go, and the skip (with its reason) where no browser is installed."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

from pipelines.settings import REPO_ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
ARTIFACTS = REPO_ROOT / "tests" / "artifacts"

needs_browser = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="no headless browser: install Debian's chromium and chromium-driver (.ci/run does)",
)

# Every test browser: headless, no sandbox (containers), nothing of its own on the network.
BASE_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def closed_port() -> int:
    """A local port nothing listens on: a proxy there refuses every connection at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def chrome(profile: Path, *flags: str, capabilities: dict | None = None):
    """Debian's Chromium through chromedriver, with a profile of its own in ``profile``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*BASE_FLAGS, *flags, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    for name, value in (capabilities or {}).items():
        options.set_capability(name, value)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    return driver


def offline_chrome(profile: Path):
    """Chromium for opening a release's report with no network: every host unresolvable,
    every proxy connection refused, the network and console log kept to prove it."""
    return chrome(
        profile,
        "--disable-extensions",
        "--disable-default-apps",
        "--window-size=1280,1000",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--proxy-server=http://127.0.0.1:{closed_port()}",
        capabilities={"goog:loggingPrefs": {"performance": "ALL", "browser": "ALL"}},
    )
