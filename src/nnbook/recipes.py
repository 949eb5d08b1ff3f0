"""The book's standard digit classifier, trained in one call (chapter 9; reused in 10-17).

Chapter 9 ("Handwritten digits") trains a multilayer perceptron on the 28x28 MNIST
digits and on the 8x8 digits of Part I with the same recipe; later chapters compare
their own models (a convolutional network in chapter 12, a transferred first layer
in chapter 17) against it. Keeping the recipe here means every chapter trains exactly
the same baseline:

* architecture: ``d_in -> hidden... -> 10`` ReLU MLP (:func:`nnbook.layers.init_mlp`,
  He-normal weights, zero biases), logits out;
* loss: softmax cross-entropy (:func:`nnbook.losses.softmax_cross_entropy`);
* optimizer: Adam (:func:`nnbook.optimizers.adam`), learning rate 3e-3 (any other
  ``(init, update)`` pair can be passed instead, as chapter 9 does with momentum);
* training: :func:`nnbook.training.fit`, mini-batches of 64, a new shuffle every epoch,
  and a number of epochs sized by the data (:func:`default_epochs`), so that the
  5,000-digit subset and full MNIST both train in seconds.

The first call for a given shape compiles the training program (about a second); later
calls with the same shapes, batch size and learning rate reuse it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import jax
import numpy as np
from jaxtyping import Array, ArrayLike, Float, Int, PRNGKeyArray

from nnbook import layers, losses, optimizers, training
from nnbook._checks import check_array, check_positive_int

#: Hidden widths of the recipe's default network: one layer of 256 ReLU units.
DIGIT_MLP_HIDDEN: tuple[int, ...] = (256,)
#: Examples the default schedule aims to show the network (about 40,000).
EXAMPLES_PER_RUN: int = 40_000


def default_epochs(n_train: int, *, lo: int = 5, hi: int = 30) -> int:
    """Epochs for about :data:`EXAMPLES_PER_RUN` training examples, clipped to [lo, hi].

    epochs = clip(40_000 // n_train, lo, hi)

    Small sets get more passes (the 3,500 training images of the 5,000-digit subset:
    11 epochs; the 1,347 8x8 digits: 29); full MNIST's 55,000 get the minimum of 5,
    after which its test accuracy changes little with this recipe.

    Examples:
        >>> default_epochs(3500), default_epochs(55000), default_epochs(1347)
        (11, 5, 29)
    """
    n_train = check_positive_int("n_train", n_train)
    lo, hi = check_positive_int("lo", lo), check_positive_int("hi", hi)
    if lo > hi:
        raise ValueError(f"lo: expected lo <= hi, got lo={lo} and hi={hi}")
    return int(np.clip(EXAMPLES_PER_RUN // n_train, lo, hi))


def digit_mlp_loss(
    params: layers.MLPParams, x: Float[ArrayLike, "batch d"], y: Int[ArrayLike, " batch"]
) -> Float[Array, ""]:
    """Mean softmax cross-entropy of the MLP's logits: the loss the recipe minimises.

    L = -(1/B) Σ_b log softmax(mlp(params, x_b))_{y_b}

    Examples:
        >>> params = layers.init_mlp(jax.random.key(0), (4, 3, 10))
        >>> x, y = jax.numpy.zeros((2, 4)), jax.numpy.array([0, 1])
        >>> round(float(digit_mlp_loss(params, x, y)), 4)  # equal logits: ln 10
        2.3026
    """
    return losses.softmax_cross_entropy(layers.mlp(params, x), y)


def init_digit_mlp(
    key: PRNGKeyArray, n_in: int, hidden: Sequence[int] = DIGIT_MLP_HIDDEN
) -> layers.MLPParams:
    """The untrained network that :func:`train_digit_mlp` with the same ``key`` starts from.

    ``params_0 = init_mlp(fold_in(key, 0), (n_in, *hidden, 10))``, He-normal weights

    Useful to compare a trained network with its own starting point.

    Examples:
        >>> p0 = init_digit_mlp(jax.random.key(0), 784, hidden=(32,))
        >>> [layer.W.shape for layer in p0]
        [(784, 32), (32, 10)]
    """
    n_in = check_positive_int("n_in", n_in)
    hidden = _check_hidden(hidden)
    return layers.init_mlp(
        jax.random.fold_in(key, 0), (n_in, *hidden, 10)
    )  # He normal, the default


def _check_hidden(hidden: Any) -> tuple[int, ...]:
    if isinstance(hidden, int | str) or not isinstance(hidden, Sequence):
        raise TypeError(
            f"hidden: expected a sequence of layer widths such as (256,), got {hidden!r}"
        )
    return tuple(check_positive_int(f"hidden[{i}]", h) for i, h in enumerate(hidden))


@functools.lru_cache(maxsize=16)
def _adam(learning_rate: float) -> optimizers.GradientTransformation:
    # One optimizer object per learning rate: fit caches its compiled epochs per
    # (loss_fn, optimizer), so reusing the object reuses the compiled program.
    return optimizers.adam(learning_rate)


def _check_data(data: Any) -> tuple[Array, np.ndarray]:
    if not (hasattr(data, "x_train") and hasattr(data, "y_train")):
        raise TypeError(
            "data: expected an object with x_train and y_train, such as nnbook.mnist.load() "
            f"or nnbook.datasets.load_digits(), got {type(data).__name__}"
        )
    x = check_array("data.x_train", data.x_train, ndim=2, allow_empty=False, shape_hint="(n, d)")
    y = np.asarray(check_array("data.y_train", data.y_train, ndim=1, dtype_kind="iu"))
    if y.shape[0] != x.shape[0]:
        raise ValueError(
            f"data.y_train: expected {x.shape[0]} labels (rows of data.x_train), got {y.shape}"
        )
    if y.min() < 0 or y.max() > 9:
        raise ValueError(
            f"data.y_train: expected digit labels in 0..9, got {int(y.min())}..{int(y.max())}"
        )
    return x, y


def train_digit_mlp(
    key: PRNGKeyArray,
    data: Any,
    *,
    hidden: Sequence[int] = DIGIT_MLP_HIDDEN,
    epochs: int | None = None,
    batch_size: int = 64,
    learning_rate: float = 3e-3,
    optimizer: optimizers.GradientTransformation | None = None,
) -> tuple[layers.MLPParams, training.FitResult]:
    """Train the book's digit MLP on ``data.x_train``, ``data.y_train``.

    params_0 = init_digit_mlp(key, d, hidden);  then ``fit`` with Adam on softmax
    cross-entropy, shuffling with fold_in(key, 1)

    Apply the result with ``nnbook.layers.mlp(params, x)`` (logits); measure it with
    ``nnbook.training.evaluate(nnbook.layers.mlp, params, x, y)``.

    Args:
        key: A ``jax.random.key``; the same key gives the same network.
        data: Anything with ``x_train`` (n, d) floats and ``y_train`` (n,) labels in
            0..9: :func:`nnbook.mnist.load` (d = 784) or
            :func:`nnbook.datasets.load_digits` (d = 64). Nothing else is read, so the
            validation and test images stay untouched.
        hidden: Widths of the hidden ReLU layers, e.g. ``(256,)`` or ``(128, 128)``.
        epochs: Passes over the training set; ``None`` for :func:`default_epochs`.
        batch_size: Examples per Adam step (the last incomplete batch of each epoch
            is dropped).
        learning_rate: Adam's step size (ignored when ``optimizer`` is given).
        optimizer: Another optimizer to use instead of Adam, such as
            ``nnbook.optimizers.momentum(0.05)``. Pass the same object to several calls
            to reuse the compiled training program.

    Returns:
        ``(params, result)``: the trained parameters (a tuple of
        :class:`~nnbook.layers.Dense`) and the full :class:`~nnbook.training.FitResult`
        (its ``history.step_loss`` and ``history.epoch_loss`` are the training losses).

    Examples:
        >>> from nnbook.datasets import load_digits
        >>> params, result = train_digit_mlp(jax.random.key(0), load_digits(), hidden=(32,),
        ...                                  epochs=3)
        >>> [layer.W.shape for layer in params], result.history.epoch_loss.shape
        ([(64, 32), (32, 10)], (3,))
    """
    x, y = _check_data(data)
    hidden = _check_hidden(hidden)
    epochs = default_epochs(x.shape[0]) if epochs is None else check_positive_int("epochs", epochs)
    batch_size = check_positive_int("batch_size", batch_size)
    if batch_size > x.shape[0]:
        raise ValueError(
            f"batch_size: expected at most {x.shape[0]} (training images), got {batch_size}"
        )
    if (
        isinstance(learning_rate, bool)
        or not isinstance(learning_rate, float | int)
        or not (0 < learning_rate < np.inf)
    ):
        raise ValueError(f"learning_rate: expected a positive number, got {learning_rate!r}")
    if optimizer is not None and not (
        callable(getattr(optimizer, "init", None)) and callable(getattr(optimizer, "update", None))
    ):
        raise TypeError(
            f"optimizer: expected an (init, update) pair such as nnbook.optimizers.momentum(0.05), "
            f"got {type(optimizer).__name__}"
        )
    params = init_digit_mlp(key, x.shape[1], hidden)
    result = training.fit(
        jax.random.fold_in(key, 1),
        params,
        digit_mlp_loss,
        _adam(float(learning_rate)) if optimizer is None else optimizer,
        x,
        y,
        epochs=epochs,
        batch_size=batch_size,
    )
    return result.params, result
