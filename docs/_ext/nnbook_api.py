"""The API reference page, generated from the package: ``{nnbook-api}``.

The directive lists every public module of ``nnbook`` (found by walking the package,
so a new module appears without editing any page) and documents each with autodoc:
Google-style docstrings through napoleon, signatures with their jaxtyping shapes.
Modules that support the book's build rather than teach (the ``nnbook.book``
subpackage and :data:`RUNTIME`) come last under a heading of their own. Option
``:only: reference`` or ``:only: runtime`` picks one part. A package that re-exports a
submodule's functions documents them itself (where chapters import them from); that
submodule (:data:`DOCUMENTED_BY_PACKAGE`) shows only its docstring, so nothing is listed
twice.
"""

from __future__ import annotations

import pkgutil
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_PACKAGE = "nnbook.book"  # the book's runtime: it and its submodules
RUNTIME = {"nnbook.fetch_mnist"}  # other build support, not lessons
DOCUMENTED_BY_PACKAGE = {"nnbook.book.chapter"}  # its __all__ is nnbook.book's


def is_runtime(name: str) -> bool:
    """Whether module ``name`` supports the book's build rather than teaching."""
    return name in RUNTIME or name == RUNTIME_PACKAGE or name.startswith(RUNTIME_PACKAGE + ".")


def public_modules(package_dir: Path = ROOT / "src" / "nnbook") -> list[str]:
    """Every module of the package whose name has no leading underscore, sorted."""
    names = ["nnbook"]
    for info in pkgutil.walk_packages([str(package_dir)], prefix="nnbook."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return sorted(names)


class ApiDirective(SphinxDirective):
    has_content = False
    option_spec = {"only": lambda arg: directives.choice(arg, ("reference", "runtime"))}

    def run(self) -> list[nodes.Node]:
        modules = [m for m in public_modules() if m != "nnbook"]
        only = self.options.get("only")
        if only == "reference":
            modules = [m for m in modules if not is_runtime(m)]
        elif only == "runtime":
            modules = [m for m in modules if is_runtime(m)]
        lines = []  # MyST headings; autodoc's output is reStructuredText, so eval-rst
        for name in modules:
            members = "   :no-members:" if name in DOCUMENTED_BY_PACKAGE else "   :members:"
            rst = [f".. automodule:: {name}", members]
            lines += [f"### `{name}`", "", "```{eval-rst}", *rst, "```", ""]
        content = StringList(lines, source=self.get_source_info()[0])
        container = nodes.container()
        nested_parse_with_titles(self.state, content, container)
        return container.children


def protocol_signature(app, what, name, obj, options, signature, return_annotation):
    """No signature for a :class:`typing.Protocol`: it describes objects, nobody calls it.

    autodoc would show ``Optimizer(*args, **kwargs)``, the constructor every Protocol
    inherits, which says nothing about the ``init`` and ``update`` it asks for.
    """
    if what == "class" and getattr(obj, "_is_protocol", False):
        return "", None
    return None


def setup(app):
    app.add_directive("nnbook-api", ApiDirective)
    app.connect("autodoc-process-signature", protocol_signature)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
