"""The listening page in a real headless browser: Chromium from the Debian packages, driven by Selenium
with the Debian chromedriver (works offline). Skipped, with the reason, where either is not installed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.report.listening_run import CODECS, FAILURE, HOSTILE_CLIP, HOSTILE_TRANSCRIPT

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (the dev extra has it)")

_BROWSERS = ("chromium", "chromium-browser", "google-chrome")
_DRIVERS = ("chromedriver",)

# Loads every player's source and every image again in the page's own context and reports what failed.
_CHECK_MEDIA = """
const done = arguments[arguments.length - 1];
const audio = Array.from(document.querySelectorAll("audio")).map(a => a.getAttribute("src"));
const images = Array.from(document.querySelectorAll("img")).map(i => i.getAttribute("src"));
function probeAudio(src) {
  return new Promise(resolve => {
    const a = new Audio();
    a.preload = "metadata";
    a.onloadedmetadata = () => resolve({src, ok: a.duration > 0, duration: a.duration});
    a.onerror = () => resolve({src, ok: false, error: a.error && a.error.code});
    a.src = src;
    a.load();
  });
}
function probeImage(src) {
  return new Promise(resolve => {
    const i = new Image();
    i.onload = () => resolve({src, ok: i.naturalWidth > 0, width: i.naturalWidth});
    i.onerror = () => resolve({src, ok: false});
    i.src = src;
  });
}
Promise.all(audio.map(probeAudio).concat(images.map(probeImage))).then(done);
"""


def _find(names: tuple[str, ...]) -> str | None:
    return next((path for path in map(shutil.which, names) if path), None)


@pytest.fixture(scope="module")
def browser():
    binary, driver_path = _find(_BROWSERS), _find(_DRIVERS)
    if binary is None or driver_path is None:
        pytest.skip("Chromium and its driver are not installed (Debian: apt-get install chromium chromium-driver)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1300,1800", "--autoplay-policy=no-user-gesture-required"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_script_timeout(60)
    yield driver
    driver.quit()


def _open(browser, page: Path) -> list[dict]:
    browser.get(page.resolve().as_uri())
    browser.execute_script("return document.readyState")
    return browser.get_log("browser")


def test_page_loads_plays_shows_figures_and_keeps_names_as_text(browser, small_run, tmp_path):
    page = small_run.folder / "report" / "index.html"
    logs = _open(browser, page)
    severe = [entry for entry in logs if entry["level"] == "SEVERE"]
    assert severe == [], severe

    # Every player's source and every image (figures, spectrograms) loads from disk.
    results = browser.execute_async_script(_CHECK_MEDIA)
    failed = [r for r in results if not r["ok"]]
    assert failed == [], failed
    audio = [r for r in results if "duration" in r]
    assert len(audio) == 2 * (1 + len(CODECS)) - 1 and all(r["duration"] > 1.0 for r in audio)
    figures = browser.execute_script(
        "return Array.from(document.querySelectorAll('.figures img')).map(i => [i.complete, i.naturalWidth])")
    assert len(figures) == 3 and all(complete and width > 0 for complete, width in figures), figures

    # The hostile clip name and transcript are text: the literal strings appear, no script ran.
    titles = browser.execute_script(
        "return Array.from(document.querySelectorAll('.clip-title')).map(e => e.textContent)")
    assert HOSTILE_CLIP in titles
    body = browser.find_element("tag name", "body").text
    assert HOSTILE_TRANSCRIPT in body and FAILURE in body
    assert browser.execute_script("return typeof window.__pwned") == "undefined"
    assert browser.execute_script("return document.scripts.length") == 1

    # Kept as a test artifact: in pytest's tmp folder, or in $CODECBENCH_TEST_ARTIFACTS when set (CI).
    artifacts = Path(os.environ.get("CODECBENCH_TEST_ARTIFACTS") or tmp_path)
    artifacts.mkdir(parents=True, exist_ok=True)
    shot = artifacts / "listening-page.png"
    browser.execute_script("document.getElementById('listening').scrollIntoView()")
    browser.save_screenshot(str(shot))
    print(f"screenshot: {shot}")
    assert shot.stat().st_size > 10_000


def test_filters_hide_systems_and_clips_and_page_through(browser, small_run):
    _open(browser, small_run.folder / "report" / "index.html")
    visible = ("return Array.from(document.querySelectorAll(arguments[0]))"
               ".filter(e => e.offsetParent !== null).length")
    assert browser.execute_script(visible, "article.clip") == 2
    assert browser.execute_script(visible, "div.cell") == 2 * (1 + len(CODECS))
    # Untick one system: its cells go, the originals stay.
    browser.execute_script(
        "const box = Array.from(document.querySelectorAll('input.filter-codec')).find(b => b.value === arguments[0]);"
        "box.click();", "codec2@1200")
    assert browser.execute_script(visible, "div.cell") == 2 * len(CODECS)
    assert browser.execute_script(visible, "div.cell[data-original]") == 2
    # A clip-name filter typed with markup characters matches the hostile clip as text.
    search = browser.find_element("id", "filter-text")
    search.send_keys("<script>")
    assert browser.execute_script(visible, "article.clip") == 1
    browser.execute_script("const s = document.getElementById('filter-text'); s.value = '';"
                           "s.dispatchEvent(new Event('input'));"
                           "const p = document.getElementById('page-size'); p.value = '5';"
                           "p.dispatchEvent(new Event('change'));")
    assert browser.execute_script(visible, "article.clip") == 2
    assert "page 1 of 1" in browser.find_element("id", "page-info").text
