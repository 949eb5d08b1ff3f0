"""Number lookups: the book's parts, and the numbers the site shows for its targets.

This module owns every question the worksheets ask of Sphinx's numbering: which parts
the book has (the numbered toctrees of the root document) and whether a part has
exercises; the number of a chapter, a section, a figure or an exercise, read from
``env.toc_secnumbers`` and ``env.toc_fignumbers`` after ``nnbook_renumber`` made them
continuous; the number a reference by title gets in print; and a digest of all of it,
so that the build can tell when a renumbering elsewhere changed a worksheet.
"""

from __future__ import annotations

import functools
import hashlib
import posixpath
import re

from docutils import nodes
from sphinx import addnodes


def book_parts(env) -> list[tuple[int, str, list[str]]]:
    """(index, caption, chapter docnames) for every numbered toctree of the root document."""
    root = env.config.root_doc
    if root not in env.all_docs:
        return []
    parts: list[tuple[int, str, list[str]]] = []
    for toctree in env.get_doctree(root).findall(addnodes.toctree):
        if not toctree.get("numbered"):
            continue
        docs = [ref for _title, ref in toctree["entries"] if ref in env.all_docs]
        caption = toctree.get("caption") or f"Part {len(parts) + 1}"
        parts.append((len(parts) + 1, caption, docs))
    return parts


def part_has_exercises(env, docs) -> bool:
    """Whether any chapter of a part has an exercise (a part without one gets no PDFs)."""
    registry = getattr(env, "sphinx_exercise_registry", {})
    docs = set(docs)
    return any(
        entry.get("docname") in docs and str(entry.get("type", "")).startswith("exercise")
        for entry in registry.values()
    )


def _dotted(number) -> str:
    return ".".join(map(str, number))


def chapter_number(env, docname: str) -> str:
    """The chapter's number as the site shows it ("2"), or ""."""
    return _dotted(env.toc_secnumbers.get(docname, {}).get("", ()))


def figure_number(env, docname: str, anchor: str) -> str:
    """The number of the figure ``docname#anchor`` ("2.1"), or ""."""
    return _dotted(env.toc_fignumbers.get(docname, {}).get("figure", {}).get(anchor, ()))


def exercise_number(env, docname: str, node_id: str) -> str:
    """The number sphinx-exercise gives the exercise with id ``node_id`` ("2.3"), or ""."""
    return _dotted(env.toc_fignumbers.get(docname, {}).get("exercise", {}).get(node_id, ()))


@functools.lru_cache(maxsize=64)
def _section_ids(env, doc: str) -> dict:
    """Every id of every section of ``doc``, mapped to the ids of its section."""
    out: dict[str, tuple] = {}
    if doc not in env.all_docs:
        return out
    for i, section in enumerate(env.get_doctree(doc).findall(nodes.section)):
        ids = section.get("ids", [])
        for id_ in ids:
            out[id_] = ("" if i == 0 else None, tuple(ids))
    return out


def forget_sections() -> None:
    """Drop the section ids read so far (a new build may have moved them)."""
    _section_ids.cache_clear()


def section_number(env, doc: str, anchor: str) -> tuple:
    """The number the site shows for the section ``doc#anchor`` ((2, 3) for 2.3), or ()."""
    secnums = env.toc_secnumbers.get(doc, {})
    if not anchor:
        return tuple(secnums.get("", ()))
    if f"#{anchor}" in secnums:  # a labelled section: the label is its first id
        return tuple(secnums[f"#{anchor}"])
    found = _section_ids(env, doc).get(anchor)
    if found is None:
        return ()
    top, ids = found
    if top == "":
        return tuple(secnums.get("", ()))
    for id_ in ids:
        if f"#{id_}" in secnums:
            return tuple(secnums[f"#{id_}"])
    return ()


def reference_number(env, docname: str | None, node) -> str:
    """For a reference by title ("Be the neuron"), its number in print: " (Section 2.3)".

    "" for a reference whose text has a number already, an external one, or one to a
    target without a number.
    """
    text = node.astext()
    if re.search(r"\d", text) or not node.get("internal") or docname is None:
        return ""
    path, _, anchor = node.get("refuri", "").partition("#")
    if node.get("refid"):  # a reference within the same page
        path, anchor = "", node["refid"]
    if path:
        doc = posixpath.normpath(posixpath.join(posixpath.dirname(docname), path))
        doc = doc.removesuffix(".html")
    else:
        doc = docname
    number = section_number(env, doc, anchor)
    if not number:
        return ""
    kind = "Chapter" if len(number) == 1 else "Section"
    return f" ({kind} {_dotted(number)})"


def numbering_digest(env) -> str:
    """Digest of what resolving references elsewhere can put on a worksheet."""
    std = env.domaindata.get("std", {})
    state = (
        sorted((d, sorted(n.items())) for d, n in env.toc_secnumbers.items()),
        sorted((d, repr(sorted(n.items()))) for d, n in env.toc_fignumbers.items()),
        sorted((d, t.astext()) for d, t in env.titles.items()),
        sorted(std.get("labels", {}).items()),
        sorted(std.get("anonlabels", {}).items()),
    )
    return hashlib.sha256(repr(state).encode()).hexdigest()
