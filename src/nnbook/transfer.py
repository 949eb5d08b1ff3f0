"""Transfer learning with a frozen first layer, and small stratified subsets (chapter 17).

Chapter 17 ("Myths and what to read next") tests the myth that neural networks need
huge data. It trains the book's digit MLP (:mod:`nnbook.recipes`) on one task, digits
0-4, then keeps its first layer fixed as a **feature extractor** and trains only a new
output layer (a **head**) on another task, digits 5-9, from a few examples per class.
It compares that with the same network trained from scratch on the same few examples.
The pieces live here:

* :func:`stratified_subset`: the first ``per_class`` examples of each class after one
  shuffle drawn from a key, so that every data size is balanced and reproducible;
* :func:`relabel`: map the classes of a task (e.g. 5..9) to 0..k-1;
* :func:`extract_features`: ``relu(x W + b)`` of a trained first layer;
* :func:`freeze_and_retrain`: train a new linear head on those fixed features;
* :func:`train_from_scratch`: the same architecture, every layer trained;
* :func:`transfer_logits`: apply a (frozen layer, head) pair.

Training goes through :func:`nnbook.training.fit` with Adam and softmax
cross-entropy, like the rest of the book.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float, Int, PRNGKeyArray

from nnbook import layers, losses, optimizers, training
from nnbook._check_values import check_key, check_positive_int
from nnbook._checks import check_array


class TransferParams(NamedTuple):
    """A frozen feature layer and a trained head: logits = head(relu(features(x)))."""

    features: layers.Dense
    head: layers.Dense


def _check_xy(x: Any, y: Any) -> tuple[Array, np.ndarray]:
    x = check_array("x", x, ndim=2, allow_empty=False, shape_hint="(n, d)")
    y = np.asarray(check_array("y", y, ndim=1, dtype_kind="iu", shape_hint="(n,)"))
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"y: expected {x.shape[0]} labels (rows of x), got shape {y.shape}")
    return x, y


def _check_classes(classes: Any) -> tuple[int, ...]:
    if isinstance(classes, int | str) or not isinstance(classes, Sequence) or not classes:
        raise TypeError(f"classes: expected a non-empty sequence of class ids, got {classes!r}")
    out = tuple(int(c) for c in classes)
    if len(set(out)) != len(out):
        raise ValueError(f"classes: expected distinct class ids, got {classes!r}")
    return out


def stratified_subset(
    key: PRNGKeyArray,
    y: Int[ArrayLike, " n"],
    per_class: int,
    classes: Sequence[int] | None = None,
) -> np.ndarray:
    """Indices of ``per_class`` examples of every class, chosen by one shuffle from ``key``.

    rank = argsort(uniform(key, n));  keep, for each class c, its first per_class ranks

    The same key gives the same indices, and a larger ``per_class`` keeps every index of a
    smaller one (the subsets are nested), so a data-size sweep adds examples to the same
    set instead of drawing a new one. Indices come back sorted.

    Args:
        key: A ``jax.random.key``.
        y: Labels, shape (n,).
        per_class: Examples to keep from each class, ``>= 1``.
        classes: Classes to keep; ``None`` for every class present in ``y``.

    Returns:
        NumPy int array of ``per_class * len(classes)`` indices into ``y``.

    Raises:
        ValueError: When a class has fewer than ``per_class`` examples.

    Examples:
        >>> y = np.array([0, 1, 0, 1, 0, 1, 2])
        >>> idx = stratified_subset(jax.random.key(0), y, 2, classes=(0, 1))
        >>> np.bincount(y[idx]).tolist(), len(idx)
        ([2, 2], 4)
    """
    key = check_key("key", key)
    y = check_array("y", y, ndim=1, dtype_kind="iu", allow_empty=False, shape_hint="(n,)")
    y = np.asarray(y)
    per_class = check_positive_int("per_class", per_class)
    classes = tuple(np.unique(y).tolist()) if classes is None else _check_classes(classes)
    order = np.argsort(np.asarray(jax.random.uniform(key, (y.shape[0],))), kind="stable")
    picked = []
    for c in classes:
        members = order[y[order] == c]
        if members.shape[0] < per_class:
            raise ValueError(
                f"per_class: expected at most {members.shape[0]} (examples of class {c}), "
                f"got {per_class}"
            )
        picked.append(members[:per_class])
    return np.sort(np.concatenate(picked))


def relabel(y: Int[ArrayLike, " n"], classes: Sequence[int]) -> np.ndarray:
    """Map labels ``classes[i]`` to ``i``: a task's classes become 0..k-1.

    Examples:
        >>> relabel(np.array([5, 9, 7]), range(5, 10)).tolist()
        [0, 4, 2]
    """
    y = np.asarray(check_array("y", y, ndim=1, dtype_kind="iu", shape_hint="(n,)"))
    classes = _check_classes(list(classes))
    lookup = {c: i for i, c in enumerate(classes)}
    missing = sorted(set(np.unique(y).tolist()) - set(lookup))
    if missing:
        raise ValueError(f"y: expected labels among classes {classes}, got {missing}")
    return np.array([lookup[int(v)] for v in y], dtype=np.int32)


def extract_features(layer: layers.Dense, x: Float[ArrayLike, "n d"]) -> Float[Array, "n hidden"]:
    """The hidden ReLU activations of one (frozen) layer: ``relu(x W + b)``.

    Examples:
        >>> layer = layers.Dense(W=jnp.array([[1.0, -1.0]]), b=jnp.zeros(2))
        >>> extract_features(layer, jnp.array([[2.0]])).tolist()
        [[2.0, 0.0]]
    """
    if not isinstance(layer, layers.Dense):
        raise TypeError(f"layer: expected an nnbook.layers.Dense, got {type(layer).__name__}")
    x = check_array("x", x, ndim=2, allow_empty=False, shape_hint="(n, d)")
    if x.shape[1] != layer.W.shape[0]:
        raise ValueError(
            f"x: expected {layer.W.shape[0]} features per row (rows of layer.W), got {x.shape[1]}"
        )
    return jax.nn.relu(layers.dense(layer, x))


def transfer_logits(
    params: TransferParams, x: Float[ArrayLike, "n d"]
) -> Float[Array, "n n_classes"]:
    """Logits of the transferred network: ``head(relu(features(x)))``.

    Examples:
        >>> feat = layers.Dense(W=jnp.ones((3, 2)), b=jnp.zeros(2))
        >>> head = layers.Dense(W=jnp.eye(2), b=jnp.zeros(2))
        >>> transfer_logits(TransferParams(feat, head), jnp.ones((1, 3))).tolist()
        [[3.0, 3.0]]
    """
    if not isinstance(params, TransferParams):
        raise TypeError(f"params: expected a TransferParams, got {type(params).__name__}")
    return layers.dense(params.head, extract_features(params.features, x))


def _head_loss(head: layers.Dense, h: Array, y: ArrayLike) -> Array:
    return losses.softmax_cross_entropy(layers.dense(head, h), y)


def _mlp_loss(params: layers.MLPParams, x: Array, y: ArrayLike) -> Array:
    return losses.softmax_cross_entropy(layers.mlp(params, x), y)


@functools.lru_cache(maxsize=8)
def _adam(learning_rate: float) -> optimizers.GradientTransformation:
    # one object per rate, so that fit reuses its compiled epoch across calls
    return optimizers.adam(learning_rate)


def _check_training(y: np.ndarray, n_classes: Any, steps: Any, batch_size: Any, lr: Any):
    n_classes = check_positive_int("n_classes", n_classes)
    if y.min() < 0 or y.max() >= n_classes:
        raise ValueError(
            f"y: expected labels in [0, {n_classes}) (n_classes), "
            f"got {int(y.min())}..{int(y.max())}"
        )
    steps = check_positive_int("steps", steps)
    batch_size = check_positive_int("batch_size", batch_size)
    if isinstance(lr, bool) or not isinstance(lr, float | int) or not 0 < lr < np.inf:
        raise ValueError(f"learning_rate: expected a positive number, got {lr!r}")
    batch = min(batch_size, y.shape[0])
    epochs = max(1, -(-steps // (y.shape[0] // batch)))  # ceil: at least `steps` steps
    return n_classes, batch, epochs, float(lr)


def freeze_and_retrain(
    key: PRNGKeyArray,
    features: layers.Dense,
    x: Float[ArrayLike, "n d"],
    y: Int[ArrayLike, " n"],
    n_classes: int,
    *,
    steps: int = 300,
    batch_size: int = 32,
    learning_rate: float = 3e-3,
) -> tuple[TransferParams, training.FitResult]:
    """Keep a trained layer fixed and train only a new linear head on its features.

    h = relu(x W_f + b_f) (computed once, never differentiated);
    head_0 = init_dense(key, hidden, n_classes);  train head on (h, y) with Adam

    Only the head is handed to :func:`nnbook.training.fit`, so the frozen layer cannot
    change: it is returned as it came.

    Args:
        key: A ``jax.random.key`` (head initialisation and shuffling).
        features: The frozen first layer, e.g. ``params[0]`` of a trained digit MLP.
        x: Inputs, shape (n, d) with d = rows of ``features.W``.
        y: Labels in ``0..n_classes-1``, shape (n,).
        n_classes: Outputs of the new head.
        steps: At least this many Adam steps (whole epochs of ``n // batch`` steps).
        batch_size: Examples per step (at most n).
        learning_rate: Adam's step size.

    Returns:
        ``(TransferParams(features, head), FitResult)``; the result's params are the head's.

    Examples:
        >>> feat = layers.init_dense(jax.random.key(1), 4, 8)
        >>> x, y = jnp.eye(4), jnp.array([0, 1, 0, 1])
        >>> p, r = freeze_and_retrain(jax.random.key(0), feat, x, y, 2, steps=50)
        >>> p.features is feat, p.head.W.shape, float(transfer_logits(p, x).shape[1])
        (True, (8, 2), 2.0)
    """
    key = check_key("key", key)
    x, y = _check_xy(x, y)
    n_classes, batch, epochs, lr = _check_training(y, n_classes, steps, batch_size, learning_rate)
    h = jax.lax.stop_gradient(extract_features(features, x))
    head = layers.init_dense(jax.random.fold_in(key, 0), h.shape[1], n_classes)
    result = training.fit(
        jax.random.fold_in(key, 1),
        head,
        _head_loss,
        _adam(lr),
        h,
        jnp.asarray(y),
        epochs=epochs,
        batch_size=batch,
    )
    return TransferParams(features=features, head=result.params), result


def train_from_scratch(
    key: PRNGKeyArray,
    x: Float[ArrayLike, "n d"],
    y: Int[ArrayLike, " n"],
    n_classes: int,
    *,
    hidden: int = 256,
    steps: int = 300,
    batch_size: int = 32,
    learning_rate: float = 3e-3,
    first_layer: layers.Dense | None = None,
) -> tuple[layers.MLPParams, training.FitResult]:
    """The same ``d -> hidden -> n_classes`` ReLU network, every layer trained from He init.

    params_0 = init_mlp(fold_in(key, 0), (d, hidden, n_classes));  Adam on all of it

    The baseline for :func:`freeze_and_retrain`: same architecture, same steps, same
    data, only nothing is reused. With ``first_layer`` the network starts from that
    trained layer instead and trains it further: **fine-tuning**. Apply with
    ``nnbook.layers.mlp``.

    Examples:
        >>> x, y = jnp.eye(4), jnp.array([0, 1, 0, 1])
        >>> p, r = train_from_scratch(jax.random.key(0), x, y, 2, hidden=8, steps=20)
        >>> [layer.W.shape for layer in p]
        [(4, 8), (8, 2)]
    """
    key = check_key("key", key)
    x, y = _check_xy(x, y)
    hidden = check_positive_int("hidden", hidden)
    n_classes, batch, epochs, lr = _check_training(y, n_classes, steps, batch_size, learning_rate)
    params = layers.init_mlp(
        jax.random.fold_in(key, 0),
        (x.shape[1], hidden, n_classes),  # He normal
    )
    if first_layer is not None:  # fine-tuning: start from a trained layer, train it too
        if not isinstance(first_layer, layers.Dense):
            raise TypeError(
                f"first_layer: expected an nnbook.layers.Dense, got {type(first_layer).__name__}"
            )
        if first_layer.W.shape != params[0].W.shape or first_layer.b.shape != params[0].b.shape:
            raise ValueError(
                f"first_layer: expected W of shape {params[0].W.shape} (d, hidden), "
                f"got {first_layer.W.shape}"
            )
        params = (first_layer, params[1])
    result = training.fit(
        jax.random.fold_in(key, 1),
        params,
        _mlp_loss,
        _adam(lr),
        x,
        jnp.asarray(y),
        epochs=epochs,
        batch_size=batch,
    )
    return result.params, result
