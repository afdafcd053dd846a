"""Take a PNG of an HTML view in headless Chromium, as a reader sees it at fit-to-screen.

    python scripts/screenshot.py graphs/views/channels-gpt-cn.html docs/channel-map-gpt-cn.png

The page is opened from its file at 1440x900 (``--width``/``--height``), nothing is
fetched from the network, and the picture is taken once vis-network has drawn the page.
Chromium is the system's (/usr/bin/chromium), driven by playwright.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-quic", "--disable-sync"]


def screenshot(page_file: Path, png: Path, width: int = 1440, height: int = 900) -> None:
    """Write ``png``: ``page_file`` drawn in a ``width`` x ``height`` window."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as profile, sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=ARGS,
            viewport={"width": width, "height": height}, device_scale_factor=1,
        )
        try:
            ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
                ("file:", "data:", "about:")) else r.abort())
            page = ctx.new_page()
            page.goto(page_file.resolve().as_uri())
            page.wait_for_function("() => !!(window.channelkg && window.channelkg.ready)")
            page.wait_for_timeout(300)
            png.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(png))
        finally:
            ctx.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("page", type=Path, help="the HTML view")
    ap.add_argument("png", type=Path, help="the PNG to write")
    ap.add_argument("--width", type=int, default=1440)
    ap.add_argument("--height", type=int, default=900)
    a = ap.parse_args()
    screenshot(a.page, a.png, a.width, a.height)
    print(f"wrote {a.png}")


if __name__ == "__main__":
    main()
