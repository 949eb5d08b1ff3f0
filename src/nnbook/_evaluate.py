"""``evaluate``: loss and accuracy of a classifier, part of :mod:`nnbook.training`.

Import it from there (``from nnbook.training import evaluate``); it lives apart so that
``training.py`` stays short. Chapter 7 introduces it with ``fit``.
"""

import functools
from collections.abc import Callable
from typing import Any

import jax
from jaxtyping import ArrayLike

from nnbook._fit_checks import check_labels_for, check_xy
from nnbook.losses import accuracy, binary_cross_entropy_with_logits, softmax_cross_entropy


@functools.lru_cache(maxsize=32)
def metrics_fn(apply_fn: Callable) -> Callable:
    def metrics(params, x, y):
        logits = apply_fn(params, x)
        if logits.ndim == 1 or logits.shape[-1] == 1:  # one logit column: binary task
            return binary_cross_entropy_with_logits(logits, y), accuracy(logits, y)
        return softmax_cross_entropy(logits, y), accuracy(logits, y)

    return jax.jit(metrics)


def evaluate(apply_fn: Callable, params: Any, x: ArrayLike, y: ArrayLike) -> dict[str, float]:
    """Loss and accuracy of ``apply_fn(params, x)`` logits on labelled data.

    loss = mean_n L(apply_fn(params, x_n), y_n),  accuracy = mean_n [prediction_n = y_n]

    L is softmax cross-entropy with argmax predictions for k > 1 logit columns (integer
    labels), binary cross-entropy with ``logit > 0`` predictions for a single column.

    Args:
        apply_fn: ``apply_fn(params, x) -> logits`` of shape (n, k) or (n, 1).
        params: The model's parameters.
        x: Inputs, shape (n, ...).
        y: Labels, shape (n,): class ids, or 0/1 for a single logit column.

    Returns:
        ``{"loss": float, "accuracy": float}``.

    Raises:
        ValueError: When a label is out of range for the logits (a class id outside
            ``[0, k)``, or a binary label outside ``[0, 1]``), before computing anything.

    Examples:
        >>> import jax.numpy as jnp
        >>> from nnbook.layers import Dense
        >>> params = Dense(W=jnp.array([[1.0], [-1.0]]), b=jnp.zeros(1))
        >>> out = evaluate(lambda p, x: x @ p.W + p.b, params, jnp.eye(2), jnp.array([1, 0]))
        >>> round(out["loss"], 4), out["accuracy"]
        (0.3133, 1.0)
    """
    if not callable(apply_fn):
        raise TypeError(f"apply_fn: expected a function apply_fn(params, x), got {apply_fn!r}")
    x, y = check_xy(x, y)
    check_labels_for(apply_fn, params, x, y, "y")
    loss, acc = metrics_fn(apply_fn)(params, x, y)
    return {"loss": float(loss), "accuracy": float(acc)}
