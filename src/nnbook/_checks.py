"""Small validation helpers shared by every ``nnbook`` module.

Every helper raises ``ValueError`` (bad shape or value) or ``TypeError`` (bad dtype or
type) with a message of one form, so a reader always learns three things::

    <argument>: expected <what was expected>, got <what was received>

Checks on *shapes and dtypes* are static, so they also run while ``jax.jit`` traces a
function. Checks on *values* (NaN, label ranges) need concrete numbers; they are skipped
silently for tracers, which is why they belong in the non-jitted entry points.

The API, in full (the checks of plain Python values live in ``_check_values`` and are
re-exported here):

- ``is_tracer(x)``: true while ``x`` is an abstract value inside ``jit``/``vmap``/``grad``.
- ``check_array(name, x, *, ndim=None, dtype_kind="f", allow_empty=True, shape_hint="")``:
  convert to a JAX array and check its dtype kind, number of dimensions and size.
- ``check_last_dim(name, x, expected, what)``: ``x.shape[-1] == expected``.
- ``check_finite(name, x)``: no NaN or infinity (skipped under tracing).
- ``check_choice(name, value, choices)``: ``value`` is one of ``choices``.
- ``check_positive_int(name, value)``: a Python ``int`` greater than zero.
- ``check_number(name, value, low=, high=, ...)``: a real number (not a string or bool)
  in a range; used for hyper-parameters (skipped for tracers).
- ``check_bool(name, value)``: exactly ``True`` or ``False`` (no truthy strings).
- ``check_key(name, key)``: a single ``jax.random.key`` (or a raw ``uint32[2]`` key).
- ``check_labels(name, labels, n_classes, what)``: integer class ids in
  ``[0, n_classes)`` (the range check is skipped for tracers).
- ``check_float_leaves(name, tree)``: every leaf of a pytree has a floating dtype.
- ``check_same_tree(name, tree, like, like_name)``: the same pytree structure and
  leaf shapes as ``like``.
- ``lookup(name, value, registry)``: ``registry[value]`` for a name, or ``value`` itself
  when it is a function: the one lookup behind ``get_activation``, ``get_initializer``
  and ``get_loss``.

What the package checks, and what it lets through on purpose: *data* (``x``, labels,
targets) must be finite where a function takes it from a reader; *intermediate values*
(logits, parameters, activations' inputs) may be NaN or infinite and propagate, so a
diverged model still gives a visibly non-finite answer rather than an error.
"""

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from nnbook._check_values import (
    check_bool,
    check_choice,
    check_key,
    check_number,
    check_positive_int,
    describe,
    is_tracer,
    lookup,
)

__all__ = [
    "check_array",
    "check_bool",
    "check_choice",
    "check_finite",
    "check_float_leaves",
    "check_key",
    "check_labels",
    "check_last_dim",
    "check_number",
    "check_positive_int",
    "check_same_tree",
    "describe",
    "is_tracer",
    "lookup",
]

# Characters follow NumPy's dtype "kind" codes; bfloat16 has kind "V" in NumPy, so the
# test goes through jnp.issubdtype instead of dtype.kind.
_KINDS = {
    "f": (jnp.floating, "floating-point"),
    "i": (jnp.signedinteger, "signed integer"),
    "u": (jnp.unsignedinteger, "unsigned integer"),
    "b": (jnp.bool_, "bool"),
    "c": (jnp.complexfloating, "complex"),
}


