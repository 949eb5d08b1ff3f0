"""nnbook: the tested reference code of the book *Neural Networks, from One Neuron to Many Devices*.

Each module is taught by a chapter (its docstring names which). Import the modules::

    from nnbook import layers, losses, optimizers, training

``nnbook.plotting`` (matplotlib helpers) and ``nnbook.book`` (support for executing the
chapters) are imported on demand, so ``import nnbook`` does not pull in matplotlib.
"""

from nnbook import (
    activations,
    backprop,
    datasets,
    initializers,
    layers,
    losses,
    neuron,
    optimizers,
    training,
)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "activations",
    "backprop",
    "datasets",
    "initializers",
    "layers",
    "losses",
    "neuron",
    "optimizers",
    "training",
]
