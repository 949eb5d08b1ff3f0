"""Regularization: dropout, weight decay, early stopping, noisy labels (chapter 10).

Chapter 10 ("Generalization and overfitting") makes a network memorise a small
training set on purpose and then narrows the gap between training and test accuracy
with the tools here:

* :func:`dropout`: inverted dropout with an explicit key, switched off for evaluation;
  :func:`mlp_dropout` is the MLP of :mod:`nnbook.layers` with dropout on its inputs and
  hidden units (Srivastava et al. 2014).
* :func:`l2_penalty`: half the squared length of the weight matrices; adding
  ``lam * l2_penalty(params)`` to a loss is weight decay (Krogh & Hertz 1992).
* :func:`early_stopping`: the best epoch of a validation history, optionally with the
  "patience" rule (Prechelt 1998).
* :func:`flip_labels`: replace a share of the labels with wrong ones, to make
  memorisation visible (Zhang et al. 2017 trained networks on random labels).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, cast

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Float, Int, Real

from nnbook._checks import check_array, check_finite, check_key, check_positive_int, is_tracer
from nnbook.activations import get_activation
from nnbook.layers import MLPParams, check_mlp_params

__all__ = [
    "EarlyStop",
    "NoisyLabels",
    "dropout",
    "early_stopping",
    "flip_labels",
    "l2_penalty",
    "mlp_dropout",
]


#: A drop probability: a Python or NumPy number, or a 0-d array (traced under ``vmap``).
Rate = Real[ArrayLike, ""]


def _check_rate(name: str, rate: Any) -> Any:
    """A drop probability in [0, 1); a traced rate (under ``vmap``) is not range-checked."""
    if is_tracer(rate):
        return rate
    if isinstance(rate, bool) or not isinstance(rate, float | int | np.floating | np.integer):
        if not (hasattr(rate, "shape") and np.shape(rate) == ()):
            raise TypeError(f"{name}: expected a number in [0, 1), got {type(rate).__name__}")
    value = float(rate)
    if not 0.0 <= value < 1.0:  # also rejects NaN
        raise ValueError(f"{name}: expected a drop probability in [0, 1), got {value}")
    return value


def dropout(
    key: Any, x: Float[ArrayLike, "*shape"], rate: Rate, *, deterministic: bool = False
) -> Float[Array, "*shape"]:
    """Inverted dropout: zero each entry with probability ``rate``, scale the rest up.

    out = m ⊙ x / (1 − rate),  m_i ~ Bernoulli(1 − rate) independently

    Scaling the kept entries by 1 / (1 − rate) keeps the expected value of every entry
    equal to ``x``, so at evaluation time (``deterministic=True``) the layer is simply
    the identity and nothing needs rescaling.

    Args:
        key: A ``jax.random.key``; the same key gives the same mask.
        x: Activations, any shape (floating point).
        rate: Probability of dropping an entry, in [0, 1). ``rate=0`` returns ``x``.
        deterministic: ``True`` for evaluation: return ``x`` unchanged.

    Returns:
        An array of the shape of ``x``: each entry either 0 or ``x_i / (1 − rate)``.

    Raises:
        TypeError: ``key`` is not a key, or ``x`` is not floating point.
        ValueError: ``rate`` is outside [0, 1), or ``key`` is a batch of keys.

    Examples:
        >>> x = jnp.ones(8)
        >>> dropout(jax.random.key(0), x, 0.5).tolist()  # kept entries become 2.0
        [0.0, 0.0, 2.0, 2.0, 0.0, 2.0, 2.0, 0.0]
        >>> bool((dropout(jax.random.key(0), x, 0.5, deterministic=True) == x).all())
        True
    """
    if not isinstance(deterministic, bool):
        raise TypeError(f"deterministic: expected True or False, got {deterministic!r}")
    x = check_array("x", x)
    rate = _check_rate("rate", rate)
    if deterministic or (not is_tracer(rate) and rate == 0.0):
        return x
    key = check_key("key", key)
    keep = jax.random.bernoulli(key, 1.0 - rate, x.shape)  # True with probability 1 - rate
    return jnp.where(keep, x / (1.0 - rate), jnp.zeros_like(x))


def mlp_dropout(
    params: MLPParams,
    x: Float[ArrayLike, "*batch n_in"],
    key: Any,
    rate: Rate,
    *,
    input_rate: Rate = 0.0,
    activation: str | Callable = "relu",
    deterministic: bool = False,
) -> Float[Array, "*batch n_out"]:
    """Forward pass of an MLP with dropout on its inputs and on every hidden layer.

    a_0 = drop(x, input_rate),  a_i = drop(f(a_{i-1} W_i + b_i), rate),  logits = a_{L-1} W_L + b_L

    Every example in the batch gets its own mask. Use it in the training loss only: with
    ``deterministic=True`` (or for evaluation, simply :func:`nnbook.layers.mlp`) no unit
    is dropped and the result equals ``layers.mlp(params, x, activation)``.

    Args:
        params: A tuple of :class:`~nnbook.layers.Dense` layers.
        x: Inputs, shape (n_in,) or (batch, n_in).
        key: A ``jax.random.key``; layer i draws its mask from ``fold_in(key, i)``.
        rate: Drop probability of the hidden units, in [0, 1) (0.5 in Srivastava et al.).
        input_rate: Drop probability of the inputs, in [0, 1) (0.2 there; default 0).
        activation: Hidden activation (name or function), as in ``layers.mlp``.
        deterministic: ``True`` for evaluation: no dropout.

    Returns:
        Logits, shape (n_out,) or (batch, n_out).

    Examples:
        >>> from nnbook.layers import init_mlp, mlp
        >>> params = init_mlp(jax.random.key(0), (4, 8, 3))
        >>> x = jnp.ones((2, 4))
        >>> mlp_dropout(params, x, jax.random.key(1), 0.5).shape
        (2, 3)
        >>> off = mlp_dropout(params, x, None, 0.5, deterministic=True)  # evaluation
        >>> bool(jnp.allclose(off, mlp(params, x)))
        True
    """
    params = check_mlp_params(params)
    x = check_array("x", x, ndim=(1, 2), allow_empty=False, shape_hint="(n_in,) or (batch, n_in)")
    if x.shape[-1] != params[0].W.shape[0]:
        raise ValueError(
            f"x: expected last dimension {params[0].W.shape[0]} (rows of params[0].W, shape "
            f"{params[0].W.shape}), got shape {x.shape}"
        )
    x = check_finite("x", x)
    rate = _check_rate("rate", rate)
    input_rate = _check_rate("input_rate", input_rate)
    if not isinstance(deterministic, bool):
        raise TypeError(f"deterministic: expected True or False, got {deterministic!r}")
    if not deterministic:
        key = check_key("key", key)
    f = get_activation(activation, arg_name="activation")

    def drop(i: int, a: Array, p: Any) -> Array:
        if deterministic:
            return a
        return dropout(jax.random.fold_in(key, i), a, p)

    a = drop(0, x, input_rate)
    for i, layer in enumerate(params[:-1]):
        a = drop(i + 1, f(a @ layer.W + layer.b), rate)  # (batch, n_i) -> (batch, n_{i+1})
    return a @ params[-1].W + params[-1].b


def l2_penalty(params: Any) -> Float[Array, ""]:
    """Half the sum of squares of every weight matrix (biases are not penalized).

    R(θ) = ½ Σ_layers Σ_ij W_ij²,  so  ∇_W [λ R] = λ W

    Added to a loss as ``loss + lam * l2_penalty(params)``, each gradient step also
    shrinks every weight by the factor (1 − η λ): weight decay. Leaves with two or more
    dimensions count as weights; vectors (biases) and scalars are left out, as is usual.

    Args:
        params: Any pytree of arrays, such as a tuple of ``Dense`` layers.

    Returns:
        A scalar.

    Raises:
        ValueError: ``params`` holds no weight matrix at all.

    Examples:
        >>> from nnbook.layers import Dense
        >>> layer = Dense(W=jnp.array([[1.0, 2.0], [0.0, -2.0]]), b=jnp.array([5.0, 5.0]))
        >>> float(l2_penalty((layer,)))  # (1 + 4 + 0 + 4) / 2; the biases do not count
        4.5
    """
    leaves = [leaf for leaf in jax.tree.leaves(params) if jnp.ndim(leaf) >= 2]
    if not leaves:
        raise ValueError(
            f"params: expected a pytree holding weight matrices (2-D or more), got "
            f"{type(params).__name__} with none"
        )
    # cast: sum() starts from the int 0, but leaves is not empty, so the total is an Array.
    return cast(Array, 0.5 * sum(jnp.sum(jnp.square(w)) for w in leaves))


class EarlyStop(NamedTuple):
    """What :func:`early_stopping` found: epochs counted from 0, like the history.

    ``best_epoch``: the epoch whose parameters to keep (train ``best_epoch + 1`` epochs
    to get them again); ``best_value``: its validation value; ``stop_epoch``: the last
    epoch that needed to run (with ``patience``; otherwise the history's last epoch).
    """

    best_epoch: int
    best_value: float
    stop_epoch: int


def early_stopping(
    history: Sequence[float] | ArrayLike, *, mode: str = "max", patience: int | None = None
) -> EarlyStop:
    """The epoch to stop at, from a validation history (one value per epoch).

    best = argmax_e history[e] (or argmin with ``mode="min"``), earliest on ties

    Only a strict improvement counts, so among equal values the earliest epoch wins:
    the less-trained network, which is at least as good on validation. With
    ``patience=p`` the search stops at the first epoch that comes ``p`` epochs after the
    best so far without beating it (Prechelt's "stop when no improvement for p
    epochs"), and the best epoch is looked for only up to there.

    Args:
        history: Validation accuracy (``mode="max"``) or loss (``mode="min"``) per epoch,
            such as ``fit(...).history.eval_accuracy``; 1-D, finite, non-empty.
        mode: ``"max"`` for accuracy, ``"min"`` for a loss.
        patience: Epochs without improvement before stopping; ``None`` looks at all.

    Returns:
        :class:`EarlyStop` ``(best_epoch, best_value, stop_epoch)``.

    Examples:
        >>> early_stopping([0.70, 0.80, 0.78, 0.80, 0.75])
        EarlyStop(best_epoch=1, best_value=0.8, stop_epoch=4)
        >>> early_stopping([2.0, 1.0, 1.5, 1.6, 0.5], mode="min", patience=2)
        EarlyStop(best_epoch=1, best_value=1.0, stop_epoch=3)
    """
    if mode not in ("max", "min"):
        raise ValueError(f"mode: expected 'max' (accuracy) or 'min' (loss), got {mode!r}")
    if patience is not None:
        patience = check_positive_int("patience", patience)
    try:
        values = np.asarray(history, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"history: expected a sequence of numbers, got {type(history).__name__}"
        ) from None
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"history: expected a non-empty 1-D sequence, got shape {values.shape}")
    if not np.isfinite(values).all():
        raise ValueError(
            f"history: expected finite values, got {int((~np.isfinite(values)).sum())} "
            f"NaN or infinite of {values.size}"
        )
    sign = 1.0 if mode == "max" else -1.0
    best, stop = 0, values.size - 1
    for epoch in range(1, values.size):
        if sign * values[epoch] > sign * values[best]:
            best = epoch
        elif patience is not None and epoch - best >= patience:
            stop = epoch
            break
    return EarlyStop(best_epoch=best, best_value=float(values[best]), stop_epoch=stop)


class NoisyLabels(NamedTuple):
    """Labels after :func:`flip_labels`: ``y`` with some replaced, and which ones."""

    y: Int[Array, " n"]
    flipped: Bool[Array, " n"]


def flip_labels(key: Any, y: Int[ArrayLike, " n"], fraction: float, n_classes: int) -> NoisyLabels:
    """Give a random share of the examples a wrong label, chosen uniformly.

    k = ⌊fraction · n + ½⌋ examples, drawn without replacement; each new label is
    (y + s) mod n_classes with s uniform in {1, …, n_classes − 1}, so never the old one

    This prepares data, outside any ``jax.jit``: the draws are made by NumPy's generator
    seeded with the key's data, so the same key always flips the same labels and no
    program has to be compiled for them.

    Args:
        key: A ``jax.random.key``.
        y: Integer class labels in [0, n_classes), shape (n,).
        fraction: Share of the labels to change, in [0, 1].
        n_classes: Number of classes, at least 2.

    Returns:
        :class:`NoisyLabels` ``(y, flipped)``: the new labels (dtype of ``y``) and a
        boolean mask of the changed ones (exactly k are ``True``), as JAX arrays.

    Examples:
        >>> y = jnp.arange(10) % 3
        >>> noisy = flip_labels(jax.random.key(0), y, 0.3, n_classes=3)
        >>> int(noisy.flipped.sum()), bool((noisy.y[noisy.flipped] != y[noisy.flipped]).all())
        (3, True)
    """
    key = check_key("key", key)
    n_classes = check_positive_int("n_classes", n_classes)
    if n_classes < 2:
        raise ValueError(f"n_classes: expected at least 2 classes, got {n_classes}")
    if is_tracer(y) or is_tracer(fraction) or is_tracer(key):
        raise TypeError("y: expected concrete labels (call flip_labels outside jax.jit)")
    y = check_array("y", y, ndim=1, dtype_kind="iu", allow_empty=False, shape_hint="(n,)")
    labels = np.asarray(y)
    if labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(
            f"y: expected labels in [0, {n_classes - 1}] (n_classes={n_classes}), got "
            f"values from {labels.min()} to {labels.max()}"
        )
    if isinstance(fraction, bool) or not isinstance(fraction, float | int | np.floating):
        raise TypeError(f"fraction: expected a number in [0, 1], got {type(fraction).__name__}")
    if not 0.0 <= float(fraction) <= 1.0:
        raise ValueError(f"fraction: expected a share in [0, 1], got {fraction}")
    n = labels.shape[0]
    k = math.floor(float(fraction) * n + 0.5)
    raw = key if key.dtype == np.uint32 else jax.random.key_data(key)
    rng = np.random.default_rng(np.asarray(raw).tolist())  # seeded by the key, no compiling
    which = rng.permutation(n)[:k]  # k distinct examples
    shift = rng.integers(1, n_classes, size=k)  # 1 .. n_classes - 1: never 0
    new = labels.copy()
    new[which] = (labels[which] + shift) % n_classes
    flipped = np.zeros(n, dtype=bool)
    flipped[which] = True
    return NoisyLabels(y=jnp.asarray(new, dtype=y.dtype), flipped=jnp.asarray(flipped))
