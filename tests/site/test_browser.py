"""Pages in a real headless Chromium, served from 127.0.0.1: they load without console
errors or failed requests, ask no other host for anything, typeset their math, show
their images, and the knowledge checks answer when clicked."""

from __future__ import annotations

import shutil
from urllib.parse import urlsplit

import pytest

from .conftest import CHAPTERS, all_pages

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def open_page(browser, url, width=1280):
    """Load ``url``; return the page and what went wrong while it loaded."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    host = urlsplit(url).netloc
    page.on("console", lambda m: m.type == "error" and problems.append(f"console error: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed request: {r.url} ({r.failure})"))
    page.on("request", lambda r: urlsplit(r.url).netloc not in {host, ""}
            and not r.url.startswith("data:") and problems.append(f"third-party request: {r.url}"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
    page.goto(url, wait_until="networkidle")
    return page, problems


def wait_for_math(page):
    if page.locator(".math").count():
        page.wait_for_function("() => document.querySelectorAll('mjx-container').length > 0",
                               timeout=15000)


def test_every_page_loads_cleanly(browser, site_url, html_dir):
    failures = []
    for path in all_pages(html_dir):
        rel = path.relative_to(html_dir).as_posix()
        page, problems = open_page(browser, f"{site_url}/{rel}")
        try:
            wait_for_math(page)
        except Exception as err:  # noqa: BLE001 - reported below with the page
            problems.append(f"math not typeset: {err}")
        broken = page.evaluate(
            "() => [...document.images].filter(i => !i.complete || i.naturalWidth === 0)"
            ".map(i => i.getAttribute('src'))"
        )
        problems += [f"image did not load: {src}" for src in broken]
        failures += [f"{rel}: {p}" for p in problems]
        page.context.close()
    assert not failures, "\n".join(failures[:40])


@pytest.mark.parametrize("name", CHAPTERS)
def test_knowledge_check_answers_when_clicked(browser, site_url, name):
    page, problems = open_page(browser, f"{site_url}/chapters/{name}.html")
    questions = page.locator(".nnbook-q")
    assert questions.count() >= 3
    for i in range(questions.count()):
        q = questions.nth(i)
        feedback = q.locator(".nnbook-q-feedback")
        if q.get_attribute("data-type") == "choice":
            wrong = q.locator(".nnbook-q-answer[data-correct='false']").first
            wrong.click()
            assert feedback.inner_text().startswith("Not quite."), feedback.inner_text()
            assert wrong.get_attribute("aria-pressed") == "true"
            q.locator(".nnbook-q-answer[data-correct='true']").click()
            assert feedback.inner_text().startswith("Correct."), feedback.inner_text()
        else:
            answer = q.locator(".nnbook-q-check").get_attribute("data-answer")
            q.locator(".nnbook-q-input").fill("123456789")
            q.locator(".nnbook-q-check").click()
            assert feedback.inner_text().startswith("Not quite.")
            q.locator(".nnbook-q-input").fill(answer)
            q.locator(".nnbook-q-input").press("Enter")
            assert feedback.inner_text().startswith("Correct."), feedback.inner_text()
        assert not q.locator(".nnbook-q-key").is_visible(), "answer key shown while JS works"
    assert not problems, problems
    page.context.close()


def test_solutions_are_hidden_until_opened(browser, site_url):
    page, _ = open_page(browser, f"{site_url}/chapters/{CHAPTERS[0]}.html")
    solution = page.locator(".solution.dropdown, details.solution, .solution").first
    assert solution.count() == 1
    body = solution.locator(".solution-content, .admonition-body, section").first
    if body.count():
        assert not body.is_visible(), "a solution is visible before it is opened"
    page.context.close()


def test_phone_width_has_no_horizontal_scroll(browser, site_url):
    for name in CHAPTERS:
        page, _ = open_page(browser, f"{site_url}/chapters/{name}.html", width=390)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 2, f"{name}: page is {overflow}px wider than a 390px screen"
        page.context.close()
