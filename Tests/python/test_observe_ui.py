"""Issue 17: the inspector page GET /__mock/ui in a real browser (Debian chromium driven headless
by Selenium through chromedriver), next to the official OpenAI SDK.

The test opens the page (admin token in the URL fragment), sends requests with the SDK, sees the
rows appear, opens one and reads its request body, adds a fault rule in the page and sees the
next SDK call fail with it. It writes a screenshot (path printed; BYTESPIKE_SCREENSHOT_DIR
overrides the default .build/screenshots).

Chromium and chromedriver come from scripts/setup-browser (apt, as root), which this module runs
when they are missing; a browser that cannot be installed fails the test, it is not skipped.

Run: BYTESPIKE_MOCK_BIN=.build/debug/bytespike-mock .venv/bin/python -m pytest -q Tests/python/test_observe_ui.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import openai
import pytest
import requests

from mockproc import running_mock

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = "sk-byts-default-test-key-0001"
TOKEN = "page-test-admin-token-7f3a"
WAIT = 10

# The page re-renders its tables every few seconds, so an element found a moment ago can be gone
# by the time it is read ("stale element"). Rows are read in one script call, and clicks retry.
ROW_TEXTS = "return Array.from(document.querySelectorAll('#rows tr.row'), r => r.innerText)"


def row_texts(driver) -> list[str]:
    return driver.execute_script(ROW_TEXTS)


def click_row(driver, index: int) -> None:
    """Clicks the row at index (negative counts from the end), finding it afresh on each try."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    for _ in range(20):
        try:
            driver.find_elements(By.CSS_SELECTOR, "#rows tr.row")[index].click()
            return
        except StaleElementReferenceException:
            continue
    raise AssertionError("the rows table kept re-rendering under the click")


def ensure_browser() -> None:
    try:
        import selenium  # noqa: F401
        ready = bool(shutil.which("chromium") and shutil.which("chromedriver"))
    except ImportError:
        ready = False
    if not ready:
        r = subprocess.run([str(ROOT / "scripts" / "setup-browser")], env={**os.environ, "PYTHON": sys.executable},
                           capture_output=True, text=True, timeout=900)
        assert r.returncode == 0, f"scripts/setup-browser failed:\n{r.stdout}\n{r.stderr}"


@pytest.fixture(scope="module")
def browser():
    ensure_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium")
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,900",
              "--no-first-run", "--disable-extensions"):
        opts.add_argument(a)
    driver = webdriver.Chrome(service=Service(executable_path=shutil.which("chromedriver")), options=opts)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def test_inspector_showsRequestsLiveOpensOneAndAddsAFaultThatTheNextSdkCallMeets(browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    with running_mock("--admin-token", TOKEN, "--log", "off") as m:
        # The page is served without the token; its data is not.
        assert requests.get(m.url + "/__mock/ui", timeout=WAIT).status_code == 200
        assert requests.get(m.url + "/__mock/journal", timeout=WAIT).status_code == 401

        browser.get(m.url + "/__mock/ui#token=" + TOKEN)
        from selenium.common.exceptions import StaleElementReferenceException
        wait = WebDriverWait(browser, WAIT, ignored_exceptions=(StaleElementReferenceException,))
        wait.until(lambda d: d.find_element(By.ID, "status").text == "live")
        assert "token" not in browser.current_url  # the fragment is dropped once read

        client = openai.OpenAI(base_url=m.url + "/v1", api_key=DEFAULT, max_retries=0)
        for i in (1, 2):
            client.chat.completions.create(model="gpt-5-4-nano", messages=[{"role": "user", "content": f"browser hello {i}"}])
        list(client.chat.completions.create(model="gpt-5-4-nano", messages=[{"role": "user", "content": "a stream"}], stream=True))

        wait.until(lambda d: len(row_texts(d)) == 3)
        texts = row_texts(browser)
        assert all("/v1/chat/completions" in t and " 200 " in f" {t} ".replace("\t", " ") for t in texts), texts

        click_row(browser, -1)  # the oldest: "browser hello 1"
        body = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, "#detail pre.req-body")))
        assert '"content": "browser hello 1"' in body.text
        assert "…0001 (key_default)" in browser.find_element(By.ID, "detail").text  # the key, masked
        assert DEFAULT not in browser.page_source

        click_row(browser, 0)  # the stream: its events with their offsets
        wait.until(lambda d: "stream events" in d.find_element(By.ID, "detail").text)
        assert len(browser.find_elements(By.CSS_SELECTOR, "#detail pre.event")) > 3

        browser.find_element(By.CSS_SELECTOR, ".tabs button[data-tab=faults]").click()
        browser.find_element(By.ID, "fault-spec").send_keys("503 path=/v1/chat/completions id=page503")
        browser.find_element(By.ID, "fault-add").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#fault-rows tr[data-rule=page503]"))

        with pytest.raises(openai.InternalServerError) as failed:
            client.chat.completions.create(model="gpt-5-4-nano", messages=[{"role": "user", "content": "after the fault"}])
        assert failed.value.status_code == 503

        def counters(d):  # matched, applied: the page refreshes the rules every 3 s
            cells = d.find_elements(By.CSS_SELECTOR, "#fault-rows tr[data-rule=page503] td")
            return [c.text for c in cells[2:4]] == ["1", "1"]
        wait.until(counters)
        wait.until(lambda d: any(" 503 " in f" {t} ".replace("\t", " ") and "page503" in t for t in row_texts(d)))

        for tab in ("tasks", "clock", "keys"):
            browser.find_element(By.CSS_SELECTOR, f".tabs button[data-tab={tab}]").click()
        wait.until(lambda d: "key_default" in d.find_element(By.ID, "key-rows").text)
        browser.find_element(By.CSS_SELECTOR, ".tabs button[data-tab=clock]").click()
        browser.find_element(By.ID, "clock-freeze").click()
        wait.until(lambda d: d.find_element(By.ID, "clock-frozen").text == "true")

        browser.find_element(By.CSS_SELECTOR, ".tabs button[data-tab=faults]").click()
        shots = Path(os.environ.get("BYTESPIKE_SCREENSHOT_DIR", ROOT / ".build" / "screenshots"))
        shots.mkdir(parents=True, exist_ok=True)
        click_row(browser, -1)
        wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, "#detail pre.req-body")))
        path = shots / "inspector.png"
        assert browser.save_screenshot(str(path)) and path.stat().st_size > 10_000
        print(f"\ninspector screenshot: {path}")
