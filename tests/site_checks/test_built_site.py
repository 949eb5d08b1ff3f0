"""The built site as a reader meets it: every chapter executed and complete, every
figure captioned with real alt text, every link and download in place, and nothing
loaded from a third-party host."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

from .conftest import CHAPTER_SOURCES, CHAPTERS, all_pages, article, soup_of

pytestmark = pytest.mark.site

GENERIC_ALT = {"", "png", "image", "figure", "output", "plot", "chart", "graph", "img"}


def chapter_page(html: Path, name: str) -> Path:
    page = html / "chapters" / f"{name}.html"
    assert page.is_file(), f"chapter {name} has no page at {page}"
    return page


def test_there_are_chapters():
    assert CHAPTERS, "docs/chapters holds no chapter"


def test_no_execution_error_reports(html_dir):
    reports = html_dir / "reports"
    assert not reports.exists(), (
        f"execution error reports were published: {list(reports.rglob('*'))}"
    )


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_executed_without_errors(html_dir, name):
    body = article(soup_of(chapter_page(html_dir, name)))
    errors = body.select(".output.traceback, .output.error, .cell_output .traceback")
    assert not errors, f"{name}: a cell shows an error: {errors[0].get_text()[:300]}"
    assert "Traceback (most recent call last)" not in body.get_text(), (
        f"{name}: a traceback is shown"
    )


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_has_every_device_of_the_syllabus(html_dir, name):
    body = article(soup_of(chapter_page(html_dir, name)))
    text = body.get_text(" ")
    assert body.select(".admonition.nnbook-predict"), f"{name}: no prediction question"
    assert len(body.select(".admonition.nnbook-ndq")) >= 2, (
        f"{name}: fewer than 2 'No dumb questions'"
    )
    headings = {h.get_text(" ").strip().rstrip("#¶ ").split(" ", 1)[-1] for h in body.select("h2")}
    for required in ("Key takeaways", "Knowledge check", "Exercises", "References"):
        assert any(required in h for h in headings), (
            f"{name}: no '{required}' section in {headings}"
        )
    takeaways = next(h for h in body.select("h2") if "Key takeaways" in h.get_text())
    bullets = takeaways.find_parent("section").select("li")
    assert 3 <= len(bullets) <= 8, f"{name}: key takeaways have {len(bullets)} bullets"
    assert len(body.select(".nnbook-quiz .nnbook-q")) >= 3, f"{name}: fewer than 3 quiz questions"
    for level in ("Recall", "Apply", "Exam-style"):
        assert (
            re.search(rf"Exercise \d+(\.\d+)* \({level}", text)
            or re.search(rf"Exercise[^()]*\(\s*{level}", text)
            or f"{level}:" in text
        ), f"{name}: no {level} exercise"
    assert body.select(".solution, .dropdown"), f"{name}: no hidden solutions"


@pytest.mark.parametrize("name", CHAPTERS)
def test_figures_are_numbered_with_caption_and_alt_text(html_dir, name):
    body = article(soup_of(chapter_page(html_dir, name)))
    figures = body.select("figure")
    assert figures, f"{name}: no numbered figure"
    for fig in figures:
        caption = fig.select_one("figcaption")
        assert caption and caption.get_text(strip=True), f"{name}: a figure has no caption"
        assert re.match(r"Figure \d+\.\d+", caption.get_text(" ", strip=True)), (
            f"{name}: figure caption not numbered 'Figure N.M': {caption.get_text()[:80]}"
        )
    for img in body.select("img"):
        alt = (img.get("alt") or "").strip()
        assert alt.lower() not in GENERIC_ALT and len(alt) >= 12, (
            f"{name}: image {img.get('src')} has no specific alt text (alt={alt!r})"
        )


def test_chapter_numbers_run_across_parts(html_dir):
    for i, name in enumerate(CHAPTERS, 1):
        number = int(name.split("-", 1)[0])
        assert number == i, f"chapter files must be numbered 01, 02, ...: {name}"
        h1 = article(soup_of(chapter_page(html_dir, name))).select_one("h1")
        assert h1.get_text(" ", strip=True).startswith(f"{number}."), (
            f"{name}: title should be numbered {number}., got {h1.get_text()[:60]!r}"
        )
        for cap in article(soup_of(chapter_page(html_dir, name))).select(
            "figcaption .caption-number"
        ):
            assert cap.get_text().startswith(f"Figure {number}."), f"{name}: {cap.get_text()}"


def test_references_to_a_chapter_call_it_a_chapter(html_dir):
    """{numref}`ch-x` alone renders "Section 9": cite a chapter as {numref}`Chapter %s <ch-x>`."""
    for name in CHAPTERS:
        for ref in article(soup_of(chapter_page(html_dir, name))).select("span.std-numref"):
            text = ref.get_text(" ", strip=True)
            assert not re.fullmatch(r"Section \d+", text), f"{name}: {text!r} names a chapter"


@pytest.mark.parametrize("name", CHAPTERS)
def test_status_line_and_downloads(html_dir, name):
    body = article(soup_of(chapter_page(html_dir, name)))
    meta = body.select_one(".nnbook-chapter-meta")
    assert meta is not None, f"{name}: no status line under the title"
    text = " ".join(meta.get_text(" ").split())
    ran = r"(ran in this build|reused from the cache \(computed [\d-]+ [\d:]+ UTC\))"
    facts = rf"Executed at build time in [\d.]+ s \(\d+% of it compiling; {ran}\) on (CPU|GPU|TPU)"
    assert re.search(facts, text), text
    assert re.search(r"JAX \d+\.\d+", text), f"{name}: status line lacks the JAX version: {text}"
    links = {a.get_text(): a["href"] for a in meta.select("a")}
    page = chapter_page(html_dir, name)
    executed = (page.parent / links["notebook with outputs (.ipynb)"]).resolve()
    clean = (page.parent / links["clean notebook (.ipynb)"]).resolve()
    source = (page.parent / links["MyST source (.md)"]).resolve()
    for path in (executed, clean, source):
        assert path.is_file(), f"{name}: download missing: {path}"
    nb = nbformat.read(executed, as_version=4)
    nbformat.validate(nb)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert any("image/png" in o.get("data", {}) for o in outputs), (
        f"{name}: executed notebook has no figures"
    )
    assert [c.id for c in nb.cells] == [f"cell-{i:03d}" for i in range(len(nb.cells))]
    assert "nnbook-install" in nb.cells[0].metadata.get("tags", [])
    clean_nb = nbformat.read(clean, as_version=4)
    assert all(not c.get("outputs") for c in clean_nb.cells if c.cell_type == "code")
    assert [c.source for c in clean_nb.cells] == [c.source for c in nb.cells]
    src = next(p for p in CHAPTER_SOURCES if p.stem == name)
    assert source.read_text(encoding="utf-8") == src.read_text(encoding="utf-8")
    colab = links["Open in Colab"]
    assert re.fullmatch(
        r"https://colab\.research\.google\.com/github/[\w.-]+/[\w.-]+/blob/[\w.-]+/"
        rf"notebooks/chapters/{re.escape(name)}\.ipynb",
        colab,
    ), colab


def test_all_notebooks_archive(html_dir):
    import zipfile

    archive = html_dir / "notebooks" / "nnbook-notebooks.zip"
    with zipfile.ZipFile(archive) as z:
        names = set(z.namelist())
    for name in CHAPTERS:
        assert f"nnbook-notebooks/chapters/{name}.ipynb" in names


def test_status_page_lists_every_chapter(html_dir):
    table = soup_of(html_dir / "appendix" / "status.html").select_one("table.nnbook-status-table")
    assert table is not None
    rows = table.select("tbody tr")
    linked = {Path(r.select_one("a")["href"]).stem for r in rows}
    assert linked == set(CHAPTERS)
    for row in rows:
        cells = [td.get_text(strip=True) for td in row.select("td")]
        assert re.fullmatch(r"[\d.]+", cells[2]), f"no execution time in {cells}"
        assert re.fullmatch(r"\d+%", cells[3]), f"no compile share in {cells}"
        assert cells[4].split(" ")[0] in {"CPU", "GPU", "TPU"}, cells
        assert re.fullmatch(r"\d+\.\d+\.\d+.*", cells[5]), cells
        assert cells[7] == "ran in this build" or cells[7].startswith("reused from the cache"), (
            cells
        )


def _local_targets(html_dir: Path):
    for page in all_pages(html_dir):
        soup = soup_of(page)
        for tag, attr in (
            ("a", "href"),
            ("img", "src"),
            ("link", "href"),
            ("script", "src"),
            ("source", "src"),
            ("iframe", "src"),
        ):
            for el in soup.find_all(tag):
                url = el.get(attr)
                if tag == "link" and set(el.get("rel", [])) & {"canonical", "alternate"}:
                    continue  # names the page's published address; loads nothing
                if url:
                    yield page, tag, url


def test_no_third_party_hosts(html_dir):
    offenders = [
        f"{page.relative_to(html_dir)}: <{tag}> {url}"
        for page, tag, url in _local_targets(html_dir)
        if tag != "a" and (urlsplit(url).scheme in {"http", "https"} or url.startswith("//"))
    ]
    assert not offenders, "pages load from third-party hosts:\n" + "\n".join(offenders[:20])


def test_internal_links_and_anchors_resolve(html_dir):
    broken = []
    for page, tag, url in _local_targets(html_dir):
        parts = urlsplit(url)
        if parts.scheme or url.startswith(("//", "mailto:", "javascript:", "data:")):
            continue
        target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            broken.append(f"{page.relative_to(html_dir)}: <{tag}> {url} -> missing file")
            continue
        if parts.fragment and target.suffix == ".html":
            ids = {el.get("id") for el in soup_of(target).find_all(id=True)}
            ids |= {el.get("name") for el in soup_of(target).find_all(attrs={"name": True})}
            if unquote(parts.fragment) not in ids:
                broken.append(f"{page.relative_to(html_dir)}: {url} -> no anchor #{parts.fragment}")
    assert not broken, f"{len(broken)} broken links:\n" + "\n".join(broken[:30])


def test_glossary_links_back_to_chapters(html_dir):
    soup = soup_of(html_dir / "appendix" / "glossary.html")
    terms = soup.select("dl.glossary dt")
    assert terms, "the glossary is empty"
    for dd in soup.select("dl.glossary dd"):
        assert dd.select("a.reference.internal"), (
            f"glossary entry without a link: {dd.get_text()[:80]}"
        )


def test_quiz_data_is_embedded_not_fetched(html_dir):
    for name in CHAPTERS:
        body = article(soup_of(chapter_page(html_dir, name)))
        for q in body.select(".nnbook-q"):
            if q["data-type"] == "choice":
                answers = q.select(".nnbook-q-answer")
                assert sum(a["data-correct"] == "true" for a in answers) == 1
                assert all(a["data-feedback"].strip() for a in answers)


def test_downloads_index_matches_chapters(html_dir):
    index = json.loads((html_dir / "notebooks" / "index.json").read_text())
    assert {Path(p).name.split(".")[0] for p in index} == set(CHAPTERS)


def test_api_reference_documents_every_public_module(html_dir):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "docs" / "_ext"))
    from nnbook_api import public_modules

    soup = soup_of(html_dir / "appendix" / "api.html")
    documented = {tag["id"] for tag in soup.select("[id^='module-']")}  # autodoc's anchors
    modules = {f"module-{m}" for m in public_modules() if m != "nnbook"}
    assert modules <= documented, f"modules missing from the API page: {modules - documented}"
    functions = soup.select("dl.py.function > dt[id]")
    assert len(functions) > 50, f"only {len(functions)} functions documented"


def test_api_signatures_read_as_the_code_writes_them(html_dir):
    """jaxtyping's documentation mode (docs/conf.py) and no constructor for a Protocol."""
    soup = soup_of(html_dir / "appendix" / "api.html")
    signatures = " ".join(dt.get_text("") for dt in soup.select("dl.py > dt.sig"))
    assert "jaxlib" not in signatures and "UInt32[" not in signatures
    init_mlp = soup.find("dt", id="nnbook.layers.init_mlp").get_text("")
    assert "key: PRNGKeyArray" in init_mlp, init_mlp
    mlp = soup.find("dt", id="nnbook.layers.mlp").get_text("")
    assert "Float[ArrayLike, '*batch n_in']" in mlp and "Float[Array, '*batch n_out']" in mlp
    protocol = soup.find("dt", id="nnbook.optimizers.Optimizer")
    assert "*args" not in protocol.get_text(""), protocol.get_text("")
    members = {dt["id"] for dt in protocol.parent.select("dt[id]")}
    assert {"nnbook.optimizers.Optimizer.init", "nnbook.optimizers.Optimizer.update"} <= members
