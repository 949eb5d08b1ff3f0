"""Pages in a real headless Chromium, served from 127.0.0.1: they load without console
errors or failed requests, ask no other host for anything, typeset their math, show
their images, and the knowledge checks answer when clicked."""

from __future__ import annotations

import pytest

from .conftest import CHAPTERS, open_page

pytestmark = pytest.mark.browser


def test_every_page_loads_cleanly(crawl):
    failures = [f"{rel}: {p}" for rel, r in crawl.items() for p in r["problems"]]
    assert not failures, "\n".join(failures[:40])


@pytest.mark.parametrize("name", CHAPTERS)
def test_knowledge_check_answers_when_clicked(browser, site_url, name):
    page, problems, _ = open_page(browser, f"{site_url}/chapters/{name}.html")
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
    page, _, _ = open_page(browser, f"{site_url}/chapters/{CHAPTERS[0]}.html")
    solution = page.locator(".solution.dropdown, details.solution, .solution").first
    assert solution.count() == 1
    body = solution.locator(".solution-content, .admonition-body, section").first
    if body.count():
        assert not body.is_visible(), "a solution is visible before it is opened"
    page.context.close()


# The elements that stick out past the right edge of the screen, outermost first,
# leaving out those inside a container that scrolls on its own (code, wide tables).
WIDEST = """() => {
  const w = window.innerWidth, out = [];
  const scrolls = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll' || o === 'hidden') return true;
    }
    return false;
  };
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > w + 2 && !scrolls(el)) {
      const id = el.id ? '#' + el.id : '';
      const cls = el.className && typeof el.className === 'string'
        ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
      out.push(`${el.tagName.toLowerCase()}${id}${cls} (right edge ${Math.round(r.right)}px)`);
    }
  }
  return out.slice(0, 5);
}"""


def test_phone_width_has_no_horizontal_scroll(browser, site_url):
    problems = []
    for name in CHAPTERS:
        page, _, _ = open_page(browser, f"{site_url}/chapters/{name}.html", width=390)
        page.wait_for_function(  # measure the page a reader sees: math typeset
            "() => !window.MathJax || !MathJax.startup || MathJax.startup.promise", timeout=20000
        )
        page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise : null")
        page.wait_for_timeout(300)  # let the layout settle after typesetting
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 2:
            problems.append(
                f"{name}: page is {overflow}px wider than a 390px screen; "
                f"sticking out: {page.evaluate(WIDEST)}"
            )
        page.context.close()
    assert not problems, "\n".join(problems)
