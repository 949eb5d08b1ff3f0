"""Gaussian and uniform draws with the numbers of ``jax.random``, compiled once per size class.

``jax.random.normal(key, shape)`` outside ``jit`` compiles a new XLA program for every
new shape, and on the CPU that is slow: about a second for a small 4-D filter bank
such as (3, 3, 8, 16), several times longer than for a flat draw of the same size. A
book that builds many small networks pays it again and again (chapter 12 spent more
time compiling its eight weight draws than training its first network).

Threefry, JAX's default generator, numbers the random values of an array by their
position in the flattened array, and with ``jax_threefry_partitionable`` (the default
since JAX 0.5) the value at a position does not depend on the array's size. So the
first ``n`` values of a flat draw of any length ``m >= n``, reshaped, are exactly
``jax.random.normal(key, shape)``. We draw ``m``, the next power of two (at least
1,024), in one compiled program per ``m`` and dtype, and slice and reshape on the host:
a few programs in all instead of one per shape. Inside ``jit``, ``vmap`` or ``grad``, or
with another generator, the draw is simply ``jax.random``'s own; the numbers are the
same either way (``tests/test_random.py`` checks it bit for bit).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import DTypeLike
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from nnbook._check_values import is_tracer

MIN_DRAW = 1024  # the smallest flat draw: tiny shapes share one program


@functools.partial(jax.jit, static_argnames=("size", "dtype"))
def _flat_normal(key: PRNGKeyArray, scale: Array, size: int, dtype: jnp.dtype) -> Array:
    return scale * jax.random.normal(key, (size,), dtype)


@functools.partial(jax.jit, static_argnames=("size", "dtype"))
def _flat_uniform(
    key: PRNGKeyArray, minval: Array, maxval: Array, size: int, dtype: jnp.dtype
) -> Array:
    return jax.random.uniform(key, (size,), dtype, minval, maxval)


def _flag(name: str) -> object:
    # a flag's current value (with its context manager applied); jax.config's type stubs
    # do not list the flags as attributes
    return getattr(jax.config, name)


def _bucketed(key: object) -> bool:
    """Whether a flat draw of another length gives the same numbers for this key."""
    if is_tracer(key) or not _flag("jax_threefry_partitionable"):
        return False
    if isinstance(key, jax.Array) and jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        return "threefry" in str(jax.random.key_impl(key))
    return _flag("jax_default_prng_impl") == "threefry2x32"  # a raw uint32 key


def _draw_size(n: int) -> int:
    return max(MIN_DRAW, 1 << max(n - 1, 0).bit_length())


def _finish(flat: Array, shape: tuple[int, ...]) -> Array:
    n = math.prod(shape)
    return jax.device_put(np.asarray(flat)[:n].reshape(shape))  # no program to compile


def normal(
    key: PRNGKeyArray, shape: Sequence[int], dtype: DTypeLike | None = None, scale: float = 1.0
) -> Float[Array, "*shape"]:
    """``scale * jax.random.normal(key, shape, dtype)``, bit for bit, compiled per size class.

    Examples:
        >>> import jax
        >>> key = jax.random.key(0)
        >>> bool((normal(key, (3, 3, 1, 8), scale=0.5)
        ...       == 0.5 * jax.random.normal(key, (3, 3, 1, 8))).all())
        True
    """
    shape = tuple(int(s) for s in shape)
    dtype = jnp.dtype(dtype if dtype is not None else jnp.result_type(float))
    if not _bucketed(key):
        return scale * jax.random.normal(key, shape, dtype)
    size = _draw_size(math.prod(shape))
    return _finish(_flat_normal(key, jnp.asarray(scale, dtype), size, dtype), shape)


def uniform(
    key: PRNGKeyArray,
    shape: Sequence[int],
    dtype: DTypeLike | None = None,
    minval: float | ArrayLike = 0.0,
    maxval: float | ArrayLike = 1.0,
) -> Float[Array, "*shape"]:
    """``jax.random.uniform(key, shape, dtype, minval, maxval)``, bit for bit, per size class.

    ``minval`` and ``maxval`` are scalars here.

    Examples:
        >>> import jax
        >>> key = jax.random.key(1)
        >>> bool((uniform(key, (5, 7), minval=-2.0, maxval=2.0)
        ...       == jax.random.uniform(key, (5, 7), minval=-2.0, maxval=2.0)).all())
        True
    """
    shape = tuple(int(s) for s in shape)
    dtype = jnp.dtype(dtype if dtype is not None else jnp.result_type(float))
    if not _bucketed(key) or np.ndim(minval) or np.ndim(maxval):
        return jax.random.uniform(key, shape, dtype, minval, maxval)
    size = _draw_size(math.prod(shape))
    lo, hi = jnp.asarray(minval, dtype), jnp.asarray(maxval, dtype)
    return _finish(_flat_uniform(key, lo, hi, size, dtype), shape)
