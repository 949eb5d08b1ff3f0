"""Plant one fault of each kind in a scratch copy of the built site and run the site checks.

Usage: python tools/plant_faults.py [DOCS]   (default: docs, which must hold a built site)

The checks in ``tests/site_checks`` are only worth something if they fail when the site
is broken. This copies ``DOCS/_build/html`` (and the sources the checks read)
to a scratch folder, breaks it in one place per kind of fault, runs the site and browser
checks against the copy (``NNBOOK_DOCS``) and the reproducibility comparison against
the original, and reports for every planted fault whether a check caught it, with the
lines it printed. Exit status 1 if any fault went unnoticed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Fault:
    kind: str
    page: str  # relative to html/
    marker: str  # a string the failing check must print
    old: str  # where to plant (first occurrence), "" = file-level fault
    new: str


def chapter(html: Path, number: int) -> str:
    return (
        next(p for p in sorted((html / "chapters").glob(f"{number:02d}-*.html")))
        .relative_to(html)
        .as_posix()
    )


def faults(html: Path) -> list[Fault]:
    blob = os.urandom(2_400_000).hex()  # incompressible-ish: ~2.6 MB gzip
    return [
        Fault(
            "console error",
            chapter(html, 1),
            "planted-console-error",
            "</body>",
            "<script>console.error('planted-console-error')</script></body>",
        ),
        Fault(
            "image that does not load",
            chapter(html, 2),
            "planted-missing.png",
            "</article>",
            '<img src="../_images/planted-missing.png" alt="planted missing '
            'image of a loss curve"></article>',
        ),
        Fault(
            "request to another host",
            chapter(html, 3),
            "planted.example.org",
            "</body>",
            '<script src="https://planted.example.org/tracker.js"></script></body>',
        ),
        Fault(
            "math not typeset",
            chapter(html, 4),
            "math not typeset",
            'src="../_static/mathjax/',
            'src="../_static/mathjax-planted-missing/',
        ),
        Fault(
            "figure without specific alt text",
            chapter(html, 5),
            "alt='Figure'",
            r"re:(<figure[^>]*>\s*<img alt=\")",
            r'\1Figure" data-old-alt="',
        ),
        Fault(
            "broken internal link",
            chapter(html, 6),
            "planted-no-such-page.html",
            "</article>",
            '<p><a href="planted-no-such-page.html">see here</a></p></article>',
        ),
        Fault(
            "broken anchor",
            chapter(html, 7),
            "planted-no-such-anchor",
            "</article>",
            '<p><a href="#planted-no-such-anchor">above</a></p></article>',
        ),
        Fault(
            "accessibility: unlabelled button, low contrast",
            "index.html",
            "button-name",
            "</article>",
            '<button class="planted"></button><p style="color:#ddd;'
            'background:#fff">planted low-contrast text</p></article>',
        ),
        Fault(
            "page weight over budget",
            "appendix/glossary.html",
            "appendix/glossary.html",
            "</body>",
            f'<script type="application/json">"{blob}"</script></body>',
        ),
    ]


def plant(scratch_html: Path, fault: Fault) -> None:
    path = scratch_html / fault.page
    text = path.read_text(encoding="utf-8")
    if fault.old.startswith("re:"):  # a regular expression, replaced once
        changed = re.sub(fault.old[3:], fault.new, text, count=1)
    else:
        changed = text.replace(fault.old, fault.new, 1)
    if changed == text:
        raise SystemExit(f"cannot plant {fault.kind!r}: {fault.old!r} not in {fault.page}")
    path.write_text(changed, encoding="utf-8")


def main(argv: list[str]) -> int:
    docs = Path(argv[0] if argv else ROOT / "docs").resolve()
    html = docs / "_build" / "html"
    if not (html / "index.html").is_file():
        print(f"{html}: no built site; run `nox -s book` first", file=sys.stderr)
        return 2
    scratch = Path(tempfile.mkdtemp(prefix="nnbook-faults-")) / "docs"
    shutil.copytree(docs, scratch, ignore=shutil.ignore_patterns("_build"))  # sources
    shutil.copytree(html, scratch / "_build" / "html")
    s_html = scratch / "_build" / "html"
    planted = faults(s_html)
    for fault in planted:
        plant(s_html, fault)
    # a missing download: the clean notebook of the last chapter
    clean = sorted((s_html / "notebooks" / "chapters").glob("*.clean.ipynb"))[-1]
    clean.unlink()
    planted.append(Fault("missing download", clean.name, clean.name, "", ""))

    env = {**os.environ, "NNBOOK_DOCS": str(scratch)}
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "tests/site_checks",
        "-m",
        "site or browser",
        "-p",
        "no:randomly",
        "-q",
        "--tb=short",
        "-rN",
        "--deselect",
        "tests/site_checks/test_notebooks.py::test_downloaded_notebook_runs_standalone",
    ]
    print("running the site checks on", scratch, flush=True)
    run = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    report = run.stdout + run.stderr
    compare = subprocess.run(
        [sys.executable, "tools/compare_builds.py", str(html), str(s_html)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    planted.append(Fault("two builds differ", "-", "differs:", "", ""))
    outputs = {"two builds differ": compare.stdout + compare.stderr}

    missed = 0
    for fault in planted:
        text = outputs.get(fault.kind, report)
        lines = [ln.strip() for ln in text.splitlines() if fault.marker in ln]
        caught = bool(lines) and (fault.kind != "two builds differ" or compare.returncode == 1)
        missed += not caught
        print(f"\n[{'caught' if caught else 'MISSED'}] {fault.kind} ({fault.page})")
        for line in lines[:3]:
            print("    " + re.sub(r"\s+", " ", line)[:300])
    print(f"\nsite checks exit status {run.returncode}; compare_builds exit {compare.returncode}")
    print(f"{len(planted) - missed} of {len(planted)} planted faults caught")
    shutil.rmtree(scratch.parent, ignore_errors=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
