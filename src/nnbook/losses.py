"""Loss functions and accuracy, taught in chapter 5 ("Loss: measuring wrong").

Cross-entropies take *logits* (unnormalised scores), never probabilities, and use the
log-sum-exp and softplus identities so they stay finite for logits as large as ±1e4.
``binary_cross_entropy_naive`` keeps the textbook formula on purpose: chapter 5 uses it
to show how ``log(sigmoid(z))`` overflows. Every loss is a mean, so it does not grow
with the batch size.

Labels are checked against the logits: a class id outside ``[0, k)`` for k logit
columns, or a binary label outside ``[0, 1]``, raises ``ValueError``. Under ``jax.jit``
the values are not known while tracing, so no error can be raised; the loss (and the
accuracy) then comes out NaN instead of a wrong number, which :func:`nnbook.training.fit`
reports, and ``fit``/``evaluate`` check the labels before compiling anything.
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Float, Int, Real

from nnbook._checks import check_array, check_finite, check_labels, is_tracer, lookup
from nnbook.activations import log_softmax


def _align_targets(targets: Array, pred: Array, name: str, pred_name: str) -> Array:
    """Reshape targets (batch,) to (batch, 1) for a single output column; else match exactly."""
    # Without this, (batch, 1) - (batch,) broadcasts to (batch, batch): a silent bug.
    if targets.shape == pred.shape:
        return targets
    if pred.ndim >= 1 and pred.shape[-1] == 1 and targets.shape == pred.shape[:-1]:
        return targets.reshape(pred.shape)
    raise ValueError(
        f"{name}: expected shape {pred.shape} to match {pred_name}, got {targets.shape}"
    )


def _check_in_range(name: str, x: Array, low: float, high: float) -> None:
    if is_tracer(x) or x.size == 0:
        return
    lo, hi = float(np.min(np.asarray(x))), float(np.max(np.asarray(x)))
    if lo < low or hi > high:
        raise ValueError(
            f"{name}: expected values in [{low:g}, {high:g}], got min {lo:g}, max {hi:g}"
        )


def _nan_unless(valid: Array, value: Array, labels: Array) -> Array:
    """Under tracing, where no error can be raised: NaN when a label is out of range."""
    if not is_tracer(labels):  # concrete labels were checked already
        return value
    return jnp.where(jnp.all(valid), value, jnp.nan)


def _pred_and_targets(
    pred: ArrayLike, targets: ArrayLike, pred_name: str, name: str, kinds: str = "fiu"
) -> tuple[Array, Array]:
    """Validate a prediction/target pair; targets come back aligned and in pred's dtype."""
    pred = check_array(pred_name, pred, allow_empty=False)
    targets = check_finite(name, check_array(name, targets, dtype_kind=kinds))
    return pred, _align_targets(targets, pred, name, pred_name).astype(pred.dtype)


def mse(predictions: Float[ArrayLike, "*s"], targets: Real[ArrayLike, "*t"]) -> Float[Array, ""]:
    """Mean squared error over all elements.

    L = (1/N) Σ_i (p_i - t_i)²

    Examples:
        >>> import jax.numpy as jnp
        >>> round(float(mse(jnp.array([1.0, 2.0]), jnp.array([1.0, 4.0]))), 3)
        2.0
    """
    pred, targets = _pred_and_targets(predictions, targets, "predictions", "targets")
    return jnp.mean((pred - targets) ** 2)


# Binary labels: floats in [0, 1], ints or bools; shaped like the logits, or (batch,)
# for logits of shape (batch, 1).
BinaryLabels = Real[ArrayLike, "*t"] | Bool[ArrayLike, "*t"]


def binary_cross_entropy_with_logits(
    logits: Float[ArrayLike, "*s"], labels: BinaryLabels
) -> Float[Array, ""]:
    """Binary cross-entropy from logits, finite for any finite logit.

    L = mean(y softplus(-z) + (1 - y) softplus(z)),  softplus(z) = log(1 + exp(z))

    Args:
        logits: scores z; shape (batch,) or (batch, 1) (then labels may be (batch,)).
        labels: targets y in [0, 1] (ints, bools or floats).

    Examples:
        >>> import jax.numpy as jnp
        >>> z, y = jnp.array([1e4, -1e4, 0.0]), jnp.array([1, 0, 1])
        >>> round(float(binary_cross_entropy_with_logits(z, y)), 4)
        0.231
    """
    z, y = _pred_and_targets(logits, labels, "logits", "labels", kinds="fiub")
    _check_in_range("labels", y, 0.0, 1.0)
    valid = (y >= 0) & (y <= 1)
    # -log σ(z) = softplus(-z) and -log(1-σ(z)) = softplus(z). jax.nn.softplus is
    # logaddexp(z, 0): it never overflows, keeps full precision for confident right
    # answers (no large z added and subtracted again) and has the exact gradient
    # σ(z) - y everywhere, z = 0 included.
    loss = jnp.mean(y * jax.nn.softplus(-z) + (1.0 - y) * jax.nn.softplus(z))
    return _nan_unless(valid, loss, y)


def binary_cross_entropy_naive(
    logits: Float[ArrayLike, "*s"], labels: BinaryLabels
) -> Float[Array, ""]:
    """The textbook formula, kept *on purpose*: it returns inf or NaN for large abs(logits).

    L = mean(-y log σ(z) - (1 - y) log(1 - σ(z)))

    Examples:
        >>> import jax.numpy as jnp
        >>> float(binary_cross_entropy_naive(jnp.array([100.0]), jnp.array([0.0])))
        inf
    """
    z, y = _pred_and_targets(logits, labels, "logits", "labels", kinds="fiub")
    p = 1.0 / (1.0 + jnp.exp(-z))  # rounds to exactly 1.0 once z > ~17 in float32
    return jnp.mean(-y * jnp.log(p) - (1.0 - y) * jnp.log(1.0 - p))


