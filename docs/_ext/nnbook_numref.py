"""Resolve ``{numref}`` references without unpickling the target page once per reference.

Sphinx's standard domain loads the whole doctree of the page a ``{numref}`` points to,
for every reference, only to find the labelled node and its type. A chapter that
cites its own figures ten times unpickled its own doctree ten times; across the book
that was about 135 loads (0.06 s each) per build, on every write, even a no-op one.

Here the decoded doctree is kept per page for as long as Sphinx keeps its bytes
(``env._pickled_doctree_cache``, refilled whenever the page is read again), and
handed out read-only: numref resolution only looks the target node up.
"""

from __future__ import annotations

from sphinx.domains.std import StandardDomain


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


def setup(app):
    app.add_domain(NumrefCachingDomain, override=True)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
