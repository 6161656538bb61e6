"""The app in a real browser: `streamlit run app.py` driven by Debian's Chromium through Playwright.

Changes the batch size and the search space, waits for the charts, checks that no exception box appears,
opens a point of the correlation scatter on the patterns page, stops a long scoring run and keeps its partial
results, switches the search space on every page (the zoo first, then each other space) with no error box,
and saves screenshots into test-artifacts/.
"""
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SWAP_DATA", ROOT.parent / "shared" / "data"))
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium is not at /usr/bin/chromium "
                       "(`make browser-deps` installs it: apt-get install chromium chromium-driver)"),
    pytest.mark.skipif(not (DATA / "cifar10" / "train_first10000.npz").exists()
                       or not (DATA / "darts" / "DARTS_archs_CIFAR10.csv").exists(),
                       reason=f"CIFAR-10 images or the DARTS benchmark not found under {DATA} (set SWAP_DATA)"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def app_url():
    port = free_port()
    env = dict(os.environ, SWAP_DATA=str(DATA), OMP_NUM_THREADS="1")
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / "streamlit.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port",
         str(port), "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, "streamlit exited; see test-artifacts/streamlit.log"
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def metric_value(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]', has_text=label).first
    return box.locator('[data-testid="stMetricValue"]').inner_text()


def wait_idle(page, timeout: float = 60) -> None:
    """Wait until the script run is over (Streamlit shows its running widget meanwhile)."""
    page.wait_for_timeout(300)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout * 1000)


ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'


def error_texts(page) -> list[str]:
    return page.locator(ERRORS).all_inner_texts()


def start_run(page) -> None:
    """Press a page's start button ("Score 30 architectures (about 4 s)"): nothing scores before it."""
    wait_idle(page, 120)
    page.get_by_test_id("stMainBlockContainer").get_by_role("button", name=re.compile(r"^Score .*about")).click()


def pick_space(page, name: str) -> None:
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name=name, exact=True).click()
    wait_idle(page, 240)


def test_browser_cold_learn_page_draws_first_and_checks_once_the_engine_loads(app_url):
    """A fresh server's default page: charts before torch, then (without a click) the engine's check and the
    Device box, when the polling fragment has rerun the app."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1800})
        try:
            page.goto(app_url)
            page.wait_for_selector(".js-plotly-plot", timeout=120_000)
            page.get_by_text("The engine agrees").wait_for(timeout=120_000)
            page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]', has_text="Device").wait_for(
                timeout=30_000)
            assert page.locator("h1").first.inner_text() == "Learn SWAP"
            assert not error_texts(page), error_texts(page)
            page.screenshot(path=str(ARTIFACTS / "app_learn_cold.png"), full_page=True)
        finally:
            browser.close()


def test_browser_every_page_survives_switching_spaces(app_url):
    """Zoo first, then every other space, on every page: no exception and no error box (issue 12)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1800})
        try:
            # A shared link: small runs, so that every page finishes quickly in every space.
            page.goto(f"{app_url}/search?n_archs=2&batch_size=4")
            page.wait_for_selector('[data-testid="stSidebar"] [data-testid="stSelectbox"]', timeout=120_000)
            wait_idle(page, 120)
            links = [o.strip().split("\n")[-1] for o in page.evaluate(
                "() => [...document.querySelectorAll('[data-testid=stSidebarNav] a')].map(a => a.innerText)")]
            assert "Search" in links  # the router's navigation, not a list of file names
            page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
            names = [o.strip() for o in page.get_by_role("option").all_inner_texts()]
            page.keyboard.press("Escape")
            assert "zoo" in names
            order = ["zoo", *[n for n in names if n != "zoo"]]
            for link in links:
                page.get_by_role("link", name=link, exact=True).click()
                wait_idle(page, 240)
                for name in order:
                    pick_space(page, name)
                    assert not error_texts(page), (link, name, error_texts(page))
                slug = re.sub(r"\W+", "_", link.lower()).strip("_")
                page.screenshot(path=str(ARTIFACTS / f"app_spaces_{slug}.png"), full_page=True)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "app_spaces_failure.png"), full_page=True)
            raise
        finally:
            browser.close()


