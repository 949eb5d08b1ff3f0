"""Continuous chapter numbers across parts, and rebuilds that rewrite nothing.

``docs/_ext/nnbook_renumber.py`` shifts the numbers Sphinx restarts in every numbered
toctree; ``nnbook_numref.py`` resolves ``{numref}`` from a cache of decoded pages. A
tiny two-part book is built here with both: the second part's chapter is "2" with
"Figure 2.1", references to it say so, and a rebuild with nothing changed writes no
page again (before the fix, every chapter after Part I was rewritten on every build).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx")

ROOT = Path(__file__).resolve().parents[1]
EXT = str(ROOT / "docs" / "_ext")

INDEX = """\
# Book

```{toctree}
:numbered:
:caption: Part I

one
```

```{toctree}
:numbered:
:caption: Part II

two
```

```{toctree}
:caption: Back matter

notes
```
"""

CHAPTER = """\
# {title}

```{{figure}} pic.png
:name: fig-{name}

A picture.
```

See {{numref}}`fig-one` and {{numref}}`fig-two`.
"""

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def _book(src: Path) -> None:
    src.mkdir()
    (src / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {EXT!r})\n"
        "extensions = ['myst_parser', 'nnbook_renumber', 'nnbook_numref']\n"
        "numfig = True\nnumfig_secnum_depth = 1\n"
    )
    (src / "index.md").write_text(INDEX)
    (src / "one.md").write_text(CHAPTER.format(title="One", name="one"))
    (src / "two.md").write_text(CHAPTER.format(title="Two", name="two"))
    (src / "notes.md").write_text("# Notes\n\nAs {numref}`fig-one` shows.\n")
    (src / "pic.png").write_bytes(PNG)


def _build(src: Path, out: Path) -> str:
    """Build in a fresh process, as ``sphinx-build`` would (one Sphinx app per process)."""
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-d", str(out / "doctrees"),
         "-W", str(src), str(out / "html")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_second_part_continues_numbering_and_a_rebuild_writes_nothing(tmp_path):
    pytest.importorskip("myst_parser")
    src, out = tmp_path / "src", tmp_path / "out"
    _book(src)
    _build(src, out)
    two = (out / "html" / "two.html").read_text()
    assert '<span class="section-number">2. </span>Two' in two, "Part II starts at chapter 2"
    assert "Fig. 2.1" in two and "Fig. 1.1" in two  # its own figure, and Part I's
    assert "Fig. 2.1" in (out / "html" / "one.html").read_text()

    stamp = {p: p.stat().st_mtime_ns for p in (out / "html").glob("*.html")}
    log = _build(src, out)
    assert "no targets are out of date" in log or "none found" in log, log
    changed = [p.name for p, t in stamp.items() if p.stat().st_mtime_ns != t]
    assert set(changed) <= {"genindex.html", "search.html"}, f"rewritten: {changed}"
    assert "Fig. 2.1" in (out / "html" / "two.html").read_text()


def test_a_figure_added_in_part_one_updates_every_page_citing_it(tmp_path):
    pytest.importorskip("myst_parser")
    src, out = tmp_path / "src", tmp_path / "out"
    _book(src)
    _build(src, out)
    one = src / "one.md"
    one.write_text(
        one.read_text().replace(
            "# One\n", "# One\n\n```{figure} pic.png\n:name: fig-first\n\nNew.\n```\n"
        )
    )
    _build(src, out)
    page_one = (out / "html" / "one.html").read_text()
    assert "Fig. 1.2" in page_one  # fig-one moved from 1.1 to 1.2
    two = (out / "html" / "two.html").read_text()
    assert "Fig. 2.1" in two and "Fig. 1.2" in two, "Part II keeps its numbers; its ref follows"
    # An unnumbered page whose own numbers never change still shows the new number.
    assert "Fig. 1.2" in (out / "html" / "notes.html").read_text()
