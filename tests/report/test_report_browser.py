"""The report in a real browser: headless Chromium opens it from ``file://`` with no network.

Every request must be a ``file://`` (or inline ``data:``) URL; the network is made unreachable
(all host names resolve to nothing, any proxy is a closed port), the console must stay free of
errors, and the rendered text must match ``klynge.duckdb``. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines.constants import programme
from tests.browser import ARTIFACTS, needs_browser, offline_chrome

pytestmark = [needs_browser, pytest.mark.slow]  # Chromium on a refreshed release


@pytest.fixture(scope="module")
def release(refreshed) -> Path:
    return (refreshed[0] / "data" / "published" / "current").resolve()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = offline_chrome(tmp_path_factory.mktemp("chrome"))
    yield driver
    driver.quit()


def open_page(browser, path: Path) -> None:
    """Load ``path`` with the logs holding only what this page did."""
    browser.get("about:blank")
    browser.get_log("performance")  # drop what the browser and earlier pages logged
    browser.get_log("browser")
    browser.get(path.as_uri())


def requested_urls(browser) -> list[str]:
    urls = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def assert_offline_and_clean(browser) -> None:
    urls = requested_urls(browser)
    assert urls, "the performance log recorded no request at all"
    outside = [u for u in urls if not u.startswith(("file://", "data:"))]
    assert outside == [], f"requests that left the page's folder: {outside}"
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == [], errors


def screenshot(browser, name: str) -> Path:
    """The whole page (the window is made as tall as the document)."""
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, min(max(height, 800), 12000))
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / f"{name}.png"
    browser.save_screenshot(str(target))
    browser.set_window_size(1280, 1000)
    assert target.stat().st_size > 20_000
    return target


def latest_smv_share(release: Path) -> tuple[int, str]:
    with duckdb.connect(str(release / "klynge.duckdb"), read_only=True) as con:
        year, share = con.execute("""select year, smv_share_pct from smv_rd_share_summary
            where is_complete order by year desc limit 1""").fetchone()
    rounded = Decimal(str(share)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return year, f"{rounded}".replace(".", ",") + " %"


def test_front_page_offline(browser, release):
    from selenium.webdriver.common.by import By

    open_page(browser, release / "report" / "index.html")
    assert_offline_and_clean(browser)
    year, share = latest_smv_share(release)
    card = browser.find_element(By.ID, "hl-smv-share")
    assert str(year) in card.text
    value = card.find_element(By.CSS_SELECTOR, ".value").text.replace("\u00a0", " ")
    assert value == share
    banner = browser.find_element(By.ID, "data-warning")
    assert banner.is_displayed() and "SYNTETISKE DEMODATA" in banner.text
    links = browser.find_elements(By.CSS_SELECTOR, "#cluster-table tbody a")
    targets = {a.get_attribute("href") for a in links}
    assert len(links) == 11 and len(targets) == 11
    assert all(t.startswith("file://") and "/report/klynger/" in t for t in targets)
    # Figure 1 has two panels (the SME groups on their own scale); each chart is drawn for a
    # desktop and a phone, and a desktop window shows the desktop drawing only
    charts = browser.find_elements(By.CSS_SELECTOR, 'figure svg[role=img][data-size="desktop"]')
    assert len(charts) == 5 and all(c.size["height"] > 150 for c in charts)
    phone = browser.find_elements(By.CSS_SELECTOR, 'figure svg[role=img][data-size="phone"]')
    assert len(phone) == 5 and not any(c.is_displayed() for c in phone)
    screenshot(browser, "report_front_da")


def test_cluster_overview_sorts_by_any_column(browser, release):
    from selenium.webdriver.common.by import By

    open_page(browser, release / "report" / "index.html")
    heading = browser.find_element(By.CSS_SELECTOR, "#cluster-table thead th:nth-child(3)")
    heading.find_element(By.TAG_NAME, "button").click()
    heading.find_element(By.TAG_NAME, "button").click()  # descending
    assert heading.get_attribute("aria-sort") == "descending"
    cells = browser.find_elements(By.CSS_SELECTOR, "#cluster-table tbody td:nth-child(3)")
    grants = [float(c.get_attribute("data-sort")) for c in cells]
    assert grants == sorted(grants, reverse=True) and len(set(grants)) > 1
    assert_offline_and_clean(browser)


def test_cluster_page_offline(browser, release):
    from selenium.webdriver.common.by import By

    open_page(browser, release / "report" / "index.html")
    first = browser.find_element(By.CSS_SELECTOR, "#cluster-table tbody a")
    name = first.text
    first.click()
    assert browser.find_element(By.TAG_NAME, "h1").text == name
    assert_offline_and_clean(browser)
    assert "SYNTETISKE DEMODATA" in browser.find_element(By.ID, "data-warning").text
    with duckdb.connect(str(release / "klynge.duckdb"), read_only=True) as con:
        years = con.execute(
            "select count(*) from cluster_outcomes where cluster_name = ? and programme = ?",
            [name, programme().id],
        ).fetchone()[0]
    rows = browser.find_elements(By.CSS_SELECTOR, "#years tbody tr")
    assert len(rows) == years > 0
    screenshot(browser, "report_cluster_da")


@pytest.mark.parametrize(
    ("path", "name", "text"),
    [
        ("en/index.html", "report_front_en", "SYNTHETIC DEMO DATA"),
        ("datakvalitet.html", "report_quality_da", "smv_rd_share_summary"),
        ("en/provenance.html", "report_provenance_en", "FORSK01"),
    ],
)
def test_other_pages_offline(browser, release, path, name, text):
    from selenium.webdriver.common.by import By

    open_page(browser, release / "report" / path)
    assert_offline_and_clean(browser)
    assert text in browser.find_element(By.TAG_NAME, "body").text
    screenshot(browser, name)


def test_print_gives_a_clean_document(browser, release):
    """Print media hides navigation, opens the data tables, and keeps the banner."""
    import base64

    from selenium.webdriver.common.by import By

    open_page(browser, release / "report" / "index.html")
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not browser.find_element(By.TAG_NAME, "nav").is_displayed()
        assert browser.find_element(By.ID, "data-warning").is_displayed()
        screenshot(browser, "report_front_print")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    pdf = base64.b64decode(
        browser.execute_cdp_cmd("Page.printToPDF", {"printBackground": False})["data"]
    )
    (ARTIFACTS / "report_front_da.pdf").write_bytes(pdf)
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert pdf.startswith(b"%PDF") and pages >= 3, pages
    assert_offline_and_clean(browser)


def report_pages(release: Path) -> list[Path]:
    """Every page of the report in both languages: front, each cluster, quality, provenance,
    changes."""
    report = release / "report"
    pages = sorted(report.glob("*.html")) + sorted((report / "en").glob("*.html"))
    pages += sorted((report / "klynger").glob("*.html")) + sorted(
        (report / "en" / "clusters").glob("*.html")
    )
    return pages


def emulate_width(browser, width: int, height: int = 900) -> None:
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


# The smallest text a chart may draw, in CSS pixels (its SVG text scales with the drawing).
SMALLEST_CHART_TEXT = 10.5
CHART_TEXT = """
const out = [];
for (const svg of document.querySelectorAll("svg.chart")) {
  const box = svg.getBoundingClientRect();
  if (!box.width) continue;  // the other drawing (desktop or phone) is not shown
  const scale = box.width / svg.viewBox.baseVal.width;
  for (const text of svg.querySelectorAll("text")) {
    out.push([svg.closest("figure").id, text.textContent,
              parseFloat(getComputedStyle(text).fontSize) * scale]);
  }
}
return out;
"""


@pytest.mark.parametrize("width", [1280, 390])
def test_no_page_scrolls_sideways(browser, release, width):
    """At a desktop's and a phone's width no page is wider than the screen: a wide table
    scrolls in its own box (with a cue when it does), and chart text stays readable."""
    from selenium.webdriver.common.by import By

    pages = report_pages(release)
    assert len(pages) >= 2 * (4 + 11), [p.name for p in pages]  # 4 pages + 11 clusters
    emulate_width(browser, width)
    try:
        wide = []
        for page in pages:
            open_page(browser, page)
            scroll, client = browser.execute_script(
                "return [document.documentElement.scrollWidth,"
                " document.documentElement.clientWidth]"
            )
            if scroll > client:
                wide.append((str(page.relative_to(release)), scroll, client))
            texts = browser.execute_script(CHART_TEXT)
            small = [t for t in texts if t[2] < SMALLEST_CHART_TEXT]
            assert small == [], f"{page}: chart text below {SMALLEST_CHART_TEXT} px: {small[:5]}"
        assert wide == [], f"pages wider than {width} px: {wide}"

        open_page(browser, release / "report" / "index.html")
        box = browser.find_element(By.CSS_SELECTOR, "#clusters .wide.scroll")
        fits = browser.execute_script(
            "return arguments[0].scrollWidth <= arguments[0].clientWidth", box
        )
        cue = browser.find_element(By.CSS_SELECTOR, "#clusters .scroll-cue")
        assert cue.is_displayed() == (not fits)  # a cue exactly when the table scrolls
        if width == 1280:
            assert fits, "the cluster table must fit a 1280 px screen"
        note = browser.find_element(By.ID, "clusters-smv-note").text
        assert "én gang pr. klynge" in note
        for page, name in (("index.html", "front"), ("klynger/K01.html", "cluster")):
            open_page(browser, release / "report" / page)
            height = browser.execute_script("return document.documentElement.scrollHeight")
            emulate_width(browser, width, min(height, 12000))
            ARTIFACTS.mkdir(exist_ok=True)
            browser.save_screenshot(str(ARTIFACTS / f"report_{name}_da_{width}px.png"))
            emulate_width(browser, width)
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
