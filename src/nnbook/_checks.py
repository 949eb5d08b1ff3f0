"""Small validation helpers shared by every ``nnbook`` module.

Every helper raises ``ValueError`` (bad shape or value) or ``TypeError`` (bad dtype or
type) with a message of one form, so a reader always learns three things::

    <argument>: expected <what was expected>, got <what was received>

Checks on *shapes and dtypes* are static, so they also run while ``jax.jit`` traces a
function. Checks on *values* (NaN, label ranges) need concrete numbers; they are skipped
silently for tracers, which is why they belong in the non-jitted entry points.

The API, in full:

- ``is_tracer(x)``: true while ``x`` is an abstract value inside ``jit``/``vmap``/``grad``.
- ``check_array(name, x, *, ndim=None, dtype_kind="f", allow_empty=True, shape_hint="")``:
  convert to a JAX array and check its dtype kind, number of dimensions and size.
- ``check_last_dim(name, x, expected, what)``: ``x.shape[-1] == expected``.
- ``check_finite(name, x)``: no NaN or infinity (skipped under tracing).
- ``check_choice(name, value, choices)``: ``value`` is one of ``choices``.
- ``check_positive_int(name, value)``: a Python ``int`` greater than zero.
"""

from collections.abc import Iterable

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

# Characters follow NumPy's dtype "kind" codes; bfloat16 has kind "V" in NumPy, so the
# test goes through jnp.issubdtype instead of dtype.kind.
_KINDS = {
    "f": (jnp.floating, "floating-point"),
    "i": (jnp.signedinteger, "signed integer"),
    "u": (jnp.unsignedinteger, "unsigned integer"),
    "b": (jnp.bool_, "bool"),
    "c": (jnp.complexfloating, "complex"),
}


def is_tracer(x: object) -> bool:
    """Return True when ``x`` is abstract (inside ``jit``, ``vmap`` or ``grad``).

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> seen = []
        >>> _ = jax.jit(lambda x: seen.append(is_tracer(x)) or x)(1.0)
        >>> is_tracer(jnp.ones(2)), seen
        (False, [True])
    """
    return isinstance(x, jax.core.Tracer)


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
    except TypeError as err:
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


def check_choice(name: str, value: object, choices: Iterable[str]) -> str:
    """Check that ``value`` is one of ``choices`` and return it.

    Examples:
        >>> check_choice("loss", "mae", ["mse", "softmax_cross_entropy"])
        Traceback (most recent call last):
        ...
        ValueError: loss: expected one of 'mse', 'softmax_cross_entropy', got 'mae'
    """
    valid = sorted(choices)
    if not isinstance(value, str) or value not in valid:
        listed = ", ".join(repr(c) for c in valid)
        raise ValueError(f"{name}: expected one of {listed}, got {value!r}")
    return value


def check_positive_int(name: str, value: object) -> int:
    """Check that ``value`` is a Python (or NumPy) integer greater than zero.

    Examples:
        >>> check_positive_int("n_out", 0)
        Traceback (most recent call last):
        ...
        ValueError: n_out: expected a positive integer, got 0
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name}: expected a positive integer, got {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name}: expected a positive integer, got {value}")
    return int(value)
