"""The report in a real browser: headless Chromium through ChromeDriver (Debian's packages, put
in place by .ci/install-browser). Every page loads with no console error and no failed request,
the tables and charts are what the data says, and the basics of accessibility hold."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from aimsgraph import load, report
from tests.conftest import EXAMPLE_AS_OF, EXAMPLES
from tests.servers import running

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver") or "/usr/bin/chromedriver"

# WCAG 2 relative luminance and contrast ratio of an element's text against the first ancestor
# with an opaque background (white when there is none).
_CONTRAST = """
function luminance(rgb) {
  const [r, g, b] = rgb.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
function parse(colour) { const m = colour.match(/[\\d.]+/g).map(Number); return m; }
function background(element) {
  for (let e = element; e; e = e.parentElement) {
    const c = parse(getComputedStyle(e).backgroundColor);
    if (c.length < 4 || c[3] === 1) return c.slice(0, 3);
  }
  return [255, 255, 255];
}
const low = [];
for (const e of document.querySelectorAll('body *:not(svg *)')) {
  const own = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
  if (!own || e.closest('svg')) continue;
  const a = luminance(parse(getComputedStyle(e).color).slice(0, 3)), b = luminance(background(e));
  const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  if (ratio < 4.5) low.push(e.tagName + '.' + e.className + ': ' + ratio.toFixed(2) + ' ' + e.textContent.slice(0, 30));
}
return low;
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        message = "headless Chromium and ChromeDriver are missing: run `make browser` (Debian, as root)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path: Selenium Manager, which would look for drivers online, never runs.
    os.environ.setdefault("SE_OFFLINE", "true")
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    for file in report.build(load.load(load.collect([str(EXAMPLES / "kestrel")])), as_of=EXAMPLE_AS_OF):
        if isinstance(file.body, str):
            (folder / file.name).write_text(file.body, encoding="utf-8")
    return folder


def _open(browser: webdriver.Chrome, url: str) -> list[dict[str, Any]]:
    """Load ``url`` and give the console's errors (a failed request is logged as one too)."""
    browser.get_log("browser")  # empties what earlier pages left
    browser.get(url)
    return [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def test_every_page_loads_without_errors_or_failed_requests(browser: webdriver.Chrome, site: Path) -> None:
    pages = sorted(site.glob("*.html"))
    assert len(pages) == 14
    for page in pages:
        assert _open(browser, page.as_uri()) == [], page.name
        assert browser.find_element(By.TAG_NAME, "h1").text, page.name
        # every link between pages leads to a page that exists
        for link in browser.find_elements(By.CSS_SELECTOR, "nav a"):
            assert (site / link.get_attribute("href").rsplit("/", 1)[-1]).exists()


def test_the_soa_shows_38_controls(browser: webdriver.Chrome, site: Path) -> None:
    _open(browser, (site / "soa.html").as_uri())
    rows = browser.find_elements(By.CSS_SELECTOR, "main table tbody tr")
    assert len(rows) == 38
    assert rows[0].find_element(By.TAG_NAME, "td").text == "A.2.2"


def test_the_charts_render_a_bar_per_group(browser: webdriver.Chrome, site: Path) -> None:
    _open(browser, (site / "index.html").as_uri())
    clauses = browser.find_element(By.CSS_SELECTOR, "svg[aria-label='Coverage of clauses 4 to 10 by status']")
    bars = clauses.find_elements(By.CSS_SELECTOR, "g.bar")
    assert [bar.get_attribute("data-group") for bar in bars] == ["4", "5", "6", "7", "8", "9", "10"]
    areas = browser.find_element(By.CSS_SELECTOR, "svg[aria-label='Coverage of the Annex A control areas by status']")
    assert len(areas.find_elements(By.CSS_SELECTOR, "g.bar")) == 9  # A.2 to A.10
    # drawn, not only present: each bar has a visible width on the page
    for bar in bars:
        assert bar.find_element(By.TAG_NAME, "rect").rect["width"] > 0
    counted = sum(
        int(title.get_attribute("textContent").split(": ")[1].split(" ")[0])
        for title in areas.find_elements(By.CSS_SELECTOR, "rect title")
    )
    assert counted == 38


def test_accessibility_basics(browser: webdriver.Chrome, site: Path) -> None:
    for name in (
        "index.html",
        "soa.html",
        "findings.html",
        "systems.html",
        "appendix.html",
        "system-sys-credit-scoring.html",
    ):
        _open(browser, (site / name).as_uri())
        assert browser.execute_script("return document.documentElement.lang") == "en"
        assert browser.find_elements(By.TAG_NAME, "main") and browser.find_elements(By.TAG_NAME, "nav")
        assert browser.title, name
        for table in browser.find_elements(By.CSS_SELECTOR, "main table"):
            assert table.find_elements(By.TAG_NAME, "th"), name
        for picture in browser.find_elements(By.TAG_NAME, "svg"):
            assert picture.get_attribute("role") == "img" and picture.get_attribute("aria-label"), name
        assert all(image.get_attribute("alt") for image in browser.find_elements(By.TAG_NAME, "img")), name
        assert browser.execute_script(_CONTRAST) == [], name


def test_the_service_serves_the_report_to_a_browser(browser: webdriver.Chrome, tmp_path: Path) -> None:
    aimsgraph = str(Path(sys.executable).parent / "aimsgraph")
    store = tmp_path / "store"
    subprocess.run([aimsgraph, "load", str(EXAMPLES / "kestrel"), "--data-dir", str(store)], check=True)

    def command(port: int) -> list[str]:
        return [aimsgraph, "serve", "--data-dir", str(store), "--port", str(port)]

    with running(command, "/healthz") as base:
        assert _open(browser, f"{base}/") == []
        browser.find_element(By.LINK_TEXT, "Statement of Applicability").click()
        assert browser.current_url.startswith(f"{base}/v1/reports/soa.html")
        assert len(browser.find_elements(By.CSS_SELECTOR, "main table tbody tr")) == 38
        assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
