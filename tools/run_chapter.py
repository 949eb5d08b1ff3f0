"""Execute one MyST chapter in a fresh kernel, without Sphinx, and save its figures.

Usage: python tools/run_chapter.py docs/chapters/02-single-neuron.md [outdir]

A quick loop for authors: it runs every code cell top to bottom (as the book build
does), stops at the first error with the cell's source, and writes each PNG output to
``outdir`` (default ``/tmp/nnbook-figures/<chapter>``) so figures can be looked at.
"""

from __future__ import annotations

import base64
import sys
import time
from pathlib import Path

import nbclient
from myst_nb.core.read import read_myst_markdown_notebook


def main(path: str, outdir: str | None = None) -> int:
    src = Path(path)
    nb = read_myst_markdown_notebook(src.read_text(encoding="utf-8"))
    out = Path(outdir or f"/tmp/nnbook-figures/{src.stem}")
    out.mkdir(parents=True, exist_ok=True)
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(src.parent)}}
    )
    start = time.perf_counter()
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as err:
        print(f"FAILED after {time.perf_counter() - start:.1f}s:\n{err}", file=sys.stderr)
        return 1
    n = 0
    for i, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/png" in data:
                n += 1
                (out / f"cell{i:03d}_{n}.png").write_bytes(base64.b64decode(data["image/png"]))
            if output.get("output_type") == "stream":
                print(f"[cell {i}] {output['text'][:2000]}", end="")
    print(
        f"\nOK: {len(nb.cells)} cells in {time.perf_counter() - start:.1f}s; {n} figures in {out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
