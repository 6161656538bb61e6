"""Every benchmark's atlas in a real browser: the Across-families page by a fresh link (nothing scores), and the
Proxy lab's benchmark selector; screenshots into test-artifacts/."""
import re

from playwright.sync_api import sync_playwright

from tests.test_app_browser import (ARTIFACTS, BROWSER_ARGS, CHROMIUM, app_url, error_texts,  # noqa: F401
                                    pytestmark, wait_idle)


def test_browser_families_overview_and_the_lab_on_another_benchmark(app_url):  # noqa: F811
    from ui import lab

    others = [name for name in lab.benchmarks() if name != "nb201"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 2600})
        try:
            page.goto(f"{app_url}/families")
            page.get_by_text("Every proxy on every benchmark").first.wait_for(timeout=180_000)
            wait_idle(page, 180)
            page.wait_for_selector('[data-testid="stPlotlyChart"]', timeout=60_000)  # the overview heatmap
            assert page.locator('[data-testid="stProgress"]').count() == 0  # nothing scores on this page
            page.get_by_text("Leave one benchmark out").first.wait_for(timeout=60_000)
            assert not error_texts(page)
            page.screenshot(path=str(ARTIFACTS / "app_families.png"), full_page=True)
            page.goto(f"{app_url}/lab")
            page.get_by_text("All proxies, every ground truth").first.wait_for(timeout=180_000)
            wait_idle(page, 180)
            for name in others:
                from swap_engine import atlas

                page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').first.click()
                page.get_by_role("option").filter(has_text=atlas.spec(name).title).first.click()
                wait_idle(page, 180)
                assert not error_texts(page), (name, error_texts(page))
                cells = page.locator('[data-testid="stMetric"]').filter(
                    has=page.locator('[data-testid="stMetricLabel"]', has_text=re.compile(r"^cells$")))
                assert cells.locator('[data-testid="stMetricValue"]').inner_text().replace(",", "").isdigit()
                page.screenshot(path=str(ARTIFACTS / f"app_lab_{name}.png"), full_page=True)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "app_families_failure.png"), full_page=True)
            raise
        finally:
            browser.close()
