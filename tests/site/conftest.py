"""Fixtures for checks of the built site (``docs/_build/html``).

These run after a book build (``nox -s tests`` builds first). Run alone with
``pytest tests/site -m "site or browser"`` once ``nox -s book`` has built the site.
"""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
HTML = DOCS / "_build" / "html"
CHAPTER_SOURCES = sorted((DOCS / "chapters").glob("*.md"))
CHAPTERS = [p.stem for p in CHAPTER_SOURCES]


@pytest.fixture(scope="session")
def html_dir() -> Path:
    if not (HTML / "index.html").is_file():
        pytest.fail(f"{HTML} has no built site: run `nox -s book` first", pytrace=False)
    return HTML


@functools.lru_cache(maxsize=None)
def soup_of(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def all_pages(html: Path) -> list[Path]:
    return sorted(p for p in html.rglob("*.html") if "_static" not in p.parts)


def article(soup: BeautifulSoup):
    """The chapter's own content, without the theme's navigation."""
    return soup.select_one("article.bd-article") or soup


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture(scope="session")
def site_url(html_dir):
    """Serve the built site on 127.0.0.1 (a free port) for the browser checks."""
    handler = functools.partial(_QuietHandler, directory=str(html_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
