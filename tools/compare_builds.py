"""Compare two builds of the site file by file; exit 1 and list what differs.

Usage: python tools/compare_builds.py BUILD_A BUILD_B

Two builds from clean on the same machine must be identical. The only content allowed
to differ is what the book *measures* while it builds (how long a chapter ran, timings
in the hardware chapters): the build marks it with the ``nnbook-measured`` class and
it is masked here before comparing.
"""

from __future__ import annotations

import difflib
import re
import sys
from pathlib import Path

MEASURED = re.compile(
    rb'(<(span|td|div)[^>]*class="[^"]*nnbook-measured[^"]*"[^>]*>)(.*?)(</\2>)', re.S
)
IGNORED = {".buildinfo", ".buildinfo.bak"}


def normalise(path: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix == ".html":
        data = MEASURED.sub(rb"\1(measured)\4", data)
    return data


def compare(a: Path, b: Path) -> list[str]:
    files_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file() and p.name not in IGNORED}
    files_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file() and p.name not in IGNORED}
    problems = [f"only in {a}: {p}" for p in sorted(files_a - files_b)]
    problems += [f"only in {b}: {p}" for p in sorted(files_b - files_a)]
    for rel in sorted(files_a & files_b):
        left, right = normalise(a / rel), normalise(b / rel)
        if left == right:
            continue
        detail = ""
        if rel.suffix in {".html", ".js", ".css", ".md", ".ipynb", ".json", ".txt"}:
            diff = difflib.unified_diff(
                left.decode(errors="replace").splitlines(),
                right.decode(errors="replace").splitlines(),
                lineterm="",
                n=0,
            )
            detail = "\n    " + "\n    ".join(list(diff)[2:8])
        problems.append(f"differs: {rel}{detail}")
    return problems


def main(a: str, b: str) -> int:
    problems = compare(Path(a), Path(b))
    if problems:
        print(f"{len(problems)} files differ between {a} and {b}:")
        print("\n".join(problems[:50]))
        return 1
    print(f"identical: {a} and {b} (after masking measured timings)")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
