"""What every headless-browser test shares: Debian's Chromium and chromedriver, where the
screenshots go, and the skip (with its reason) where no browser is installed."""

from __future__ import annotations

import shutil

import pytest

from pipelines.settings import REPO_ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
ARTIFACTS = REPO_ROOT / "tests" / "artifacts"

needs_browser = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="no headless browser: install Debian's chromium and chromium-driver (.ci/run does)",
)
