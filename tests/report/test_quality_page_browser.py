"""The report's quality page, the one view of the quality gate, in a browser from file:// with
the network unreachable, at a desktop width (1280 px) and a phone's (390 px).

It must open with its summary (every table's result before any rule), show each table's rules
folded, and neither it nor the provenance page may scroll sideways. Headless Chromium through
chromedriver, every request through a proxy that does not exist and the DevTools network off.
Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import pytest

from pipelines.catalog import published_marts
from tests.browser import ARTIFACTS, chrome, closed_port, needs_browser

pytestmark = [needs_browser, pytest.mark.slow]  # Chromium on a refreshed release

MARTS = published_marts()
WIDTHS = (1280, 390)
PAGES = ("datakvalitet.html", "en/quality.html", "datagrundlag.html", "en/provenance.html")


@pytest.fixture(scope="module")
def offline_browser(tmp_path_factory):
    driver = chrome(
        tmp_path_factory.mktemp("chrome"),
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


def _open(browser, page, width: int) -> None:
    # the window's inner width is the viewport the page lays out for
    browser.set_window_size(width, 900)
    inner = browser.execute_script("return window.innerWidth")
    browser.set_window_size(2 * width - inner, 900)
    browser.get(page.resolve().as_uri())


def _screenshot(browser, name: str, width: int) -> None:
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(width, min(max(height, 900), 12000))
    browser.execute_script("window.scrollTo(0, 0)")  # the page from its top
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / f"{name}_{width}.png"))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(
    ("path", "passed"), [("datakvalitet.html", "bestået"), ("en/quality.html", "passed")]
)
def test_quality_page_opens_with_its_summary_offline(
    refreshed, offline_browser, path, passed, width
):
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By

    report = refreshed[0] / "data" / "published" / "report"
    browser = offline_browser
    with pytest.raises(WebDriverException, match="ERR_INTERNET_DISCONNECTED"):
        browser.get("https://example.org/")  # the network really is unreachable
    _open(browser, report / path, width)
    main = browser.find_element(By.TAG_NAME, "main")
    first = main.find_elements(By.XPATH, "./*")[1]  # after the h1
    assert first.get_attribute("id") == "quality-summary"
    heading = first.find_element(By.TAG_NAME, "h2")
    assert heading.location["y"] + heading.size["height"] <= 900  # in the first screen
    rows = first.find_elements(By.CSS_SELECTOR, "table.gate-summary tbody tr")
    shown = {
        r.find_element(By.TAG_NAME, "th").text: r.find_element(By.CSS_SELECTOR, "td.result").text
        for r in rows
    }
    assert shown == {m.name: passed for m in MARTS}
    # a result word is never broken inside (one letter per line at 390 px, issue 24)
    result = rows[0].find_element(By.CSS_SELECTOR, "td.result span")
    assert result.size["height"] < 2 * float(result.value_of_css_property("line-height")[:-2])
    # every table's rules are folded: a passing table's rules are not shown until opened
    gates = browser.find_elements(By.CSS_SELECTOR, "details.gate")
    assert len(gates) == len(MARTS) and not any(g.get_attribute("open") for g in gates)
    rule = gates[0].find_element(By.CSS_SELECTOR, "table.rules")
    assert not rule.is_displayed()
    gates[0].find_element(By.TAG_NAME, "summary").click()
    assert rule.is_displayed() and passed in rule.text
    browser.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    _screenshot(browser, "report_quality_" + path.split("/")[0].replace(".html", ""), width)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", PAGES)
def test_quality_and_provenance_pages_do_not_scroll_sideways(
    refreshed, offline_browser, path, width
):
    report = refreshed[0] / "data" / "published" / "report"
    browser = offline_browser
    _open(browser, report / path, width)
    browser.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
    scroll, view = browser.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll <= view, (path, width, scroll, view)
