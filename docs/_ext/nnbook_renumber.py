"""Number chapters continuously across the parts of the book.

Sphinx restarts section numbers in every ``:numbered:`` toctree, so with one toctree
per part every part would begin again at chapter 1 (and figures at "Figure 1.1").
After Sphinx assigns numbers we add, for each chapter, the number of chapters in the
numbered toctrees before its own, so chapter 5 is "5", then number figures and
equations again from the corrected section numbers ("Figure 5.1").
"""

from __future__ import annotations

from docutils import nodes
from sphinx import addnodes
from sphinx.environment.collectors.toctree import TocTreeCollector


def _offsets(env) -> dict[str, int]:
    root = env.config.root_doc
    if root not in env.numbered_toctrees:
        return {}
    offsets, seen = {}, 0
    for toctree in env.get_doctree(root).findall(addnodes.toctree):
        if not toctree.get("numbered"):
            continue
        refs = [ref for _title, ref in toctree["entries"] if ref in env.tocs]
        for ref in refs:
            offsets[ref] = seen
        seen += len(refs)
    return {doc: off for doc, off in offsets.items() if off}


def _shift(number, offset: int):
    if not number:
        return number
    return (number[0] + offset, *number[1:])


def unshift(app, env) -> list[str]:
    """Before Sphinx numbers again: put back the numbers it gave last time, unshifted.

    Sphinx compares the numbers it assigns with the stored ones and rewrites every page
    whose numbers differ. The stored ones are ours, shifted, so without this every
    chapter after Part I would count as changed on every build, even a no-op one.
    """
    app._nnbook_numbers = (dict(env.toc_secnumbers), dict(env.toc_fignumbers))
    for doc, offset in _offsets(env).items():
        if doc in env.toc_secnumbers:
            env.toc_secnumbers[doc] = {
                a: _shift(n, -offset) for a, n in env.toc_secnumbers[doc].items()
            }
    env.toc_fignumbers = dict(getattr(env, "nnbook_sphinx_fignumbers", env.toc_fignumbers))
    # Sphinx and renumber() below each walk every page's doctree to number figures;
    # decode each page once for both (read-only; removed again in renumber()).
    decoded, load = {}, env.get_doctree

    def get_doctree(docname):
        if docname not in decoded:
            decoded[docname] = load(docname)
        return decoded[docname]

    env.get_doctree = get_doctree
    return []


def renumber(app, env) -> list[str]:
    try:
        return _renumber(app, env)
    finally:
        env.__dict__.pop("get_doctree", None)  # the cache unshift() installed


def _renumber(app, env) -> list[str]:
    offsets = _offsets(env)
    for doc, offset in offsets.items():
        secnums = env.toc_secnumbers.get(doc)
        if not secnums:
            continue
        env.toc_secnumbers[doc] = {a: _shift(n, offset) for a, n in secnums.items()}
        for ref in env.tocs[doc].findall(nodes.reference):
            if ref.get("secnumber"):
                ref["secnumber"] = list(_shift(tuple(ref["secnumber"]), offset))
        title = env.titles.get(doc)
        if title is not None and title.get("secnumber"):
            title["secnumber"] = list(_shift(tuple(title["secnumber"]), offset))
    # What Sphinx assigned, kept for the comparison in the next build's unshift.
    env.nnbook_sphinx_fignumbers = dict(env.toc_fignumbers)
    if offsets:
        # Figure and equation numbers derive from section numbers: assign them again.
        TocTreeCollector().assign_figure_numbers(env)
    # Pages to write again: those whose final numbers differ from the last build's.
    old_sec, old_fig = getattr(app, "_nnbook_numbers", ({}, {}))
    return sorted(
        doc
        for doc in set(env.toc_secnumbers) | set(old_sec) | set(env.toc_fignumbers) | set(old_fig)
        if doc in env.all_docs  # not a page removed since
        and (
            env.toc_secnumbers.get(doc) != old_sec.get(doc)
            or env.toc_fignumbers.get(doc) != old_fig.get(doc)
        )
    )


def setup(app):
    # Around the built-in TocTreeCollector (priority 500), which assigns the numbers.
    app.connect("env-get-updated", unshift, priority=100)
    app.connect("env-get-updated", renumber, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
