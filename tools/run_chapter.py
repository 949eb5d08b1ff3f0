"""Execute one MyST chapter in a fresh kernel, without Sphinx, and save its figures.

Usage: python tools/run_chapter.py docs/chapters/02-single-neuron.md [outdir] [--profile]

A quick loop for authors: it runs every code cell top to bottom (as the book build
does), stops at the first error with the cell's source, and writes each PNG output to
``outdir`` (default ``/tmp/nnbook-figures/<chapter>``) so figures can be looked at.

``--profile`` shows where the chapter's time goes instead of its printed output: the
slowest cells, and the seconds XLA spent compiling, by function (from JAX's
``jax_log_compiles`` log). Nothing is cached between runs of this tool, so the compile
seconds are those of a cold build of this one chapter.
"""

from __future__ import annotations

import argparse
import base64
import collections
import re
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbclient
import nbformat
from myst_nb.core.read import read_myst_markdown_notebook

COMPILED = re.compile(r"Finished XLA compilation of (.+?) in ([0-9.e+-]+) sec")


def _log_compiles(path: Path) -> nbformat.NotebookNode:
    """A first cell that sends JAX's compile log to ``path``."""
    return nbformat.v4.new_code_cell(
        "import logging, jax\n"
        'jax.config.update("jax_log_compiles", True)\n'
        f"_nnbook_log = logging.FileHandler({str(path)!r}, mode='w')\n"
        "logging.getLogger('jax').addHandler(_nnbook_log)\n"
    )


def _seconds(cell: nbformat.NotebookNode) -> float | None:
    """Wall seconds of one executed cell, from the timings nbclient records."""
    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return None
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def compile_seconds(log: str) -> dict[str, tuple[int, float]]:
    """``{function: (compiles, seconds)}`` from a ``jax_log_compiles`` log."""
    found: dict[str, list[float]] = collections.defaultdict(list)
    for name, secs in COMPILED.findall(log):
        found[name].append(float(secs))
    return {name: (len(s), sum(s)) for name, s in found.items()}


def report(nb: nbformat.NotebookNode, log: str, total: float, top: int = 12) -> str:
    """The profile: the ``top`` slowest cells, then compile seconds by function."""
    rows = []
    for i, cell in enumerate(nb.cells):
        secs = _seconds(cell) if cell.cell_type == "code" else None
        if secs is not None:
            first = next((ln for ln in cell.source.splitlines() if ln.strip()), "")
            rows.append((secs, i, first[:64]))
    lines = [f"{total:.1f} s in all, {len(rows)} code cells; the slowest:"]
    lines += [f"{s:7.2f} s  cell {i:3d}  {src}" for s, i, src in sorted(rows, reverse=True)[:top]]
    by_fn = compile_seconds(log)
    n, secs = sum(c for c, _ in by_fn.values()), sum(s for _, s in by_fn.values())
    lines.append(f"XLA compiled {n} programs in {secs:.1f} s ({secs / total:.0%}); the costliest:")
    for name, (count, s) in sorted(by_fn.items(), key=lambda kv: -kv[1][1])[:top]:
        lines.append(f"{s:7.2f} s  {count:4d}x  {name[:70]}")
    return "\n".join(lines)


def _arguments(argv: tuple[str, ...]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="tools/run_chapter.py", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("chapter", type=Path, help="a MyST chapter, e.g. docs/chapters/02-*.md")
    parser.add_argument("outdir", nargs="?", type=Path, help="where the figures go")
    parser.add_argument("--profile", action="store_true", help="slowest cells, compile seconds")
    args = parser.parse_args(argv)
    if not args.chapter.is_file():
        parser.error(f"no chapter at {args.chapter}")
    return args


def main(*argv: str) -> int:
    args = _arguments(argv)
    profile, src = args.profile, args.chapter
    nb = read_myst_markdown_notebook(src.read_text(encoding="utf-8"))
    out = args.outdir or Path(f"/tmp/nnbook-figures/{src.stem}")
    out.mkdir(parents=True, exist_ok=True)
    log = Path(tempfile.mkdtemp(prefix="nnbook-profile-")) / "compiles.log"
    if profile:
        nb.cells.insert(0, _log_compiles(log))
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(src.parent)}}
    )
    start = time.perf_counter()
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as err:
        print(f"FAILED after {time.perf_counter() - start:.1f}s:\n{err}", file=sys.stderr)
        return 1
    total = time.perf_counter() - start
    if profile:
        print(report(nb, log.read_text(encoding="utf-8") if log.is_file() else "", total))
        return 0
    n = 0
    for i, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/png" in data:
                n += 1
                (out / f"cell{i:03d}_{n}.png").write_bytes(base64.b64decode(data["image/png"]))
            if output.get("output_type") == "stream":
                print(f"[cell {i}] {output['text'][:2000]}", end="")
    print(f"\nOK: {len(nb.cells)} cells in {total:.1f}s; {n} figures in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
