"""``{numref}``: resolved without unpickling the target page per reference, and kept current.

Sphinx's standard domain loads the whole doctree of the page a ``{numref}`` points to,
for every reference, only to find the labelled node and its type. A chapter that
cites its own figures ten times unpickled its own doctree ten times; across the book
that was about 135 loads (0.06 s each) per build, on every write, even a no-op one.

Here the decoded doctree is kept per page for as long as Sphinx keeps its bytes
(``env._pickled_doctree_cache``, refilled whenever the page is read again), and
handed out read-only: numref resolution only looks the target node up.

Sphinx also does not know which pages *show* a number: when a figure is added to
chapter 1, every page citing "Figure 1.3" must be written again, not only chapter 1.
Each page's ``{numref}`` and ``{eq}`` targets are recorded when it is read, and after
numbering the pages citing a page whose numbers changed are written again too. A
target is found on its page through the standard domain's labels or, for an
equation, the math domain's ``equations``.
"""

from __future__ import annotations

from nnbook_pages import per_page_store
from sphinx import addnodes
from sphinx.domains.std import StandardDomain

_NUMBERED = {"numref", "eq"}  # the references that show their target's number


class _Doctrees:
    """The environment, with ``get_doctree`` answered from a cache of decoded pages."""

    def __init__(self, env, cache: dict):
        self._env = env
        self._cache = cache

    def get_doctree(self, docname: str):
        env = self._env
        serialised = env._pickled_doctree_cache.get(docname)
        hit = self._cache.get(docname)
        if serialised is not None and hit is not None and hit[0] is serialised:
            return hit[1]
        doctree = env.get_doctree(docname)
        self._cache[docname] = (env._pickled_doctree_cache.get(docname), doctree)
        return doctree

    def __getattr__(self, name):
        return getattr(self._env, name)


class NumrefCachingDomain(StandardDomain):
    _nnbook_doctrees: dict = {}

    def _resolve_numref_xref(self, env, fromdocname, builder, typ, target, node, contnode):
        cache = NumrefCachingDomain._nnbook_doctrees.setdefault(id(env), {})
        return super()._resolve_numref_xref(
            _Doctrees(env, cache), fromdocname, builder, typ, target, node, contnode
        )


def on_doctree_read(app, doctree):
    env = app.env
    env.nnbook_numref_targets[env.docname] = {
        node["reftarget"]
        for node in doctree.findall(addnodes.pending_xref)
        if node.get("reftype") in _NUMBERED and node.get("reftarget")
    }


def _numbers(env):
    return dict(env.toc_secnumbers), dict(env.toc_fignumbers)


def snapshot(app, env) -> list[str]:
    """Before anything is numbered again: the numbers the pages show now."""
    app._nnbook_numref_before = _numbers(env)
    return []


def citing_pages(app, env) -> list[str]:
    """After numbering (nnbook_renumber included): pages citing a renumbered page."""
    (sec0, fig0), (sec1, fig1) = getattr(app, "_nnbook_numref_before", ({}, {})), _numbers(env)
    renumbered = {
        doc
        for doc in set(sec0) | set(sec1) | set(fig0) | set(fig1)
        if sec0.get(doc) != sec1.get(doc) or fig0.get(doc) != fig1.get(doc)
    }
    if not renumbered:
        return []
    std, equations = env.domains.standard_domain, env.domains.math_domain.equations

    def page_of(label: str) -> str:
        found = std.labels.get(label) or std.anonlabels.get(label) or equations.get(label)
        return found[0] if found else ""

    return sorted(
        doc
        for doc, targets in env.nnbook_numref_targets.items()
        if doc in env.all_docs and any(page_of(t) in renumbered for t in targets)
    )


def setup(app):
    app.add_domain(NumrefCachingDomain, override=True)
    per_page_store(app, "nnbook_numref_targets")
    app.connect("doctree-read", on_doctree_read)
    # Before nnbook_renumber's unshift (100) and after its renumber (900).
    app.connect("env-get-updated", snapshot, priority=50)
    app.connect("env-get-updated", citing_pages, priority=950)
    return {
        "version": "1.2",
        "env_version": 2,  # stores data in the environment: a change re-reads every page
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
