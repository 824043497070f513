"""The release's quality results open in a browser from file:// with the network unreachable.

GX's own Data Docs load their styles and scripts from CDNs and render blank offline; the
release's ``quality/index.html`` must show every table's results with no network at all.
Headless Chromium through chromedriver (as tests/orchestration/test_browser_ui.py), every request
through a proxy that does not exist and the DevTools network switched off.
"""

from __future__ import annotations

import pytest

from pipelines.catalog import published_marts
from tests.browser import chrome, closed_port, needs_browser

pytestmark = [needs_browser, pytest.mark.slow]  # Chromium on a refreshed release


MARTS = published_marts()


@pytest.fixture
def offline_browser(tmp_path):
    driver = chrome(
        tmp_path / "chrome",
        f"--proxy-server=http://127.0.0.1:{closed_port()}",
        "--proxy-bypass-list=<-loopback>",
    )
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    yield driver
    driver.quit()


def test_quality_page_shows_results_offline(refreshed, offline_browser):
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By

    page = refreshed[0] / "data" / "published" / "quality" / "index.html"
    browser = offline_browser
    with pytest.raises(WebDriverException, match="ERR_INTERNET_DISCONNECTED"):
        browser.get("https://example.org/")  # the network really is unreachable
    browser.get(page.resolve().as_uri())
    summary = browser.find_element(By.ID, "summary")
    assert summary.is_displayed() and summary.size["height"] > 100
    rows = summary.find_elements(By.TAG_NAME, "tr")[1:]
    shown = {
        r.find_elements(By.TAG_NAME, "td")[0].text: r.find_elements(By.TAG_NAME, "td")[1].text
        for r in rows
    }
    assert shown == {m.name: "passed" for m in MARTS}
    section = browser.find_element(By.ID, "price_index")
    assert section.is_displayed() and "passed" in section.text
    expectations = browser.find_elements(
        By.XPATH, "//h2[@id='cluster_programme_totals']/following-sibling::table[1]//tr"
    )
    assert len(expectations) > 10
    totals = " ".join(row.text for row in expectations)
    assert "distinct SMEs funded never exceed SME participations" in totals
    assert "findings by rule add up to findings_total" in totals
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
