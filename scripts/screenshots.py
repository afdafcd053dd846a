"""Screenshots of the query page (graph view) and an entity page, for docs/serve.md.

    python scripts/screenshots.py                 # serves the curated graph, writes docs/images/
    python scripts/screenshots.py --base http://127.0.0.1:8000 --out /some/folder

Without ``--base`` it starts ``channelkg serve`` on a free loopback port (and stops it);
pages are drawn by headless Chromium (``/usr/bin/chromium``, driven by playwright),
which loads nothing from any other host.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-quic", "--disable-sync"]
#: (file name, page address after the base, what to wait for, viewport height)
SHOTS = (
    ("explorer-graph.png", "/#named=route-dependencies&view=graph",
     "window.ckgExplorer && window.ckgExplorer.graph !== null", 1080),
    ("explorer-entity.png", "/entity/azure-china", "document.querySelector('#timeline svg')",
     1700),
)


def take(base: str, out: Path, settle: float = 2.5) -> list[Path]:
    """Draw every page of :data:`SHOTS` from the server at ``base`` into ``out``.

    ``settle``: seconds given to the graph layouts before each picture.
    """
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            # The readiness checks are evaluated in the page, which the endpoint's
            # Content-Security-Policy forbids: the pictures are taken without it.
            page = browser.new_page(viewport={"width": 1300, "height": 1000}, bypass_csp=True)
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base)
                       else r.abort())
            for name, path, ready, height in SHOTS:
                page.set_viewport_size({"width": 1300, "height": height})
                page.goto(base + path)
                page.wait_for_function(ready, timeout=60_000)
                if path.startswith("/entity/"):
                    page.frame_locator("#map").locator("#ckg-graph canvas").wait_for()
                page.wait_for_timeout(settle * 1000)  # let the layouts settle
                page.screenshot(path=str(out / name))
                written.append(out / name)
        finally:
            browser.close()
    return written


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", help="a running server (default: start one)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--settle", type=float, default=2.5,
                        help="seconds the graph layouts get before each picture")
    args = parser.parse_args()
    if args.base:
        print("\n".join(str(p) for p in take(args.base.rstrip("/"), args.out, args.settle)))
        return
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "channelkg", "serve", "--port", str(port)],
                            stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
                opener.open(base + "/queries.json", timeout=2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.3)
        print("\n".join(str(p) for p in take(base, args.out, args.settle)))
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
