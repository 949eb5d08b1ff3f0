"""Looking inside a trained classifier: its mistakes and the pixels it uses (chapter 9).

Chapter 9 ("Handwritten digits") teaches these tools on an MLP trained on MNIST;
chapters 12 and 17 reuse them on other networks. Every function takes the model as
``apply_fn(params, x) -> logits`` with ``x`` of shape (n, d), so it works for any
network that scores each example on its own (no batch statistics).

* :func:`confusion_matrix` and :func:`most_confident_mistakes`: what goes wrong.
* :func:`input_gradients`, :func:`pixel_importance`, :func:`class_importance`: the
  gradient of a class score with respect to the input, the simplest saliency map
  (Simonyan, Vedaldi & Zisserman 2014), averaged in absolute value over images.
* :func:`region_share`: how much of an importance map lies inside a central window.
* :func:`ablation_curve`: a check that the map means something: accuracy after
  blanking each image's most important inked pixels, against as many random inked
  ones ("pixel flipping", Samek et al. 2017).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float, Int, PRNGKeyArray

from nnbook._checks import check_array, check_finite, check_positive_int


class Mistakes(NamedTuple):
    """Wrongly classified examples, most confident first (NumPy arrays of equal length)."""

    # The field shadows tuple.index; the name is public (chapter 9 reads mistakes.index).
    index: Int[np.ndarray, " k"]  # type: ignore[assignment]  # position in the data set
    predicted: Int[np.ndarray, " k"]  # the class the model chose
    true: Int[np.ndarray, " k"]  # the label
    confidence: Float[np.ndarray, " k"]  # softmax probability of the predicted class


class Ablation(NamedTuple):
    """Accuracy after blanking ``k`` inked pixels per image, for each ``k`` in ``ks``."""

    ks: Int[np.ndarray, " m"]
    important: Float[np.ndarray, " m"]  # the k inked pixels of highest importance removed
    random: Float[np.ndarray, " m"]  # k inked pixels drawn at random removed
    mean_inked: float  # average number of inked pixels per image


def _labels(name: str, y: ArrayLike, n: int | None = None) -> np.ndarray:
    """A 1-D integer NumPy array of non-negative labels (of length ``n`` when given)."""
    arr = np.asarray(check_array(name, y, ndim=1, dtype_kind="iu", shape_hint="(n,)"))
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name}: expected {n} labels (one per example), got shape {arr.shape}")
    if arr.size and arr.min() < 0:
        raise ValueError(f"{name}: expected labels >= 0, got {int(arr.min())}")
    return arr.astype(np.int64)


def _check_apply(apply_fn: Any) -> None:
    if not callable(apply_fn):
        raise TypeError(
            f"apply_fn: expected a function apply_fn(params, x) -> logits, got {apply_fn!r}"
        )


def _inputs(x: ArrayLike) -> Array:
    x = check_array("x", x, ndim=2, allow_empty=False, shape_hint="(n, d): one image per row")
    return check_finite("x", x)


def confusion_matrix(
    y_true: Int[ArrayLike, " n"], y_pred: Int[ArrayLike, " n"], n_classes: int | None = None
) -> Int[np.ndarray, "n_classes n_classes"]:
    """Count how often each true class (row) was predicted as each class (column).

    C[i, j] = #{n : y_true_n = i and y_pred_n = j}

    Args:
        y_true: Labels, integers in ``[0, n_classes)``.
        y_pred: Predicted classes, same shape.
        n_classes: Number of classes; ``None`` for ``1 + max(y_true, y_pred)``.

    Returns:
        An int64 array; the diagonal counts the correct predictions, each row sums to
        the number of examples of that class.

    Examples:
        >>> confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2]).tolist()
        [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    """
    y_true = _labels("y_true", y_true)
    y_pred = _labels("y_pred", y_pred, n=y_true.shape[0])
    largest = int(max(y_true.max(initial=0), y_pred.max(initial=0)))
    if n_classes is None:
        n_classes = largest + 1
    n_classes = check_positive_int("n_classes", n_classes)
    for name, arr in (("y_true", y_true), ("y_pred", y_pred)):
        if arr.size and arr.max() >= n_classes:
            raise ValueError(
                f"{name}: expected labels in [0, {n_classes}) (n_classes={n_classes}), "
                f"got {int(arr.max())}"
            )
    counts = np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes)
    return counts.reshape(n_classes, n_classes)


def most_confident_mistakes(
    logits: Float[ArrayLike, "n k"], y: Int[ArrayLike, " n"], k: int = 12
) -> Mistakes:
    """The ``k`` wrongly classified examples on which the model was most sure of itself.

    confidence_n = max_c softmax(logits_n)_c, over the n with argmax_c logits_n ≠ y_n

    Args:
        logits: Class scores, shape (n, classes).
        y: Labels, shape (n,).
        k: How many mistakes to return at most (fewer if there are fewer).

    Returns:
        :class:`Mistakes`, sorted by decreasing confidence (ties: lower index first).

    Examples:
        >>> logits = jnp.array([[3.0, 0.0], [0.0, 1.0], [0.0, 4.0]])
        >>> m = most_confident_mistakes(logits, jnp.array([0, 0, 0]), k=5)
        >>> m.index.tolist(), m.predicted.tolist(), m.confidence.round(3).tolist()
        ([2, 1], [1, 1], [0.982, 0.731])
    """
    logits = check_finite(
        "logits",
        check_array("logits", logits, ndim=2, allow_empty=False, shape_hint="(n, classes)"),
    )
    y = _labels("y", y, n=logits.shape[0])
    if y.max() >= logits.shape[1]:
        raise ValueError(
            f"y: expected labels in [0, {logits.shape[1]}) (columns of logits), got {int(y.max())}"
        )
    k = check_positive_int("k", k)
    probs = np.asarray(jax.nn.softmax(logits, axis=-1), np.float64)
    predicted = probs.argmax(axis=1)
    confidence = probs.max(axis=1)
    wrong = np.flatnonzero(predicted != y)
    order = wrong[np.argsort(-confidence[wrong], kind="stable")][:k]
    return Mistakes(order, predicted[order], y[order], confidence[order])


@functools.lru_cache(maxsize=32)
def _gradient_fn(apply_fn: Callable) -> Callable:
    """Jitted ∂ logits[n, target_n] / ∂ x_n for every n, in ONE backward pass.

    Each example's score depends only on its own row of x, so the gradient of the sum
    of the scores with respect to x holds every per-example gradient.
    """

    def total_score(x, params, target):
        logits = apply_fn(params, x)
        return jnp.take_along_axis(logits, target[:, None], axis=1).sum()

    def grads(params, x, target):
        logits = apply_fn(params, x)
        target = jnp.where(target < 0, jnp.argmax(logits, axis=-1), target)  # -1: predicted
        return jax.grad(total_score)(x, params, target)

    return jax.jit(grads)


def _targets(target: Any, n: int, n_out: int) -> Array:
    if target is None:
        return jnp.full((n,), -1, jnp.int32)
    if isinstance(target, bool):
        raise TypeError(
            f"target: expected None, a class index or (n,) class indices, got {target!r}"
        )
    if isinstance(target, int | np.integer):
        target = np.full((n,), int(target))
    t = _labels("target", target, n=n)
    if t.max() >= n_out:
        raise ValueError(
            f"target: expected classes in [0, {n_out}) (model outputs), got {int(t.max())}"
        )
    return jnp.asarray(t, jnp.int32)


def input_gradients(
    apply_fn: Callable,
    params: Any,
    x: Float[ArrayLike, "n d"],
    target: int | Int[ArrayLike, " n"] | None = None,
) -> Float[Array, "n d"]:
    """Gradient of one class score (logit) of each example with respect to its input.

    g_n = ∂ s_{t_n}(x_n) / ∂ x_n,  s = apply_fn(params, ·),  t_n = target or argmax_c s_c(x_n)

    The score is the logit, before softmax: a probability near 1 is flat in every
    direction and would hide what the network reacts to.

    Args:
        apply_fn: ``apply_fn(params, x) -> logits`` of shape (n, classes).
        params: The model's parameters.
        x: Inputs, shape (n, d), for example flattened 28x28 images.
        target: Whose score: ``None`` for each example's predicted class, one class
            index for all, or (n,) class indices.

    Returns:
        Array of shape (n, d), same layout as ``x``.

    Examples:
        >>> W = jnp.array([[1.0, -2.0], [3.0, 0.5]])  # a linear model: logits = x @ W
        >>> input_gradients(lambda W, x: x @ W, W, jnp.ones((1, 2)), target=1).tolist()
        [[-2.0, 0.5]]
    """
    _check_apply(apply_fn)
    x = _inputs(x)
    n_out = jax.eval_shape(apply_fn, params, x).shape
    if len(n_out) != 2 or n_out[0] != x.shape[0]:
        raise ValueError(f"apply_fn: expected logits of shape ({x.shape[0]}, classes), got {n_out}")
    return _gradient_fn(apply_fn)(params, x, _targets(target, x.shape[0], n_out[1]))


def pixel_importance(
    apply_fn: Callable,
    params: Any,
    x: Float[ArrayLike, "n d"],
    target: int | Int[ArrayLike, " n"] | None = None,
) -> Float[np.ndarray, " d"]:
    """Mean absolute gradient of the (predicted) class score over a set of inputs.

    importance_i = (1/n) Σ_n abs(∂ s_{t_n}(x_n) / ∂ x_{n,i})

    Large where a small change of the pixel would move the score, whether or not the
    pixel is inked: it says what the network is sensitive to, not what it saw.

    Args:
        apply_fn: ``apply_fn(params, x) -> logits``.
        params: The model's parameters.
        x: Inputs, shape (n, d).
        target: As in :func:`input_gradients` (default: each example's predicted class).

    Returns:
        NumPy array of shape (d,): reshape to (28, 28) to draw it.

    Examples:
        >>> W = jnp.array([[1.0, -2.0], [3.0, 0.5]])
        >>> x = jnp.array([[1.0, 0.0], [0.0, 1.0]])  # predicted classes: 0, then 0
        >>> pixel_importance(lambda W, x: x @ W, W, x).tolist()
        [1.0, 3.0]
    """
    return np.asarray(jnp.abs(input_gradients(apply_fn, params, x, target)).mean(axis=0))


def class_importance(
    apply_fn: Callable,
    params: Any,
    x: Float[ArrayLike, "n d"],
    y: Int[ArrayLike, " n"],
    n_classes: int | None = None,
) -> Float[np.ndarray, "n_classes d"]:
    """One importance map per class: mean abs(∂ s_c / ∂ x) over the examples of class c.

    M_{c,i} = mean_{n : y_n = c} abs(∂ s_c(x_n) / ∂ x_{n,i})

    Args:
        apply_fn: ``apply_fn(params, x) -> logits``.
        params: The model's parameters.
        x: Inputs, shape (n, d).
        y: Labels, shape (n,); the score differentiated is the one of the true class.
        n_classes: Number of classes; ``None`` for the number of logits.

    Returns:
        NumPy array of shape (n_classes, d).

    Raises:
        ValueError: When a class has no example in ``y``.

    Examples:
        >>> W = jnp.array([[1.0, -2.0], [3.0, 0.5]])
        >>> x, y = jnp.eye(2), jnp.array([0, 1])  # class c: abs(column c of W)
        >>> class_importance(lambda W, x: x @ W, W, x, y).tolist()
        [[1.0, 3.0], [2.0, 0.5]]
    """
    _check_apply(apply_fn)
    x = _inputs(x)
    y = _labels("y", y, n=x.shape[0])
    n_out = jax.eval_shape(apply_fn, params, x).shape[-1]
    n_classes = n_out if n_classes is None else check_positive_int("n_classes", n_classes)
    if y.max() >= min(n_classes, n_out):
        raise ValueError(
            f"y: expected labels in [0, {min(n_classes, n_out)}) (classes), got {int(y.max())}"
        )
    g = np.abs(np.asarray(input_gradients(apply_fn, params, x, target=y)))
    counts = np.bincount(y, minlength=n_classes)
    if (counts == 0).any():
        raise ValueError(
            f"y: expected at least one example of every class 0..{n_classes - 1}, "
            f"got none of class {int(np.flatnonzero(counts == 0)[0])}"
        )
    sums = np.zeros((n_classes, x.shape[1]))
    np.add.at(sums, y, g)
    return sums / counts[:, None]


def region_share(
    importance: Float[ArrayLike, "*n d"], shape: tuple[int, int] = (28, 28), border: int = 4
) -> float | Float[np.ndarray, " n"]:
    """Share of an importance map's total inside the central window, ``border`` pixels in.

    share = Σ_{centre} M / Σ_{all} M,  centre = rows and columns border .. size - border - 1

    Args:
        importance: One non-negative map (h * w,) or (h, w), or maps (n, h * w).
        shape: (h, w) of an image.
        border: Width of the frame left out, ``0 <= border < min(h, w) / 2``.

    Returns:
        A float for one map, an (n,) NumPy array for several.

    Examples:
        >>> region_share(np.ones(28 * 28), border=4)  # 20 * 20 of the 784 pixels
        0.5102040816326531
    """
    h, w = (check_positive_int(f"shape[{i}]", s) for i, s in enumerate(shape))
    m = np.asarray(check_array("importance", importance, ndim=(1, 2, 3)), np.float64)
    if m.ndim == 2 and m.shape == (h, w):
        m = m.reshape(-1)
    if m.shape[-1] != h * w:
        raise ValueError(
            f"importance: expected maps of {h * w} pixels (shape={shape}), got shape {m.shape}"
        )
    if (m < 0).any():
        raise ValueError(
            "importance: expected non-negative values (absolute gradients), got negatives"
        )
    if (
        isinstance(border, bool)
        or not isinstance(border, int | np.integer)
        or not 0 <= border < min(h, w) / 2
    ):
        raise ValueError(
            f"border: expected an integer in [0, {(min(h, w) - 1) // 2}], got {border!r}"
        )
    maps = m.reshape(-1, h, w)
    centre = maps[:, border : h - border, border : w - border].sum(axis=(1, 2))
    share = centre / maps.sum(axis=(1, 2))
    return float(share[0]) if m.ndim == 1 else share


@functools.lru_cache(maxsize=32)
def _ablation_fn(apply_fn: Callable) -> Callable:
    """Jitted accuracies for every k, for the given ranking and a random one (one compile)."""

    def ranks(scores, inked):
        # rank 0 for each image's highest-scoring inked pixel, 1 for the next, ...
        order = jnp.argsort(-jnp.where(inked, scores, -jnp.inf), axis=1, stable=True)
        return jnp.argsort(order, axis=1)

    def curves(params, x, y, scores, key, ks, threshold, fill):
        inked = x > threshold
        both = (ranks(scores, inked), ranks(jax.random.uniform(key, x.shape), inked))

        def accuracy_after(k):
            def one(rank):
                removed = inked & (rank < k)  # the k highest-ranked inked pixels of each image
                logits = apply_fn(params, jnp.where(removed, fill, x))
                return jnp.mean(jnp.argmax(logits, axis=-1) == y)

            return jnp.stack([one(r) for r in both])

        mean_inked = jnp.sum(inked) / x.shape[0]
        return jax.lax.map(accuracy_after, ks), mean_inked  # (m, 2): one k at a time

    return jax.jit(curves)


def ablation_curve(
    apply_fn: Callable,
    params: Any,
    x: Float[ArrayLike, "n d"],
    y: Int[ArrayLike, " n"],
    ks: Sequence[int],
    key: PRNGKeyArray,
    *,
    importance: Float[ArrayLike, "n d"] | None = None,
    threshold: float = 0.0,
    fill: float = 0.0,
) -> Ablation:
    """Accuracy after blanking the ``k`` most important inked pixels, against ``k`` random ones.

    For each image, the inked pixels (``x > threshold``) are ranked by ``importance``
    (default: abs(∂ s_pred / ∂ x) of that image, :func:`input_gradients`); the first ``k``
    are set to ``fill``. The baseline blanks ``k`` inked pixels drawn at random (one
    draw per image from ``key``). An image with fewer than ``k`` inked pixels loses
    all of them in both. If the importance means something, accuracy should fall
    faster for the important pixels than for the random ones.

    Args:
        apply_fn: ``apply_fn(params, x) -> logits``.
        params: The model's parameters.
        x: Inputs, shape (n, d), background 0 (or ``fill``).
        y: Labels, shape (n,).
        ks: Numbers of pixels to remove, each in ``[0, d]``.
        key: ``jax.random.key`` for the random baseline.
        importance: Optional per-image scores (n, d) to rank by instead of the gradient.
        threshold: A pixel counts as inked when its value is above this.
        fill: The value a removed pixel gets (the background).

    Returns:
        :class:`Ablation` with one accuracy per ``k`` for each ranking.

    Examples:
        >>> W = jnp.array([[1.0, 0.0], [0.0, 1.0], [2.0, 0.0]])   # pixel 2 matters most
        >>> x, y = jnp.array([[1.0, 1.5, 1.0]]), jnp.array([0])
        >>> res = ablation_curve(lambda W, x: x @ W, W, x, y, [0, 1], jax.random.key(0))
        >>> res.important.tolist(), res.mean_inked
        ([1.0, 0.0], 3.0)
    """
    _check_apply(apply_fn)
    x = _inputs(x)
    n, d = x.shape
    y = _labels("y", y, n=n)
    if isinstance(ks, int | np.integer) or isinstance(ks, str):
        raise TypeError(f"ks: expected a sequence of pixel counts such as [0, 10, 20], got {ks!r}")
    ks_arr = np.asarray(ks)
    if ks_arr.ndim != 1 or ks_arr.size == 0 or not np.issubdtype(ks_arr.dtype, np.integer):
        raise ValueError(f"ks: expected a non-empty 1-D sequence of integers, got {ks!r}")
    if ks_arr.min() < 0 or ks_arr.max() > d:
        raise ValueError(
            f"ks: expected pixel counts in [0, {d}] (pixels per image), "
            f"got {ks_arr.min()}..{ks_arr.max()}"
        )
    if importance is None:
        scores = jnp.abs(input_gradients(apply_fn, params, x))
    else:
        scores = check_finite("importance", check_array("importance", importance, ndim=2))
        if scores.shape != x.shape:
            raise ValueError(f"importance: expected shape {x.shape} (like x), got {scores.shape}")
    acc, mean_inked = _ablation_fn(apply_fn)(
        params,
        x,
        jnp.asarray(y, jnp.int32),
        scores,
        key,
        jnp.asarray(ks_arr, jnp.int32),
        jnp.asarray(threshold, x.dtype),
        jnp.asarray(fill, x.dtype),
    )
    acc = np.asarray(acc, np.float64)
    return Ablation(ks_arr.astype(np.int64), acc[:, 0], acc[:, 1], float(mean_inked))
