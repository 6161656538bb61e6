"""Cold start of the app in a real browser: how long until the title, the sidebar and the first chart.

    .venv/bin/python benchmarks/bench_app_start.py [--app-dir DIR] [--rounds 3] [--page /] [--label now]

Each round starts a fresh `streamlit run app.py` (so every cache is empty), opens the page in Debian's
Chromium through Playwright and records, from the moment the server process was launched:
  server  - the port accepts connections,
  title   - the page's first heading is visible,
  sidebar - the sidebar's "Search space" box is visible,
  chart   - the first Plotly chart has drawn,
  idle    - the script run is over.
The browser's own time (from `page.goto`) is printed too. The median over rounds is printed per column;
`--app-dir` measures another checkout (e.g. a `git worktree add /tmp/before HEAD` of the code before a
change) with this interpreter, so 'before' and 'after' are measured the same way.
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update"]
MARKS = ("server", "title", "sidebar", "chart", "idle")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_round(app_dir: Path, path: str, timeout: float, log: Path) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    port = free_port()
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    env.setdefault("SWAP_DATA", str(ROOT.parent / "shared" / "data"))
    times: dict[str, float] = {}
    with open(log, "w") as out:
        start = time.perf_counter()
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(port), "--browser.gatherUsageStats", "false"],
            cwd=app_dir, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    if server.poll() is not None:
                        raise RuntimeError(f"streamlit exited; see {log}") from None
                    if time.perf_counter() - start > timeout:
                        raise TimeoutError("the server did not open its port") from None
                    time.sleep(0.05)
            times["server"] = time.perf_counter() - start
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
                try:
                    page = browser.new_page(viewport={"width": 1400, "height": 1200})
                    opened = time.perf_counter()
                    page.goto(f"http://127.0.0.1:{port}{path}")
                    waits = {
                        "title": "h1",
                        "sidebar": '[data-testid="stSidebar"] [data-testid="stSelectbox"]',
                        "chart": ".js-plotly-plot",
                    }
                    pending = dict(waits)
                    deadline = time.perf_counter() + timeout
                    while pending and time.perf_counter() < deadline:  # poll all at once: order is not fixed
                        for mark, selector in list(pending.items()):
                            if page.locator(selector).first.is_visible():
                                times[mark] = time.perf_counter() - start
                                pending.pop(mark)
                        page.wait_for_timeout(50)
                    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]',
                                           timeout=max(deadline - time.perf_counter(), 1) * 1000)
                    times["idle"] = time.perf_counter() - start
                    times["goto"] = opened - start
                finally:
                    browser.close()
        finally:
            server.terminate()
            server.wait(timeout=20)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--app-dir", type=Path, default=ROOT, help="checkout whose app.py to start")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--page", default="/", help="URL path (and query) to open, e.g. /distribution")
    parser.add_argument("--timeout", type=float, default=180)
    parser.add_argument("--label", default=None, help="name printed in front of the result line")
    args = parser.parse_args()
    log = ROOT / "test-artifacts" / "bench_app_start.log"
    log.parent.mkdir(exist_ok=True)
    label = args.label or str(args.app_dir)
    print(f"{label}: {args.rounds} cold start(s) of {args.app_dir / 'app.py'} at {args.page}; seconds since "
          "the server was launched (in brackets: since the browser opened the page)")
    print(f"{'round':>6}" + "".join(f"{m:>16}" for m in MARKS))
    rounds = []
    for i in range(args.rounds):
        t = one_round(args.app_dir.resolve(), args.page, args.timeout, log)
        rounds.append(t)
        print(f"{i + 1:>6}" + "".join(_cell(t, m) for m in MARKS), flush=True)
    median = {m: statistics.median(r[m] for r in rounds if m in r) for m in MARKS if any(m in r for r in rounds)}
    median["goto"] = statistics.median(r["goto"] for r in rounds)
    print(f"{'median':>6}" + "".join(_cell(median, m) for m in MARKS))


def _cell(t: dict[str, float], mark: str) -> str:
    if mark not in t:
        return f"{'-':>16}"
    if mark == "server":
        return f"{t[mark]:>16.1f}"
    return f"{t[mark]:>8.1f} ({t[mark] - t['goto']:>4.1f})"


if __name__ == "__main__":
    main()
