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


def renumber(app, env) -> list[str]:
    changed = []
    for doc, offset in _offsets(env).items():
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
        changed.append(doc)
    if changed:
        # Figure and equation numbers derive from section numbers: assign them again.
        changed += TocTreeCollector().assign_figure_numbers(env)
    return changed


def setup(app):
    # After the built-in TocTreeCollector (priority 500) has assigned numbers.
    app.connect("env-get-updated", renumber, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
