"""nnbook: the tested reference code of the book *Neural Networks, from One Neuron to Many Devices*.

Each module is taught by a chapter (its docstring names which). Import the modules::

    from nnbook import layers, losses, optimizers, training

Submodules load on first use (``nnbook.layers`` works after a bare ``import nnbook``),
so ``import nnbook`` itself is cheap and a chapter loads only the modules it uses. The
book's execution cache relies on that: a chapter runs again only when a module it
actually imported has changed (``docs/_ext/nnbook_cache.py``).

One subpackage is not reference code: :mod:`nnbook.book` is the book's runtime (chapter
setup and glue, small tables, the data of the interactive figures), which the chapters'
hidden cells call and no chapter teaches. ``nnbook.book`` loads on use like the others
but is left out of ``__all__``, which lists only the modules a reader studies.
"""

import importlib
from typing import Any

__version__ = "0.1.0"

# The reference modules a reader studies, in the order the book teaches them. Not listed:
# the runtime nnbook.book, the plot helpers nnbook.plotting, the script fetch_mnist.
__all__ = [
    "__version__",
    # Parts I-II
    "activations",
    "neuron",
    "datasets",
    "initializers",
    "layers",
    "losses",
    "backprop",
    "optimizers",
    "training",
    # Part III
    "mnist",
    "recipes",
    "interpret",
    "regularization",
    "depth",
    # Part IV
    "conv",
    "recurrent",
    "attention",
    # Part V-VI
    "timing",
    "hardware",
    "parallel",
    "distributed",
    "transfer",
]


def __getattr__(name: str) -> Any:
    """Import ``nnbook.<name>`` on first access (PEP 562)."""
    if name.startswith("_"):
        raise AttributeError(name)
    try:
        return importlib.import_module(f"nnbook.{name}")
    except ModuleNotFoundError as err:
        if err.name != f"nnbook.{name}":
            raise
        raise AttributeError(f"module 'nnbook' has no attribute {name!r}") from None
