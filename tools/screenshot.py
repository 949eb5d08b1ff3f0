"""Screenshot pages of the built site in headless Chromium, in light and dark mode.

Usage: python tools/screenshot.py [--dark] [--width 1280] [--full] OUTDIR PAGE [PAGE ...]
PAGE is a path under docs/_build/html (e.g. chapters/02-single-neuron.html). The site is
served from 127.0.0.1 for the duration, as a reader's browser would fetch it.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

HTML = (
    Path(os.environ.get("NNBOOK_DOCS", Path(__file__).resolve().parents[1] / "docs"))
    / "_build"
    / "html"
)
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("outdir")
    parser.add_argument("pages", nargs="+")
    parser.add_argument("--dark", action="store_true")
    parser.add_argument("--full", action="store_true", help="whole page, not just the first screen")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args()
    handler = functools.partial(_Quiet, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    out = Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        context = browser.new_context(
            viewport={"width": args.width, "height": args.height},
            color_scheme="dark" if args.dark else "light",
        )
        page = context.new_page()
        for rel in args.pages:
            page.goto(
                f"http://127.0.0.1:{server.server_address[1]}/{rel}", wait_until="networkidle"
            )
            page.wait_for_timeout(500)
            name = rel.replace("/", "_").replace(".html", "")
            mode = "dark" if args.dark else "light"
            target = out / f"{name}-{mode}-{args.width}.png"
            page.screenshot(path=str(target), full_page=args.full)
            print(target)
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
