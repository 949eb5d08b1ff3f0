"""Sphinx configuration of the nnbook site.

Every chapter is a MyST notebook executed at build time by myst-nb. The execution
cache is keyed on everything a chapter's results depend on (see ``_ext/nnbook_cache.py``).
"""

from __future__ import annotations

import os
import sys
import typing
from pathlib import Path

# jaxtyping's documentation mode, set before anything imports it: the API page shows
# annotations as the code writes them, ``Float[Array, 'batch d']`` and ``PRNGKeyArray``,
# not ``Float[jaxlib._jax.Array, 'batch d']`` or the three-part union a key expands to.
# Only this Sphinx process (and its -j readers) is affected, not the chapters' kernels.
typing.GENERATING_DOCUMENTATION = "nnbook"  # type: ignore[attr-defined]

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(ROOT / "src"))

import nnbook_cache  # noqa: E402


def _nnbook_version() -> str:
    """The version from ``src/nnbook/__init__.py``, read without importing JAX (1-2 s)."""
    import ast

    tree = ast.parse((ROOT / "src" / "nnbook" / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            getattr(t, "id", None) == "__version__" for t in node.targets
        ):
            return ast.literal_eval(node.value)
    raise RuntimeError("src/nnbook/__init__.py sets no __version__")


# -- Project -------------------------------------------------------------------
project = "Neural Networks, from One Neuron to Many Devices"
author = "The nnbook authors"
copyright = "2026, The nnbook authors"  # noqa: A001
version = release = _nnbook_version()
language = "en"

# Where the book is published and where its sources live. One setting drives the
# "Open in Colab" links and the citation URLs; forks change these lines.
nnbook_repository = os.environ.get("NNBOOK_REPOSITORY", "nnbook/nnbook")
nnbook_branch = os.environ.get("NNBOOK_BRANCH", "main")
# The published address, printed on the worksheets. Pages name it in a canonical link
# only when built for publishing (the Pages workflow sets NNBOOK_CANONICAL=1): a local
# or CI build then refers to no other host.
nnbook_baseurl = os.environ.get("NNBOOK_BASEURL", "https://nnbook.github.io/nnbook/")
html_baseurl = nnbook_baseurl if os.environ.get("NNBOOK_CANONICAL") == "1" else ""

# -- Extensions ----------------------------------------------------------------
extensions = [
    "myst_nb",
    "sphinx_design",
    "sphinx_exercise",
    "sphinx_togglebutton",
    "sphinxcontrib.bibtex",
    "sphinx.ext.mathjax",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.intersphinx",
    "nnbook_streams",
    "nnbook_parallel",
    "nnbook_renumber",
    "nnbook_numref",
    "nnbook_quiz",
    "nnbook_widgets",
    "nnbook_glossary",
    "nnbook_status",
    "nnbook_offline",
    "nnbook_citation",
    "nnbook_a11y",
    "nnbook_worksheets",
    "nnbook_api",
]

root_doc = "index"
exclude_patterns = [
    "_build",
    "**.ipynb_checkpoints",
    "README.md",
    "_templates",
    "_ext",
    "_inventories",
]
templates_path = ["_templates"]
suppress_warnings = ["mystnb.unknown_mime_type"]

# -- MyST and notebook execution -------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist", "attrs_inline"]
myst_heading_anchors = 3
nb_execution_mode = os.environ.get("NNBOOK_EXECUTION_MODE", "cache")
nb_execution_cache_path = str(nnbook_cache.cache_path(ROOT, os.environ.get("NNBOOK_CACHE_DIR")))
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True  # exactly, however the kernel split the text: nnbook_streams
nb_ipywidgets_js = {}  # no widget scripts from a CDN: the site is self-contained
nb_render_image_options = {}

# -- API reference (appendix/api.md) -------------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_typehints_format = "short"
python_maximum_signature_line_length = 88  # one parameter a line when longer
autodoc_default_options = {"members": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
# Links to JAX, NumPy and optax from inventories kept in the repository: a build never
# downloads (tools/make_inventories.py writes them).
intersphinx_mapping = {
    "jax": ("https://docs.jax.dev/en/latest/", "_inventories/jax.inv"),
    "numpy": ("https://numpy.org/doc/stable/", "_inventories/numpy.inv"),
    "optax": ("https://optax.readthedocs.io/en/latest/", "_inventories/optax.inv"),
}

# -- Numbering, so a course can cite "Figure 4.2" ---------------------------------
numfig = True
numfig_secnum_depth = 1
numfig_format = {
    "figure": "Figure %s",
    "table": "Table %s",
    "code-block": "Listing %s",
    "section": "Section %s",
}
math_numfig = True
math_eqref_format = "Eq. {number}"

# -- Bibliography ----------------------------------------------------------------
bibtex_bibfiles = ["references.bib"]
bibtex_default_style = "plain"
bibtex_reference_style = "author_year"

# -- HTML ------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "nnbook"
html_static_path = ["_static"]
html_favicon = "_static/favicon.svg"
html_css_files = ["nnbook.css"]
html_js_files = ["quiz.js"]
html_last_updated_fmt = None
html_show_sourcelink = False
html_copy_source = True
html_permalinks_icon = "¶"
html_theme_options = {
    "repository_url": f"https://github.com/{nnbook_repository}",
    "repository_branch": nnbook_branch,
    "path_to_docs": "docs",
    "use_repository_button": True,
    "use_download_button": True,
    "use_fullscreen_button": False,
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "icon_links": [],
}
html_context = {"default_mode": "auto"}
