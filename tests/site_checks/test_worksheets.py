"""The printable worksheets of the built site: per part of the book, a PDF per exercise
level and an answer key, holding the chapters' exercises as the chapter pages show them.

The parts come from the numbered toctrees of ``docs/index.md`` and the exercises from
the built chapter pages, so a new part or exercise is checked without editing this file.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .conftest import DOCS, article, soup_of

pypdf = pytest.importorskip("pypdf")

pytestmark = pytest.mark.site

LEVELS = {"recall": "Recall", "apply": "Apply", "exam": "Exam-style"}
KINDS = (*LEVELS, "answers")


def book_parts() -> list[list[str]]:
    """Chapter docnames of every numbered toctree in docs/index.md, in order."""
    text = (DOCS / "index.md").read_text(encoding="utf-8")
    parts = []
    for block in re.findall(r"```\{toctree\}\n(.*?)```", text, flags=re.S):
        if not re.search(r"^:numbered:", block, flags=re.M):
            continue
        entries = [
            line.strip()
            for line in block.splitlines()
            if line.strip() and not line.lstrip().startswith(":")
        ]
        parts.append(entries)
    return parts


PARTS = book_parts()


def squash(text: str) -> str:
    """Text without whitespace: PDF extraction breaks lines where the HTML does not."""
    return re.sub(r"\s+|↪", "", text)  # ↪ marks a code line wrapped to fit the page


@cache
def pdf_text(path: Path) -> str:
    reader = pypdf.PdfReader(path)
    return squash(" ".join(page.extract_text() for page in reader.pages))


def exercises(html: Path, docname: str) -> list[dict]:
    """Every exercise of a chapter page: level, number, title, solution prose and code."""
    soup = article(soup_of(html / f"{docname}.html"))
    solutions = {}
    for sol in soup.select("div.solution"):
        link = sol.select_one(".admonition-title a[href^='#']")
        if link is not None:
            solutions[link["href"][1:]] = sol
    found = []
    for ex in soup.select("div.exercise"):
        label = ex.get("id", "")
        m = re.search(r"-(recall|apply|exam)-\d+$", label)
        assert m, f"{docname}: exercise {label!r} has no level in its label"
        title = ex.select_one(".admonition-title").get_text(" ", strip=True)
        number, _, own = title.partition("(")
        sol = solutions.get(label)
        assert sol is not None, f"{docname}: exercise {label} has no solution"
        found.append(
            {
                "label": label,
                "level": m.group(1),
                "number": number.split()[-1],
                "title": own.rstrip(")").strip(),
                "prose": prose_snippet(sol),
                "code": [pre.get_text() for pre in sol.select(".cell_input pre")],
            }
        )
    return found


def prose_snippet(solution) -> str:
    """The longest run of plain text in a solution (no math, code or links), to search for."""
    body = solution.select_one("section") or solution
    runs = []
    for para in body.select("p"):
        for piece in para.find_all(string=True, recursive=False):
            runs.append(str(piece))
    best = max(runs, key=lambda r: len(r.strip()), default="")
    return best.strip()


@pytest.fixture(scope="module")
def sheets(html_dir):
    folder = html_dir / "worksheets"
    assert folder.is_dir(), f"no worksheets in {folder}"
    return folder


def test_the_book_has_parts():
    assert len(PARTS) >= 2 and all(PARTS), PARTS


@pytest.mark.parametrize("index", range(1, len(PARTS) + 1))
def test_every_part_has_four_valid_pdfs(sheets, index):
    for kind in KINDS:
        path = sheets / f"part-{index}-{kind}.pdf"
        assert path.is_file(), f"missing {path.name}"
        assert path.read_bytes().startswith(b"%PDF-"), f"{path.name} is not a PDF"
        reader = pypdf.PdfReader(path)
        assert len(reader.pages) >= 1, f"{path.name} has no pages"
        assert squash(f"Page 1 of {len(reader.pages)}") in pdf_text(path)


@pytest.mark.parametrize("index", range(1, len(PARTS) + 1))
def test_worksheets_hold_their_level_and_no_solutions(html_dir, sheets, index):
    chapters = PARTS[index - 1]
    all_exercises = [ex for doc in chapters for ex in exercises(html_dir, doc)]
    assert all_exercises, f"part {index} has no exercises"
    for level, name in LEVELS.items():
        text = pdf_text(sheets / f"part-{index}-{level}.pdf")
        assert squash(f"{name} worksheet") in text
        for ex in all_exercises:
            heading = squash(f"Exercise {ex['number']} {ex['title']}")
            if ex["level"] == level:
                assert heading in text, f"{ex['label']} is missing from part-{index}-{level}.pdf"
            else:
                assert heading not in text, f"{ex['label']} is on the {name} worksheet"
            if len(ex["prose"]) >= 20:
                assert squash(ex["prose"]) not in text, (
                    f"part-{index}-{level}.pdf shows the solution of {ex['label']}"
                )


@pytest.mark.parametrize("index", range(1, len(PARTS) + 1))
def test_answer_key_holds_every_solution(html_dir, sheets, index):
    text = pdf_text(sheets / f"part-{index}-answers.pdf")
    assert squash("Answer key") in text
    for doc in PARTS[index - 1]:
        for ex in exercises(html_dir, doc):
            assert squash(f"Exercise {ex['number']} {ex['title']}") in text, ex["label"]
            if len(ex["prose"]) >= 20:
                assert squash(ex["prose"]) in text, f"solution of {ex['label']} missing"
            for code in ex["code"]:  # the Apply solutions' code, line by line
                for line in code.splitlines():
                    assert squash(line) in text, f"{ex['label']}: code line {line!r} missing"


def test_instructors_page_links_every_pdf(html_dir):
    page = html_dir / "appendix" / "instructors.html"
    assert page.is_file(), "no instructors' page"
    links = set()
    for a in article(soup_of(page)).select("a[href]"):
        href = a["href"]
        if urlsplit(href).scheme:
            continue
        links.add((page.parent / urlsplit(href).path).resolve())
    for index in range(1, len(PARTS) + 1):
        for kind in KINDS:
            target = (html_dir / "worksheets" / f"part-{index}-{kind}.pdf").resolve()
            assert target in links, f"the instructors' page does not link {target.name}"
