"""Weight initializers, taught in chapter 8 ("Initialization").

Every initializer has the signature ``init(key, shape) -> array`` with
``shape = (fan_in, fan_out)``, matching weights stored ``(n_in, n_out)``. The scaled
ones choose the variance so that signals (Glorot) or ReLU signals (He) keep their size
from layer to layer. Arrays use JAX's default float dtype (float64 when x64 is enabled).

The draws go through ``nnbook._random``: exactly the numbers of ``jax.random.normal`` and
``jax.random.uniform``, with one compiled program per size class instead of per shape.
"""

import math
from collections.abc import Callable, Sequence

import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from nnbook import _random
from nnbook._checks import check_key, check_number, check_positive_int, lookup


def _check_shape(key: object, shape: Sequence[int], *, two_d: bool) -> tuple[int, ...]:
    """Check the key and the shape (positive ints; exactly (fan_in, fan_out) if two_d)."""
    check_key("key", key)
    if isinstance(shape, int | str) or not isinstance(shape, Sequence):
        raise TypeError(f"shape: expected a tuple of ints (fan_in, fan_out), got {shape!r}")
    if two_d and len(shape) != 2:
        raise ValueError(f"shape: expected (fan_in, fan_out), got {tuple(shape)!r}")
    return tuple(check_positive_int(f"shape[{i}]", n) for i, n in enumerate(shape))


def zeros(key: PRNGKeyArray, shape: Sequence[int]) -> Float[Array, "*shape"]:
    """All zeros; ``key`` is unused but kept so every initializer has one signature.

    W = 0

    Examples:
        >>> import jax
        >>> zeros(jax.random.key(0), (2, 3)).shape
        (2, 3)
    """
    return jnp.zeros(_check_shape(key, shape, two_d=False))


def normal(key: PRNGKeyArray, shape: Sequence[int], stddev: float = 0.01) -> Float[Array, "*shape"]:
    """Small Gaussian weights with a fixed standard deviation, whatever the layer size.

    W_ij ~ N(0, stddev²),  stddev >= 0

    Examples:
        >>> import jax
        >>> w = normal(jax.random.key(0), (400, 200))
        >>> w.shape, round(float(w.std()), 3)
        ((400, 200), 0.01)
    """
    shape = _check_shape(key, shape, two_d=False)
    check_number("stddev", stddev, low=0.0)
    return _random.normal(key, shape, scale=stddev)


def glorot_uniform(key: PRNGKeyArray, shape: Sequence[int]) -> Float[Array, "fan_in fan_out"]:
    """Glorot/Xavier uniform (Glorot & Bengio 2010, eq. 16).

    W_ij ~ U(-a, a),  a = √(6 / (fan_in + fan_out)),  so Var(W) = 2 / (fan_in + fan_out)

    Examples:
        >>> import jax
        >>> w = glorot_uniform(jax.random.key(0), (400, 200))
        >>> round(float(w.var() * (400 + 200)), 1)
        2.0
    """
    fan_in, fan_out = _check_shape(key, shape, two_d=True)
    # Var(W) = 2 / (fan_in + fan_out) compromises between keeping activations
    # (needs 1/fan_in) and back-propagated gradients (needs 1/fan_out) steady.
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return _random.uniform(key, (fan_in, fan_out), minval=-limit, maxval=limit)


def glorot_normal(key: PRNGKeyArray, shape: Sequence[int]) -> Float[Array, "fan_in fan_out"]:
    """Glorot/Xavier normal: the Gaussian with the variance of ``glorot_uniform``.

    W_ij ~ N(0, 2 / (fan_in + fan_out))

    Examples:
        >>> import jax
        >>> w = glorot_normal(jax.random.key(0), (400, 200))
        >>> round(float(w.var() * (400 + 200)), 1)
        2.0
    """
    fan_in, fan_out = _check_shape(key, shape, two_d=True)
    # Plain (untruncated) normal, so the variance is exactly the formula above.
    stddev = math.sqrt(2.0 / (fan_in + fan_out))
    return _random.normal(key, (fan_in, fan_out), scale=stddev)


def he_normal(key: PRNGKeyArray, shape: Sequence[int]) -> Float[Array, "fan_in fan_out"]:
    """He/Kaiming normal for ReLU layers (He et al. 2015, eq. 10).

    W_ij ~ N(0, 2 / fan_in)

    Examples:
        >>> import jax
        >>> w = he_normal(jax.random.key(0), (400, 200))
        >>> round(float(w.var() * 400), 1)
        2.0
    """
    fan_in, fan_out = _check_shape(key, shape, two_d=True)
    # ReLU zeroes half of its inputs, halving the signal's second moment; the factor 2
    # restores it, so deep ReLU nets neither explode nor vanish at initialization.
    return _random.normal(key, (fan_in, fan_out), scale=math.sqrt(2.0 / fan_in))


def he_uniform(key: PRNGKeyArray, shape: Sequence[int]) -> Float[Array, "fan_in fan_out"]:
    """He/Kaiming uniform: the uniform distribution with the variance of ``he_normal``.

    W_ij ~ U(-a, a),  a = √(6 / fan_in),  so Var(W) = 2 / fan_in

    Examples:
        >>> import jax
        >>> w = he_uniform(jax.random.key(0), (400, 200))
        >>> round(float(w.var() * 400), 1)
        2.0
    """
    fan_in, fan_out = _check_shape(key, shape, two_d=True)
    limit = math.sqrt(6.0 / fan_in)
    return _random.uniform(key, (fan_in, fan_out), minval=-limit, maxval=limit)


INITIALIZERS: dict[str, Callable[..., Array]] = {
    "zeros": zeros,
    "normal": normal,
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
}


def get_initializer(name_or_fn: str | Callable, *, arg_name: str = "init") -> Callable:
    """Look an initializer up by name; a callable is returned unchanged.

    init = INITIALIZERS[name]

    Examples:
        >>> get_initializer("he_normal") is he_normal
        True
        >>> get_initializer("xavier")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: init: expected one of 'glorot_normal', ..., got 'xavier'
    """
    return lookup(arg_name, name_or_fn, INITIALIZERS)