def softmax_cross_entropy(
    logits: Float[ArrayLike, "batch k"], labels: Int[ArrayLike, " batch"]
) -> Float[Array, ""]:
    """Mean cross-entropy of integer class labels under softmax(logits).

    L = mean_n(log Σ_j exp(z_nj) - z_n,y_n)

    Examples:
        >>> import jax.numpy as jnp
        >>> z = jnp.array([[2.0, 0.0, 0.0], [0.0, 1e4, -1e4]])
        >>> round(float(softmax_cross_entropy(z, jnp.array([0, 1]))), 4)
        0.1198
    """
    z = check_array("logits", logits, ndim=2, allow_empty=False, shape_hint="(batch, n_classes)")
    y = _class_labels(labels, z)
    picked = jnp.take_along_axis(log_softmax(z), y[:, None], axis=1)[:, 0]
    return _nan_unless((y >= 0) & (y < z.shape[1]), -jnp.mean(picked), y)


def _class_labels(labels: ArrayLike, z: Array) -> Array:
    """Integer class ids (batch,) for logits z (batch, k), in [0, k) when concrete."""
    try:
        y = check_array("labels", labels, ndim=1, dtype_kind="iu", shape_hint="(batch,)")
    except TypeError as err:
        raise TypeError(f"{err}; for one-hot targets use softmax_cross_entropy_onehot") from None
    if y.shape[0] != z.shape[0]:
        raise ValueError(
            f"labels: expected shape ({z.shape[0]},) to match logits {z.shape}, got {y.shape}"
        )
    return check_labels("labels", y, z.shape[1], f"logits have {z.shape[1]} columns")


def softmax_cross_entropy_onehot(
    logits: Float[ArrayLike, "*batch k"], targets: Real[ArrayLike, "*batch k"]
) -> Float[Array, ""]:
    """Mean cross-entropy of one-hot (or probability) targets under softmax(logits).

    L = mean_n(-Σ_j t_nj log softmax(z_n)_j)

    Examples:
        >>> import jax.numpy as jnp
        >>> z, t = jnp.array([[2.0, 0.0, 0.0]]), jnp.array([[1.0, 0.0, 0.0]])
        >>> round(float(softmax_cross_entropy_onehot(z, t)), 4)
        0.2395
    """
    z = check_array(
        "logits", logits, ndim=(1, 2), allow_empty=False, shape_hint="(batch, n_classes)"
    )
    t = check_finite("targets", check_array("targets", targets, dtype_kind="fiu"))
    if t.shape != z.shape:
        raise ValueError(f"targets: expected shape {z.shape} to match logits, got {t.shape}")
    _check_in_range("targets", t, 0.0, 1.0)
    if not is_tracer(t):  # each row a probability distribution (one-hot: a single 1)
        sums = np.asarray(t, np.float64).sum(axis=-1)
        if sums.size and np.abs(sums - 1).max() > 1e-3:
            worst = float(sums.reshape(-1)[np.argmax(np.abs(sums - 1))])
            raise ValueError(
                f"targets: expected rows that sum to 1, got a row summing to {worst:g}"
            )
    return -jnp.mean(jnp.sum(t.astype(z.dtype) * log_softmax(z), axis=-1))


def accuracy(
    logits: Float[ArrayLike, " batch *k"], labels: Int[ArrayLike, " batch"] | BinaryLabels
) -> Float[Array, ""]:
    """Fraction of correct predictions: argmax for k > 1 classes, ``logits > 0`` for one column.

    acc = mean_n[prediction_n = y_n]

    The result has JAX's default float dtype (float64 when x64 is enabled).

    Examples:
        >>> import jax.numpy as jnp
        >>> z = jnp.array([[2.0, 0.0], [0.0, 1.0], [3.0, 1.0]])
        >>> round(float(accuracy(z, jnp.array([0, 1, 1]))), 3)
        0.667
    """
    z = check_array(
        "logits", logits, ndim=(1, 2), allow_empty=False, shape_hint="(batch, n_classes)"
    )
    dtype = jnp.result_type(float)  # a fraction k / n, not a float32 whatever the mode
    if z.ndim == 1 or z.shape[-1] == 1:
        y = check_finite("labels", check_array("labels", labels, dtype_kind="fiub"))
        y = _align_targets(y, z, "labels", "logits")
        _check_in_range("labels", y, 0.0, 1.0)
        acc = jnp.mean((z > 0) == (y > 0.5), dtype=dtype)
        return _nan_unless((y >= 0) & (y <= 1), acc, y)
    y = _class_labels(labels, z)
    acc = jnp.mean(jnp.argmax(z, axis=-1) == y, dtype=dtype)
    return _nan_unless((y >= 0) & (y < z.shape[1]), acc, y)


LOSSES: dict[str, Callable[[ArrayLike, ArrayLike], Array]] = {
    "softmax_cross_entropy": softmax_cross_entropy,
    "binary_cross_entropy": binary_cross_entropy_with_logits,
    "mse": mse,
}


def get_loss(name_or_fn: str | Callable, *, arg_name: str = "loss") -> Callable:
    """Look a loss ``loss_fn(logits, labels)`` up by name; a callable is returned unchanged.

    loss_fn = LOSSES[name]

    Examples:
        >>> get_loss("mse") is mse
        True
    """
    return lookup(arg_name, name_or_fn, LOSSES)