def test_browser_space_batch_size_scatter_click_and_stop(app_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 2200})
            page.goto(f"{app_url}/patterns")
            page.wait_for_selector(".js-plotly-plot", timeout=90_000)
            wait_idle(page)
            assert metric_value(page, "batch size B") == "16"

            slider = page.locator('[data-testid="stSidebar"] [data-testid="stSlider"] input[type="range"]').first
            slider.focus()
            slider.press("ArrowLeft")  # 16 -> 8
            page.wait_for_function("() => [...document.querySelectorAll('[data-testid=stMetricValue]')]"
                                   ".some(e => e.innerText.trim() === '8')", timeout=60_000)
            wait_idle(page)
            assert metric_value(page, "bound") == "256"

            page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
            page.get_by_role("option", name="darts", exact=True).click()
            page.wait_for_function("() => document.querySelector('textarea')?.value.startsWith('Genotype(')",
                                   timeout=60_000)
            wait_idle(page)
            page.wait_for_selector(".js-plotly-plot", timeout=60_000)
            assert page.locator('[data-testid="stException"]').count() == 0
            page.screenshot(path=str(ARTIFACTS / "app_patterns_darts_b8.png"), full_page=True)

            page.get_by_role("link", name="Correlation with accuracy").click()
            start_run(page)
            page.wait_for_selector('[data-testid="stMetric"]', timeout=90_000)
            wait_idle(page, 90)
            assert page.locator('[data-testid="stException"]').count() == 0
            assert re.fullmatch(r"-?\d\.\d{3}", metric_value(page, "Spearman"))
            page.screenshot(path=str(ARTIFACTS / "app_correlation_darts_b8.png"), full_page=True)

            box = page.locator(".js-plotly-plot .scatterlayer .point").first.bounding_box()
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.wait_for_timeout(300)
            page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.wait_for_function("() => document.querySelector('h1')?.innerText.includes('Activation patterns')",
                                   timeout=60_000)
            wait_idle(page)
            assert page.locator('[data-testid="stException"]').count() == 0
            page.screenshot(path=str(ARTIFACTS / "app_opened_from_scatter.png"), full_page=True)

            # A long run stays responsive: Stop keeps the partial results.
            archs = page.get_by_label("Architectures to sample")
            archs.fill("3000")
            archs.press("Enter")
            wait_idle(page)
            page.get_by_role("link", name="Score distribution").click()
            start_run(page)
            page.wait_for_selector('[data-testid="stProgress"]', timeout=60_000)
            page.wait_for_selector(".js-plotly-plot", timeout=60_000)  # partial results drawn while it runs
            assert "left" in page.locator('[data-testid="stProgress"]').inner_text()  # with an ETA
            page.screenshot(path=str(ARTIFACTS / "app_distribution_live.png"), full_page=True)
            clicked = time.monotonic()
            page.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Stop").click()
            page.get_by_text("Stopped after").wait_for(timeout=30_000)
            assert time.monotonic() - clicked < 10, "Stop should act at once, not after the current architecture"
            wait_idle(page)
            assert page.locator('[data-testid="stDataFrame"]').count() >= 1
            assert page.locator('[data-testid="stException"]').count() == 0
            page.screenshot(path=str(ARTIFACTS / "app_distribution_stopped.png"), full_page=True)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "app_failure.png"), full_page=True)
            raise
        finally:
            browser.close()


@pytest.mark.parametrize("link", ["distribution?space=nb201&batch_size=8", "batch_sweep?space=darts",
                                  "correlation?space=darts"])
def test_browser_a_fresh_link_to_a_page_that_scores_many_waits_for_the_click(app_url, link):
    """Issue 22: opened by a link, such a page shows its start button with the time it will take, and no run."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1800})
        try:
            page.goto(f"{app_url}/{link}")
            page.wait_for_selector("h1", timeout=120_000)
            wait_idle(page, 180)
            button = page.get_by_test_id("stMainBlockContainer").get_by_role("button", name=re.compile("^Score "))
            assert re.search(r"\(about \d+ (s|min|h)\)", button.inner_text())
            assert page.locator('[data-testid="stProgress"]').count() == 0
            assert page.get_by_role("button", name="Stop", exact=True).count() == 0
            assert not error_texts(page)
            page.screenshot(path=str(ARTIFACTS / f"app_fresh_{link.split('?')[0]}.png"), full_page=True)
        finally:
            browser.close()