def check_array(
    name: str,
    x: object,
    *,
    ndim: int | tuple[int, ...] | None = None,
    dtype_kind: str = "f",
    allow_empty: bool = True,
    shape_hint: str = "",
) -> Array:
    """Convert ``x`` to a JAX array and check its dtype, dimensions and size.

    Python numbers and lists of numbers are promoted to the default float dtype when
    ``"f"`` is allowed (so ``sigmoid(0)`` works); arrays keep their dtype, so an integer
    or bool *array* where floats are needed raises ``TypeError``: silently casting pixel
    values or class labels hides real bugs.

    Args:
        name: the argument's name, used in the error message.
        x: the value to check.
        ndim: allowed number(s) of dimensions, or None for any.
        dtype_kind: allowed NumPy dtype kinds, e.g. ``"f"`` (float) or ``"iu"`` (integer).
        allow_empty: whether an array with zero elements is acceptable.
        shape_hint: expected shape for the message, e.g. ``"(batch, n_in)"``.

    Returns:
        ``x`` as a JAX array (or the tracer itself under ``jit``).

    Examples:
        >>> import jax.numpy as jnp
        >>> check_array("x", [[1, 2]], ndim=2).dtype
        dtype('float32')
        >>> check_array("x", jnp.array([1, 2]))
        Traceback (most recent call last):
        ...
        TypeError: x: expected a floating-point array, got dtype int32
    """
    is_python = not hasattr(x, "dtype")
    try:
        arr = jnp.asarray(x)
    except (TypeError, ValueError) as err:  # None, a string, a ragged list ...
        raise TypeError(f"{name}: expected an array, got {type(x).__name__}") from err
    floating_ok = "f" in dtype_kind
    if is_python and floating_ok and jnp.issubdtype(arr.dtype, jnp.integer):
        arr = arr.astype(jnp.result_type(float))
    if not any(jnp.issubdtype(arr.dtype, _KINDS[k][0]) for k in dtype_kind):
        wanted = " or ".join(_KINDS[k][1] for k in dtype_kind)
        raise TypeError(f"{name}: expected a {wanted} array, got dtype {arr.dtype}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            dims = " or ".join(f"{d}-D" for d in allowed)
            hint = f" {shape_hint}" if shape_hint else ""
            raise ValueError(f"{name}: expected a {dims} array{hint}, got shape {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name}: expected a non-empty array, got shape {arr.shape}")
    return arr


def check_last_dim(name: str, x: Array, expected: int, what: str) -> None:
    """Check ``x.shape[-1] == expected``; ``what`` says where ``expected`` comes from.

    Examples:
        >>> import jax.numpy as jnp
        >>> check_last_dim("x", jnp.ones((5, 3)), 4, "rows of params[0].W")
        Traceback (most recent call last):
        ...
        ValueError: x: expected last dimension 4 (rows of params[0].W), got shape (5, 3)
    """
    if x.ndim == 0 or x.shape[-1] != expected:
        raise ValueError(
            f"{name}: expected last dimension {expected} ({what}), got shape {x.shape}"
        )


def check_finite(name: str, x: Array) -> Array:
    """Check that ``x`` holds no NaN or infinity; skipped while tracing.

    Examples:
        >>> import jax.numpy as jnp
        >>> check_finite("x", jnp.array([1.0, jnp.nan]))
        Traceback (most recent call last):
        ...
        ValueError: x: expected finite values, got 1 NaN or infinite entries of 2
    """
    if is_tracer(x) or not jnp.issubdtype(x.dtype, jnp.inexact):
        return x
    n_bad = int(np.size(x) - np.count_nonzero(np.isfinite(np.asarray(x))))
    if n_bad:
        raise ValueError(
            f"{name}: expected finite values, got {n_bad} NaN or infinite entries of {x.size}"
        )
    return x


def check_labels(name: str, labels: object, n_classes: int, what: str = "") -> Array:
    """Check integer class ids of shape (batch,) in ``[0, n_classes)``; the range only
    outside ``jit`` (under tracing the values are unknown: callers mask them instead).

    Examples:
        >>> import jax.numpy as jnp
        >>> check_labels("labels", jnp.array([0, 3]), 3, "logits have 3 columns")
        Traceback (most recent call last):
        ...
        ValueError: labels: expected class ids in [0, 2] (logits have 3 columns), got min 0, max 3
    """
    y = check_array(name, labels, ndim=1, dtype_kind="iu", shape_hint="(batch,)")
    if not is_tracer(y) and y.size:
        values = np.asarray(y)  # NumPy: concrete labels may meet jnp inside a trace
        lo, hi = int(values.min()), int(values.max())
        if lo < 0 or hi >= n_classes:
            why = f" ({what})" if what else ""
            raise ValueError(
                f"{name}: expected class ids in [0, {n_classes - 1}]{why}, got min {lo}, max {hi}"
            )
    return y


def check_same_tree(name: str, tree: object, like: object, like_name: str) -> None:
    """Check that ``tree`` has the pytree structure and leaf shapes of ``like``.

    Examples:
        >>> import jax.numpy as jnp
        >>> check_same_tree("updates", {"w": jnp.ones(3)}, {"w": jnp.ones(2)}, "params")
        Traceback (most recent call last):
        ...
        ValueError: updates['w']: expected shape (2,) as in params, got (3,)
    """
    # Any: jaxlib's PyTreeDef has no type stubs, so mypy cannot tell that it compares.
    want: Any = jax.tree.structure(like)
    got: Any = jax.tree.structure(tree)
    if want != got:
        raise ValueError(f"{name}: expected the tree structure of {like_name}, {want}, got {got}")
    pairs = zip(jax.tree_util.tree_leaves_with_path(like), jax.tree.leaves(tree), strict=True)
    for (path, a), b in pairs:
        if jnp.shape(a) != jnp.shape(b):
            where = jax.tree_util.keystr(path)
            want_shape, got_shape = jnp.shape(a), jnp.shape(b)
            raise ValueError(
                f"{name}{where}: expected shape {want_shape} as in {like_name}, got {got_shape}"
            )


def check_float_leaves(name: str, tree: object) -> None:
    """Check that every leaf of ``tree`` (parameters, say) has a floating-point dtype.

    Static, so it also runs under ``jit``. Gradient descent cannot move an integer.

    Examples:
        >>> import jax.numpy as jnp
        >>> check_float_leaves("params", {"w": jnp.ones(2), "n": jnp.array(3)})
        Traceback (most recent call last):
        ...
        TypeError: params['n']: expected a floating-point array, got dtype int32
    """
    for path, leaf in jax.tree_util.tree_leaves_with_path(tree):
        dtype = jnp.result_type(leaf)
        if not jnp.issubdtype(dtype, jnp.inexact):
            where = jax.tree_util.keystr(path)
            raise TypeError(f"{name}{where}: expected a floating-point array, got dtype {dtype}")
