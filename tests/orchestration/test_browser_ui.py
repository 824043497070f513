"""The Dagster UI in a real (headless) browser: the lineage, the refresh job, the schedule.

Starts `dagster dev` on a free local port, as `make dev` does, and drives Debian's Chromium
through chromedriver. Skipped, with the reason, where no browser is installed; `.ci/run`
installs one. Screenshots land in tests/artifacts/.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import urllib.request

import pytest

from pipelines.settings import PACKAGE_DIR
from tests.browser import ARTIFACTS, chrome, needs_browser
from tests.dagster_server import dagster_server

pytestmark = [needs_browser, pytest.mark.slow]  # dagster dev and Chromium


@pytest.fixture(scope="module")
def dagster_ui(tmp_path_factory):
    root = tmp_path_factory.mktemp("ui")
    home = root / "dagster_home"
    home.mkdir()
    shutil.copy(PACKAGE_DIR / "config" / "dagster.yaml", home / "dagster.yaml")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "KLYNGE_DATA_DIR": str(root / "data"),
        "KLYNGE_DST_SOURCE": "snapshot",
    }
    with dagster_server(["dagster", "dev"], env, root / "dagster_dev.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = chrome(tmp_path_factory.mktemp("chrome"), "--window-size=2200,1100")
    yield driver
    driver.quit()


def open_and_wait(browser, url: str, *texts: str, timeout: float = 90) -> str:
    """Load ``url`` and wait until every text is on the page. The community sign-up dialog
    of a new instance must never show (the project's instance settings turn it off: the UI
    runs in a closed network)."""
    from selenium.webdriver.common.by import By

    browser.get(url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dialog = browser.find_elements(By.XPATH, "//button[normalize-space()='Skip']")
        assert not [b for b in dialog if b.is_displayed()], f"{url}: the sign-up dialog showed"
        page = browser.page_source
        assert "Join the Dagster community" not in page, f"{url}: the sign-up dialog showed"
        if all(t in page for t in texts):
            return page
        time.sleep(1)
    missing = [t for t in texts if t not in browser.page_source]
    raise AssertionError(f"{url}: never showed {missing}")


def test_asset_catalog_lists_the_whole_lineage(dagster_ui, browser):
    # Group by group: the whole catalog is a virtual list that renders only what is in view.
    groups = {
        "dst": ["dst_forsk01", "dst_nan1", "dst_gf13", "dst_forsk02"],
        "programme": ["programme_clusters", "programme_participants"],
        "staging": ["stg_dst__forsk01", "stg_programme__projects"],
        "marts": ["smv_rd_share_summary", "cluster_outcomes", "quality_findings"],
        "evaluation": ["effect_estimates"],
        "publish": ["release"],
    }
    for group, names in groups.items():
        open_and_wait(browser, f"{dagster_ui}/locations/klynge/asset-groups/{group}/list", *names)
        if group == "marts":
            ARTIFACTS.mkdir(exist_ok=True)
            browser.save_screenshot(str(ARTIFACTS / "ui_asset_catalog.png"))


def test_refresh_job_shows_its_asset_graph(dagster_ui, browser):
    open_and_wait(
        browser,
        f"{dagster_ui}/locations/klynge/jobs/refresh",
        "refresh",
        "Materialize all",
        "dst",
        "programme",
        "marts",
        "publish",
    )
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "ui_refresh_job.png"))
    assert (ARTIFACTS / "ui_refresh_job.png").stat().st_size > 10_000


AUTOMATIONS = """{ repositoriesOrError { ... on RepositoryConnection { nodes {
    schedules { name cronSchedule executionTimezone scheduleState { status } }
    sensors { name sensorState { status } } } } } }"""


def graphql(base: str, query: str) -> dict:
    request = urllib.request.Request(
        f"{base}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["data"]


def test_nightly_schedule_and_sensors_are_on(dagster_ui, browser):
    open_and_wait(
        browser,
        f"{dagster_ui}/overview/automation",
        "nightly_refresh",
        "programme_inbound_sensor",
        "run_failure_alert",
    )
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "ui_automation.png"))
    [repository] = graphql(dagster_ui, AUTOMATIONS)["repositoriesOrError"]["nodes"]
    schedules = {s["name"]: s for s in repository["schedules"]}
    nightly = schedules["nightly_refresh"]
    assert (nightly["cronSchedule"], nightly["executionTimezone"]) == (
        "0 2 * * *",
        "Europe/Copenhagen",
    )
    assert nightly["scheduleState"]["status"] == "RUNNING"
    sensors = {s["name"]: s["sensorState"]["status"] for s in repository["sensors"]}
    for name in ("programme_inbound_sensor", "run_failure_alert"):
        assert sensors[name] == "RUNNING", sensors
