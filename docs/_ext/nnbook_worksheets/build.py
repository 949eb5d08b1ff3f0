"""Writing every part's PDFs at the end of a build, and only those whose content changed.

This module owns the run over the book's parts (``numbering.book_parts``): for each part
with exercises it collects the chapters (``collect``), and typesets the four PDFs
(``sheets``) into a staging folder. Two stamps per part, written last, keep a rebuild
cheap: a quick one over the part's stored doctrees, the book's numbering and this
package's source (when it matches, nothing is read), and one over what the PDFs show
(when it matches, nothing is typeset). reportlab is imported only when a part is typeset.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from docutils import nodes

from . import numbering
from .collect import collect_chapter
from .mathtext import prerender
from .model import BODY_SIZE, LEVELS, Part, SheetInfo, pdf_name

PACKAGE = Path(__file__).parent


def sheet_info(app) -> SheetInfo:
    """What every sheet prints about the book: its title, version and address."""
    return SheetInfo(
        book_title=app.config.project,
        version=str(app.config.release),
        baseurl=app.config.nnbook_baseurl.rstrip("/") + "/",
    )


def _doctree_digest(env, docname: str) -> bytes:
    """Digest of a page's stored doctree: its text, outputs and references as read."""
    return hashlib.sha256((Path(env.doctreedir) / f"{docname}.doctree").read_bytes()).digest()


def source_digest() -> str:
    """Digest of this package's code: a change to how sheets are made typesets them again."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _quick_matches(outdir: Path, index: int, have_pdfs: bool, quick: str) -> bool:
    """Whether a part's PDFs are all there and its quick stamp says nothing changed."""
    stamp = outdir / f"part-{index}.quick"
    return have_pdfs and stamp.is_file() and stamp.read_text() == quick


def exercise_math(doctree, fontsize: float) -> list[tuple[str, float, bool]]:
    """The ``(latex, fontsize, display)`` of the math in a page's exercises and solutions."""
    from sphinx_exercise.nodes import exercise_enumerable_node, exercise_node, solution_node

    kinds = (exercise_node, exercise_enumerable_node, solution_node)
    found = []
    for holder in doctree.findall(lambda n: isinstance(n, kinds)):
        for node in holder.findall(lambda n: isinstance(n, (nodes.math, nodes.math_block))):
            found.append((node.astext(), fontsize, isinstance(node, nodes.math_block)))
    return found


def write_worksheets(app, outdir: Path, cache_dir: Path) -> list[Path]:
    """Write (or keep) the four PDFs of every part with exercises into ``outdir``."""
    from .sheets import build_answer_key, build_worksheet, write_pdf

    styles, width = None, 0.0  # reportlab, fonts and styles: only when a part is typeset
    numbering.forget_sections()
    info = sheet_info(app)
    written = []
    source = source_digest()
    numbers = numbering.numbering_digest(app.env)
    plan = []
    for index, caption, docs in numbering.book_parts(app.env):
        if not numbering.part_has_exercises(app.env, docs):
            continue
        names = [pdf_name(index, level) for level, _ in LEVELS]
        names.append(pdf_name(index, "answers"))
        have_pdfs = all((outdir / n).is_file() for n in names)
        # Two stamps, both written last. The first is cheap: the part's stored doctrees
        # and the book's numbering. When it matches, nothing is read at all (a no-op
        # rebuild). When it does not, the part is collected and the second stamp, over
        # what the PDFs show (exercises, solutions and outputs, the version, this
        # package), decides: a prose-only edit elsewhere in the part typesets nothing.
        quick = hashlib.sha256(
            f"{source}{info!r}{caption}{numbers}".encode()
            + b"".join(_doctree_digest(app.env, d) for d in docs)
        ).hexdigest()
        plan.append((index, caption, docs, names, have_pdfs, quick))
    # The math of every part to be collected, drawn first on all cores (a cold build has
    # several hundred expressions, about 18 s on one core); collecting finds it drawn.
    math = []
    for index, _, docs, _, have_pdfs, quick in plan:
        if not _quick_matches(outdir, index, have_pdfs, quick):
            for doc in docs:
                math += exercise_math(app.env.get_doctree(doc), BODY_SIZE)
    prerender(math, cache_dir)
    for index, caption, docs, names, have_pdfs, quick in plan:
        quick_stamp = outdir / f"part-{index}.quick"
        if _quick_matches(outdir, index, have_pdfs, quick):
            written += [outdir / n for n in names]
            continue
        quick_stamp.unlink(missing_ok=True)
        part = Part(index, caption)
        for doc in docs:
            part.chapters.append(collect_chapter(app, doc, cache_dir, BODY_SIZE))
        key = hashlib.sha256(f"{source}{info!r}{part!r}".encode()).hexdigest()
        stamp = outdir / f"part-{part.index}.key"
        if stamp.is_file() and stamp.read_text() == key and have_pdfs:
            written += [outdir / n for n in names]
            quick_stamp.write_text(quick)
            continue
        stamp.unlink(missing_ok=True)
        if styles is None:
            from reportlab.lib.pagesizes import A4

            from .styles import FRAME_PADDING, MARGIN, make_styles, register_fonts

            register_fonts()
            styles = make_styles()
            width = A4[0] - 2 * (MARGIN + FRAME_PADDING)
        meta = dict(author=str(app.config.author))
        for level, name in LEVELS:
            path = outdir / pdf_name(part.index, level)
            write_pdf(
                path,
                build_worksheet(info, part, level, styles, width),
                title=f"{info.book_title}: {part.short}, {name} worksheet",
                subject=f"{part.caption}: {name} exercises (nnbook {info.version})",
                footer=f"nnbook {info.version} · {part.short} · {name} worksheet",
                **meta,
            )
            written.append(path)
        path = outdir / pdf_name(part.index, "answers")
        write_pdf(
            path,
            build_answer_key(info, part, styles, width),
            title=f"{info.book_title}: {part.short}, answer key",
            subject=f"{part.caption}: solutions to every exercise (nnbook {info.version})",
            footer=f"nnbook {info.version} · {part.short} · Answer key",
            **meta,
        )
        written.append(path)
        stamp.write_text(key)  # last: a build stopped half-way leaves no stamp
        quick_stamp.write_text(quick)
    return written
