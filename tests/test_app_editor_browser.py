"""The cell editor and the neighbours chart in a real browser (issue 22): an edit shows its change against the
previous cell, a click on a neighbour moves there; saves test-artifacts/editor.png and neighbours.png.

The server and browser come from test_app_browser.py (its `app_url` fixture, Debian's Chromium).
"""
from tests.test_app_browser import (ARTIFACTS, BROWSER_ARGS, CHROMIUM, ERRORS, app_url,  # noqa: F401 - the fixture
                                    pytestmark, wait_idle)


def _shot(page, heading: str, height: int, name: str) -> None:
    """A picture of one section: from its heading down `height` pixels (the viewport is tall enough for the
    page, whose main block scrolls inside it)."""
    box = page.get_by_role("heading", name=heading).bounding_box()
    page.screenshot(path=str(ARTIFACTS / name), clip={"x": 0, "y": max(box["y"] - 20, 0), "width": 1400,
                                                       "height": height})


def test_browser_edit_a_cell_and_move_to_a_neighbour(app_url):  # noqa: F811
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 4200})
            page.goto(f"{app_url}/patterns")
            page.get_by_role("tab", name="Edit the cell").click(timeout=120_000)  # the page's tabs: only one drawn
            page.get_by_role("heading", name="Edit the cell").wait_for(timeout=120_000)
            wait_idle(page, 90)
            start = page.locator("textarea").first.input_value()

            box = page.locator('[data-testid="stSelectbox"]', has_text="edge 2→3").first
            new = "avg_pool_3x3" if "nor_conv_3x3" in box.inner_text() else "nor_conv_3x3"
            box.click()
            page.get_by_role("option", name=new, exact=True).click()
            page.get_by_text("vs previous").first.wait_for(timeout=60_000)
            wait_idle(page, 90)
            page.wait_for_timeout(2000)  # let the charts finish drawing
            assert page.locator(ERRORS).count() == 0
            edited = page.locator("textarea").first.input_value()
            assert edited != start and f"{new}~2|" in edited
            assert page.get_by_text("Previous cell: score").count() == 1
            _shot(page, "Edit the cell", 1000, "editor.png")

            page.get_by_role("tab", name="Neighbours").click()
            chart = page.locator('[data-testid="stPlotlyChart"]', has_text="One edit away")
            chart.wait_for(timeout=60_000)
            assert page.get_by_text("Of 24 neighbours").count() == 1
            _shot(page, "Neighbours: one edit away", 900, "neighbours.png")

            point = chart.locator(".scatterlayer .point").first.bounding_box()
            page.mouse.move(point["x"] + point["width"] / 2, point["y"] + point["height"] / 2)
            page.wait_for_timeout(300)
            page.mouse.click(point["x"] + point["width"] / 2, point["y"] + point["height"] / 2)
            page.wait_for_function(f"() => document.querySelector('textarea')?.value !== {edited!r}",
                                   timeout=60_000)
            wait_idle(page, 90)
            assert page.locator(ERRORS).count() == 0
            moved = page.locator("textarea").first.input_value()
            assert sum(a != b for a, b in zip(moved.split("|"), edited.split("|"))) == 1  # one edit away
        finally:
            browser.close()
