"""Checks of Python values: numbers, flags, names, sizes and random keys.

Part of :mod:`nnbook._checks`, which re-exports everything here; import from there.
Messages have the one form ``<argument>: expected <what>, got <what>``.
"""

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np


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
    dtype, shape = getattr(key, "dtype", None), getattr(key, "shape", None)
    typed = dtype is not None and jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key)
    if typed and shape == ():
        return key
    raw = isinstance(key, jax.Array | np.ndarray) and dtype == np.uint32
    if raw and shape == (2,):
        return key
    if typed or raw:
        got = f"{'keys' if typed else 'raw key data'} of shape {shape}"
        raise ValueError(f"{name}: expected a single jax.random.key, got {got}")
    raise TypeError(
        f"{name}: expected a jax.random.key, e.g. jax.random.key(0), got {describe(key)}"
    )


def lookup(
    name: str, value: object, registry: Mapping[str, Callable[..., Any]]
) -> Callable[..., Any]:
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
