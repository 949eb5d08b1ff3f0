"""Fixtures for checks of the built site (``docs/_build/html``).

These run after a book build (``nox -s tests`` builds first). Run alone with
``pytest tests/site_checks -m "site or browser"`` once ``nox -s book`` has built the site.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
from chromium import launch, serve  # noqa: E402

# NNBOOK_DOCS points the checks at another copy of docs/ (a scratch build with a
# planted fault, say); by default they check this checkout's built site.
DOCS = Path(os.environ.get("NNBOOK_DOCS", ROOT / "docs")).resolve()
HTML = DOCS / "_build" / "html"
CHAPTER_SOURCES = sorted((DOCS / "chapters").glob("*.md"))
CHAPTERS = [p.stem for p in CHAPTER_SOURCES]


@pytest.fixture(scope="session")
def html_dir() -> Path:
    if not (HTML / "index.html").is_file():
        pytest.fail(f"{HTML} has no built site: run `nox -s book` first", pytrace=False)
    return HTML


@functools.cache
def soup_of(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def all_pages(html: Path) -> list[Path]:
    return sorted(p for p in html.rglob("*.html") if "_static" not in p.parts)


def article(soup: BeautifulSoup):
    """The chapter's own content, without the theme's navigation."""
    return soup.select_one("article.bd-article") or soup


@pytest.fixture(scope="session")
def site_url(html_dir):
    """Serve the built site on 127.0.0.1 (a free port) for the browser checks."""
    with serve(html_dir) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


def open_page(browser, url, width=1280, color_scheme="light"):
    """Load ``url`` in a fresh context; return the page, what went wrong, what it requested."""
    from urllib.parse import urlsplit

    context = browser.new_context(
        viewport={"width": width, "height": 900}, color_scheme=color_scheme
    )
    page = context.new_page()
    problems: list[str] = []
    requested: list[str] = []
    host = urlsplit(url).netloc

    def on_request(r):
        requested.append(r.url)
        if urlsplit(r.url).netloc not in {host, ""} and not r.url.startswith("data:"):
            problems.append(f"third-party request: {r.url}")

    page.on("console", lambda m: m.type == "error" and problems.append(f"console error: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed request: {r.url} ({r.failure})"))
    page.on("request", on_request)
    page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
    page.goto(url, wait_until="networkidle")
    return page, problems, requested


@pytest.fixture(scope="session")
def crawl(browser, site_url, html_dir):
    """Every page opened once: load problems, requests, math typesetting, images, axe-core."""
    from importlib import resources

    axe_js = resources.files("axe_playwright_python").joinpath("axe.min.js").read_text()
    results = {}
    for path in all_pages(html_dir):
        rel = path.relative_to(html_dir).as_posix()
        page, problems, requested = open_page(browser, f"{site_url}/{rel}")
        if page.locator(".math").count():
            try:
                page.wait_for_function(
                    "() => document.querySelectorAll('mjx-container').length > 0", timeout=20000
                )
            except Exception as err:  # noqa: BLE001 - reported with the page
                problems.append(f"math not typeset: {err}")
        broken = page.evaluate(
            "() => [...document.images].filter(i => !i.complete || i.naturalWidth === 0)"
            ".map(i => i.getAttribute('src'))"
        )
        problems += [f"image did not load: {src}" for src in broken]
        problems = list(problems)  # what a reader's load met; axe's own requests are not
        page.add_script_tag(content=axe_js)
        # preload: false stops axe fetching stylesheets itself (it resolves their
        # @import against the page, not the sheet, and asks for files that don't exist).
        axe = page.evaluate(
            "async () => { const r = await axe.run(document,"
            " {resultTypes: ['violations'], preload: false});"
            " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})); }"
        )
        results[rel] = {"problems": problems, "requested": requested, "axe": axe}
        page.context.close()
    return results
