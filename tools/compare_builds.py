"""Compare two builds of the site file by file; exit 1 and list what differs.

Usage: python tools/compare_builds.py BUILD_A BUILD_B

Two builds from clean on the same machine must be identical. The only content allowed
to differ is what the book *measures* while it builds (how long a chapter ran, the
speed-ups chapter 7 times), and it is marked where it is made:

- a code cell tagged ``nnbook-measured``: its outputs (text, figures, glued values);
  on a page that is the cell's ``div.cell_output``, in a notebook the cell's outputs,
  and an image file counts as measured when only measured outputs show it;
- an element with the class ``nnbook-measured`` in a page (the status line under a
  chapter's title, a sentence quoting a timing, the status table).

Those are masked before comparing; everything else must match byte for byte, and a
file whose measured parts are masked must match in all the rest.
"""

from __future__ import annotations

import difflib
import io
import json
import re
import sys
import zipfile
from pathlib import Path

from bs4 import BeautifulSoup

TAG = "nnbook-measured"
IGNORED = {".buildinfo", ".buildinfo.bak"}
TEXT_SUFFIXES = {".html", ".js", ".css", ".md", ".ipynb", ".json", ".txt", ".svg"}
MASK = "(measured)"


def _measured_nodes(soup: BeautifulSoup):
    yield from soup.select(f"div.cell.tag_{TAG} div.cell_output")
    yield from soup.select(f".{TAG}")


def measured_images(html_dir: Path) -> set[str]:
    """Image files (relative to ``html_dir``) that only measured outputs show."""
    measured, elsewhere = set(), set()
    for page in html_dir.rglob("*.html"):
        soup = BeautifulSoup(page.read_bytes(), "html.parser")
        inside = {id(img) for node in _measured_nodes(soup) for img in node.find_all("img")}
        for img in soup.find_all("img"):
            src = img.get("src", "")
            if not src or src.startswith(("data:", "http:", "https:")):
                continue
            rel = (page.parent / src).resolve().relative_to(html_dir.resolve()).as_posix()
            (measured if id(img) in inside else elsewhere).add(rel)
    return measured - elsewhere


def _normalise_html(data: bytes) -> bytes:
    soup = BeautifulSoup(data, "html.parser")
    nodes = list(_measured_nodes(soup))
    if not nodes:
        return data
    for node in nodes:
        node.clear()
        node.append(MASK)
    return str(soup).encode()


def _normalise_notebook(data: bytes) -> bytes:
    nb = json.loads(data)
    for cell in nb.get("cells", []):
        if TAG in cell.get("metadata", {}).get("tags", []):
            cell["outputs"] = [MASK] if cell.get("outputs") else []
    return json.dumps(nb, sort_keys=True, indent=1).encode()


def _normalise_zip(data: bytes) -> bytes:
    out = []
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in zf.infolist():
            member = zf.read(info)
            if info.filename.endswith(".ipynb"):
                member = _normalise_notebook(member)
            out.append(f"== {info.filename} {info.date_time}\n".encode() + member)
    return b"\n".join(out)


def normalise(path: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix == ".html":
        return _normalise_html(data)
    if path.suffix == ".ipynb":
        return _normalise_notebook(data)
    if path.suffix == ".zip":
        return _normalise_zip(data)
    return data


def compare(a: Path, b: Path) -> tuple[list[str], int]:
    """What differs between builds ``a`` and ``b``, and how many measured images were masked."""

    def files(root: Path) -> set[Path]:
        return {
            p.relative_to(root) for p in root.rglob("*") if p.is_file() and p.name not in IGNORED
        }

    skip = {Path(p) for p in measured_images(a) | measured_images(b)}
    files_a, files_b = files(a) - skip, files(b) - skip
    problems = [f"only in {a}: {p}" for p in sorted(files_a - files_b)]
    problems += [f"only in {b}: {p}" for p in sorted(files_b - files_a)]
    for rel in sorted(files_a & files_b):
        left, right = (a / rel).read_bytes(), (b / rel).read_bytes()
        if left == right:
            continue
        left, right = normalise(a / rel), normalise(b / rel)
        if left == right:
            continue
        detail = ""
        if rel.suffix in TEXT_SUFFIXES | {".zip"}:
            diff = difflib.unified_diff(
                left.decode(errors="replace").splitlines(),
                right.decode(errors="replace").splitlines(),
                lineterm="",
                n=0,
            )
            lines = [re.sub(r"\s+", " ", line)[:200] for line in list(diff)[2:8]]
            detail = "\n    " + "\n    ".join(lines)
        problems.append(f"differs: {rel}{detail}")
    return problems, len(skip)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    a, b = (Path(p) for p in argv)
    for p in (a, b):
        if not (p / "index.html").is_file():
            print(f"{p}: not a built site (no index.html)", file=sys.stderr)
            return 2
    problems, n_measured = compare(a, b)
    if problems:
        print(f"{len(problems)} files differ between {a} and {b}:")
        print("\n".join(problems[:50]))
        if len(problems) > 50:
            print(f"... and {len(problems) - 50} more")
        return 1
    print(
        f"identical: {a} and {b} (outputs marked {TAG!r} masked; "
        f"{n_measured} measured figure files not compared)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
