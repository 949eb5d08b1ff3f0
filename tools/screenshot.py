"""Screenshot pages of the built site in headless Chromium, in light and dark mode.

Usage: python tools/screenshot.py [--dark] [--width 1280] [--full] OUTDIR PAGE [PAGE ...]
PAGE is a path under docs/_build/html (e.g. chapters/02-single-neuron.html). The site is
served from 127.0.0.1 for the duration, as a reader's browser would fetch it.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from chromium import launch, serve
from playwright.sync_api import sync_playwright

HTML = (
    Path(os.environ.get("NNBOOK_DOCS", Path(__file__).resolve().parents[1] / "docs"))
    / "_build"
    / "html"
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("outdir")
    parser.add_argument("pages", nargs="+")
    parser.add_argument("--dark", action="store_true")
    parser.add_argument("--full", action="store_true", help="whole page, not just the first screen")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args()
    out = Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)
    with serve(HTML) as base, sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(
            viewport={"width": args.width, "height": args.height},
            color_scheme="dark" if args.dark else "light",
        )
        page = context.new_page()
        for rel in args.pages:
            page.goto(f"{base}/{rel}", wait_until="networkidle")
            page.wait_for_timeout(500)
            name = rel.replace("/", "_").replace(".html", "")
            mode = "dark" if args.dark else "light"
            target = out / f"{name}-{mode}-{args.width}.png"
            page.screenshot(path=str(target), full_page=args.full)
            print(target)
        browser.close()


if __name__ == "__main__":
    main()
