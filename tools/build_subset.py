"""Build a few chapters (plus the back matter) with Sphinx, apart from the real build.

Usage: python tools/build_subset.py 09 [12 ...]  [--out /tmp/nnbook-subset-09]

An author's loop for one chapter inside Sphinx (glue, quizzes, exercises, glossary,
figures, the worksheets): the docs are copied into a scratch folder without the other
chapters, the index keeps only the chosen ones (a new chapter gets a toctree of its
own), and the site is built there with its own execution cache, so several authors can
build at once without touching ``docs/_build``. Chapter numbers differ from the real
book's, and references to chapters left out are reported as warnings: the warnings
about the chosen chapters' own files are listed first. Exit status 1 if there are any.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _keep(path: Path, chosen: set[str]) -> bool:
    """Whether a per-chapter file (chapter, quiz, glossary) belongs to a chosen chapter."""
    return path.name[:2] in chosen


def prepare(chosen: set[str], out: Path) -> Path:
    """Copy the docs into ``out`` with only the chosen chapters; return the new docs folder."""
    if out.exists():
        keep = {".cache", "_build"}  # execution cache and build: reused between runs
        for child in out.iterdir():
            if child.name not in keep:
                shutil.rmtree(
                    child
                ) if child.is_dir() and not child.is_symlink() else child.unlink()
    out.mkdir(parents=True, exist_ok=True)
    docs = out / "docs"
    shutil.copytree(DOCS, docs, ignore=shutil.ignore_patterns("_build", "*.ipynb"))
    for sub in ("chapters", "quizzes", "glossary"):
        for path in (docs / sub).glob("*"):
            if path.is_file() and not _keep(path, chosen):
                path.unlink()
    for entry in ROOT.iterdir():  # the package, the lock, CITATION.cff, ... as they are
        if entry.name not in {"docs", ".git", ".nox"}:
            (out / entry.name).symlink_to(entry)
    chapters = sorted(p.stem for p in (docs / "chapters").glob("*.md"))
    index = (docs / "index.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^chapters/(\S+)$", index, flags=re.M))

    def trim(match: re.Match) -> str:
        body = match.group(0)
        lines = [
            line
            for line in body.splitlines()
            if not line.startswith("chapters/") or line.removeprefix("chapters/") in chapters
        ]
        if not any(line.startswith("chapters/") for line in lines) and "chapters/" in body:
            return ""
        return "\n".join(lines)

    index = re.sub(r"```\{toctree\}.*?```", trim, index, flags=re.S)
    extra = [c for c in chapters if c not in listed]
    if extra:
        block = "```{toctree}\n:caption: New chapters\n:numbered: 2\n:maxdepth: 2\n\n"
        block += "".join(f"chapters/{c}\n" for c in extra) + "```\n\n"
        at = index.find("```{toctree}\n:caption: Back matter")
        index = index[:at] + block + index[at:] if at >= 0 else index + "\n" + block
    (docs / "index.md").write_text(index, encoding="utf-8")
    return docs


def build(docs: Path, out: Path) -> tuple[int, list[str]]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        PYTHONHASHSEED="0",
        IPYTHONDIR=str(docs / "_ipython"),
        JAX_COMPILATION_CACHE_DIR=str(out / ".cache" / "jax"),
        JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0",
        JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES="0",
        PYDEVD_DISABLE_FILE_VALIDATION="1",
        NNBOOK_CACHE_DIR=str(out / ".cache" / "jupyter"),
    )
    cmd = [sys.executable, "-m", "sphinx", "-M", "html", str(docs), str(out / "_build")]
    proc = subprocess.run(
        [*cmd, "-q", "--keep-going", "-j", "1"], env=env, capture_output=True, text=True
    )
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    return proc.returncode, lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="+", help="two-digit chapter numbers, e.g. 09 12")
    parser.add_argument("--out", help="scratch folder (default /tmp/nnbook-subset-<numbers>)")
    args = parser.parse_args(argv)
    chosen = {c.zfill(2) for c in args.chapters}
    out = Path(args.out or f"/tmp/nnbook-subset-{'-'.join(sorted(chosen))}")
    docs = prepare(chosen, out)
    code, lines = build(docs, out)
    elsewhere = {  # labels defined in the chapters left out: references to them are expected
        label
        for path in (DOCS / "chapters").glob("*.md")
        if not _keep(path, chosen)
        for label in re.findall(r"^\(([\w-]+)\)=", path.read_text(encoding="utf-8"), re.M)
    }
    expected = re.compile(r"undefined label: '([\w-]+)'")
    lines = [
        line for line in lines if not ((m := expected.search(line)) and m.group(1) in elsewhere)
    ]
    mine = [line for line in lines if any(f"/{c}-" in line for c in chosen)]
    others = [line for line in lines if line not in mine]
    print(f"== warnings in the chosen chapters' files ({len(mine)}):")
    print("\n".join(mine) or "none")
    print(
        f"== other warnings ({len(others)}; missing references to chapters left out are expected):"
    )
    print("\n".join(others[:60]) or "none")
    print(f"== sphinx exit {code}; html in {out / '_build' / 'html'}")
    return 1 if code or mine else 0


if __name__ == "__main__":
    sys.exit(main())
