"""Serve MathJax from the site itself, so pages load nothing from third-party hosts.

Sphinx's default MathJax comes from a CDN. We copy the MathJax 3 files shipped in the
``sphinx-mathjax-offline`` wheel (from PyPI, so no download at build time), and only
those a page can ask for: the TeX-to-CHTML bundle, its fonts and the TeX extensions it
may autoload. The full distribution is about 24 MB; this subset about 3 MB.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from sphinx.errors import ExtensionError

MATHJAX_BUNDLE = "tex-chtml.js"
SUBSET = (
    MATHJAX_BUNDLE,
    "input/tex/extensions",
    "output/chtml/fonts/woff-v2",
    "ui",
    "a11y",
    "adaptors",
)


def _mathjax_source() -> Path:
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None or not spec.submodule_search_locations:
        raise ExtensionError(
            "sphinx-mathjax-offline is not installed; it provides the local "
            "copy of MathJax (install the docs dependencies)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "static" / "mathjax"


def on_config_inited(app, config):
    config.mathjax_path = f"mathjax/{MATHJAX_BUNDLE}"


def on_build_finished(app, exc):
    if exc is not None or app.builder.format != "html":
        return
    source = _mathjax_source()
    target = Path(app.outdir) / "_static" / "mathjax"
    for item in SUBSET:
        src, dst = source / item, target / item
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        elif src.is_file():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)


def setup(app):
    _mathjax_source()  # fail at start-up, not after an hour of execution
    app.connect("config-inited", on_config_inited)
    app.connect("build-finished", on_build_finished)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
