"""The generations and effects pages in headless Chromium, offline, at 1280 and 390 px: no
page scrolls sideways, chart text stays readable, one drawing of each chart is shown, and
screenshots of both pages at both widths go to tests/artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import ARTIFACTS, needs_browser, offline_chrome
from tests.report.generation_release import GENERATION, release_with_generations
from tests.report.test_report_browser import (
    CHART_TEXT,
    SMALLEST_CHART_TEXT,
    assert_offline_and_clean,
    emulate_width,
    open_page,
)

pytestmark = [needs_browser, pytest.mark.slow]

PAGES = (
    ("generationer.html", "generations_da"),
    ("en/generations.html", "generations_en"),
    ("effekter.html", "effects_da"),
    ("en/effects.html", "effects_en"),
)


@pytest.fixture(scope="module")
def release(refreshed, tmp_path_factory) -> Path:
    published = (refreshed[0] / "data" / "published" / "current").resolve()
    return release_with_generations(published, tmp_path_factory.mktemp("browser") / "rel")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = offline_chrome(tmp_path_factory.mktemp("chrome"))
    yield driver
    driver.quit()


@pytest.mark.parametrize("width", [1280, 390])
def test_generations_and_effects_pages_fit_the_screen(browser, release, width):
    from selenium.webdriver.common.by import By

    emulate_width(browser, width)
    try:
        for path, name in PAGES:
            open_page(browser, release / "report" / path)
            assert_offline_and_clean(browser)
            scroll, client = browser.execute_script(
                "return [document.documentElement.scrollWidth,"
                " document.documentElement.clientWidth]"
            )
            assert scroll <= client, f"{path} is {scroll} px wide at {width} px"
            small = [t for t in browser.execute_script(CHART_TEXT) if t[2] < SMALLEST_CHART_TEXT]
            assert small == [], f"{path}: chart text below {SMALLEST_CHART_TEXT} px: {small[:5]}"
            shown = "desktop" if width > 720 else "phone"
            hidden = "phone" if shown == "desktop" else "desktop"
            drawn = browser.find_elements(By.CSS_SELECTOR, f'svg.chart[data-size="{shown}"]')
            assert drawn and all(c.is_displayed() for c in drawn), path
            assert not any(
                c.is_displayed()
                for c in browser.find_elements(By.CSS_SELECTOR, f'svg.chart[data-size="{hidden}"]')
            )
            assert browser.find_element(By.ID, "data-warning").is_displayed()
            if "effe" in path:
                warning = browser.find_element(By.ID, f"effects-warning-{GENERATION}")
                assert warning.is_displayed()
                red = warning.value_of_css_property("border-top-color")
                assert red in ("rgba(176, 0, 0, 1)", "rgb(176, 0, 0)"), red  # synthetic: red
                conclusions = browser.find_elements(
                    By.CSS_SELECTOR, f'[id="gen-{GENERATION}"] li.conclusion'
                )
                assert len(conclusions) == 6 and all(c.is_displayed() for c in conclusions)
            else:
                reasons = browser.find_elements(By.CSS_SELECTOR, "#generations-table tr.reason")
                assert reasons and all(r.is_displayed() for r in reasons)
            height = browser.execute_script("return document.documentElement.scrollHeight")
            emulate_width(browser, width, min(height, 12000))
            ARTIFACTS.mkdir(exist_ok=True)
            target = ARTIFACTS / f"report_{name}_{width}px.png"
            browser.save_screenshot(str(target))
            assert target.stat().st_size > 20_000
            emulate_width(browser, width)
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
