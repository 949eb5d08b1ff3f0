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
- ``check_number(name, value, low=, high=, ...)``: a real number (not a string or bool)
  in a range; used for hyper-parameters (skipped for tracers).
- ``check_bool(name, value)``: exactly ``True`` or ``False`` (no truthy strings).
- ``check_key(name, key)``: a single ``jax.random.key`` (or a raw ``uint32[2]`` key).
- ``check_labels(name, labels, n_classes, what)``: integer class ids in
  ``[0, n_classes)`` (the range check is skipped for tracers).
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

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

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


def describe(value: object) -> str:
    """A short description of a wrong value for an error message."""
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"an array of shape {tuple(value.shape)} and dtype {value.dtype}"
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


def check_number(
    name: str,
    value: object,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
) -> Any:
    """Check that ``value`` is a real number within the bounds; tracers pass unchecked.

    Strings and bools are refused (``sgd("0.1")`` would otherwise fail only at the first
    update, and ``True`` is not a learning rate); so are NaN and infinities.

    Examples:
        >>> check_number("stddev", -1.0, low=0.0)
        Traceback (most recent call last):
        ...
        ValueError: stddev: expected a finite number >= 0, got -1.0
        >>> check_number("learning_rate", "0.1", low=0.0, low_open=True)
        Traceback (most recent call last):
        ...
        TypeError: learning_rate: expected a real number, got str '0.1'
    """
    if is_tracer(value):  # e.g. vmap over learning rates: no concrete value to check
        return value
    real = isinstance(value, int | float | np.integer | np.floating) or (
        isinstance(value, jax.Array | np.ndarray)
        and value.shape == ()
        and (jnp.issubdtype(value.dtype, jnp.integer) or jnp.issubdtype(value.dtype, jnp.floating))
    )
    if not real or isinstance(value, bool | np.bool_):
        raise TypeError(f"{name}: expected a real number, got {describe(value)}")
    v = float(value)  # type: ignore[arg-type]
    lo_ok = v > low if low_open else v >= low
    hi_ok = v < high if high_open else v <= high
    if not (math.isfinite(v) and lo_ok and hi_ok):
        lo_s, hi_s = f"{low:g}", f"{high:g}"
        if math.isinf(high):
            expected = f"a finite number {'>' if low_open else '>='} {lo_s}"
        elif math.isinf(low):
            expected = f"a finite number {'<' if high_open else '<='} {hi_s}"
        else:
            expected = (
                f"a number in {'(' if low_open else '['}{lo_s}, {hi_s}{')' if high_open else ']'}"
            )
        raise ValueError(f"{name}: expected {expected}, got {value!r}")
    return value


def check_bool(name: str, value: object) -> bool:
    """Check that ``value`` is ``True`` or ``False`` (a string such as ``"no"`` is truthy).

    Examples:
        >>> check_bool("approximate", "no")
        Traceback (most recent call last):
        ...
        TypeError: approximate: expected True or False, got str 'no'
    """
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name}: expected True or False, got {describe(value)}")
    return bool(value)


def check_key(name: str, key: object) -> Any:
    """Check that ``key`` is ONE ``jax.random`` key: ``jax.random.key(seed)``, or the
    legacy raw form ``jax.random.PRNGKey(seed)`` (``uint32`` of shape (2,)).

    An integer seed is refused with the fix in the message, and so is a batch of keys
    (from ``jax.random.split``) where one is wanted.

    Examples:
        >>> check_key("key", 0)
        Traceback (most recent call last):
        ...
        TypeError: key: expected a jax.random.key, e.g. jax.random.key(0), got int 0
    """
    dtype = getattr(key, "dtype", None)
    typed = dtype is not None and jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key)
    if typed and getattr(key, "shape", None) == ():
        return key
    raw = isinstance(key, jax.Array | np.ndarray) and key.dtype == np.uint32
    if raw and key.shape == (2,):  # type: ignore[union-attr]
        return key
    if typed or raw:
        got = f"{'keys' if typed else 'raw key data'} of shape {key.shape}"  # type: ignore[union-attr]
        raise ValueError(f"{name}: expected a single jax.random.key, got {got}")
    raise TypeError(
        f"{name}: expected a jax.random.key, e.g. jax.random.key(0), got {describe(key)}"
    )


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
    want, got = jax.tree.structure(like), jax.tree.structure(tree)
    if want != got:
        raise ValueError(f"{name}: expected the tree structure of {like_name}, {want}; got {got}")
    pairs = zip(jax.tree_util.tree_leaves_with_path(like), jax.tree.leaves(tree), strict=True)
    for (path, a), b in pairs:
        if jnp.shape(a) != jnp.shape(b):
            where = jax.tree_util.keystr(path)
            want_shape, got_shape = jnp.shape(a), jnp.shape(b)
            raise ValueError(
                f"{name}{where}: expected shape {want_shape} as in {like_name}, got {got_shape}"
            )


F = TypeVar("F", bound=Callable[..., Any])


def lookup(name: str, value: str | F, registry: Mapping[str, F]) -> F:
    """``registry[value]`` for a registered name; a function is returned unchanged.

    Examples:
        >>> lookup("loss", "mae", {"mse": abs})
        Traceback (most recent call last):
        ...
        ValueError: loss: expected one of 'mse', got 'mae'
        >>> lookup("loss", 3, {"mse": abs})
        Traceback (most recent call last):
        ...
        TypeError: loss: expected a name ('mse') or a function, got int 3
    """
    if callable(value):
        return value
    if not isinstance(value, str):
        listed = ", ".join(repr(c) for c in sorted(registry))
        raise TypeError(f"{name}: expected a name ({listed}) or a function, got {describe(value)}")
    return registry[check_choice(name, value, registry)]
