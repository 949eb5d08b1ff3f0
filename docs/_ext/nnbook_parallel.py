"""Spread the chapters that execute over the parallel readers of ``sphinx-build -j``.

Sphinx cuts the sorted list of documents to read into consecutive chunks, one process
per chunk, so on two cores the first chunk got the six appendix pages and two chapters
and the second got the other six chapters: they executed one after another while the
first process sat idle. Before reading, this reorders the list (``env-before-read-docs``
allows it) so that the chunks the processes start with share the notebooks, the
longest first (by the seconds each took in the previous build, else by source size).
"""

from __future__ import annotations

from sphinx.util.parallel import make_chunks


def _is_notebook(app, docname: str) -> bool:
    path = app.env.doc2path(docname)
    try:
        return "```{code-cell}" in path.read_text(encoding="utf-8")
    except OSError:
        return False


def _cost(app, docname: str) -> float:
    seconds = getattr(app.env, "nnbook_meta", {}).get(docname, {}).get("seconds")
    if isinstance(seconds, (int, float)):
        return float(seconds)
    return app.env.doc2path(docname).stat().st_size / 1000.0  # about 1 s per KB of source


def balanced_order(docnames: list[str], heavy: dict[str, float], nproc: int) -> list[str]:
    """``docnames`` reordered so the first ``nproc`` chunks share the heavy documents.

    ``heavy`` maps each heavy document to its expected cost. Longest first, each goes to
    the starting chunk with the least cost so far that still has room (greedy LPT).
    """
    sizes = [len(chunk) for chunk in make_chunks(docnames, nproc)]
    chunks: list[list[str]] = [[] for _ in sizes]
    load = [0.0] * len(sizes)
    starting = list(range(min(nproc, len(sizes))))
    for doc in sorted(heavy, key=lambda d: (-heavy[d], d)):
        room = [i for i in starting if len(chunks[i]) < sizes[i]]
        room = room or [i for i in range(len(sizes)) if len(chunks[i]) < sizes[i]]
        target = min(room, key=lambda i: (load[i], i))
        chunks[target].append(doc)
        load[target] += heavy[doc]
    light = iter(d for d in docnames if d not in heavy)
    for i, size in enumerate(sizes):
        while len(chunks[i]) < size:
            chunks[i].append(next(light))
    return [doc for chunk in chunks for doc in chunk]


def on_env_before_read_docs(app, env, docnames: list[str]) -> None:
    if app.parallel <= 1 or len(docnames) < 2:
        return
    heavy = {d: _cost(app, d) for d in docnames if _is_notebook(app, d)}
    if len(heavy) < 2:
        return
    docnames[:] = balanced_order(list(docnames), heavy, app.parallel)


def setup(app):
    app.connect("env-before-read-docs", on_env_before_read_docs)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
