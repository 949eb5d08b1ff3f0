"""Activation functions, taught in chapter 3 ("Activation functions").

Every activation maps a float array to one of the same shape, elementwise except
``softmax``/``log_softmax``, which normalise along ``axis``. ``ACTIVATIONS`` maps the
names that other modules accept (``mlp(..., activation="tanh")``) to the functions, and
``get_derivative`` gives the hand-written derivatives that chapter 6's backprop uses.
An integer or bool *array* is refused (``TypeError``); a NaN input gives a NaN output.
"""

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax.scipy.special import erf, logsumexp
from jaxtyping import Array, ArrayLike, Float

from nnbook._checks import check_array, check_bool, check_choice, check_number, lookup

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)

# What the activations accept: float arrays, lists of numbers and Python numbers (ints
# are promoted to the default float dtype, so that ``sigmoid(0)`` works).
FloatLike = Float[ArrayLike, "*s"] | int | list


def step(x: FloatLike) -> Float[Array, "*s"]:
    """Heaviside step, the activation of the perceptron; its gradient is 0 everywhere.

    step(x) = 1 if x > 0 else 0

    Examples:
        >>> import jax.numpy as jnp
        >>> step(jnp.array([-1.0, 0.0, 2.0])).tolist()
        [0.0, 0.0, 1.0]
    """
    x = check_array("x", x)
    # A comparison has no derivative, so jax.grad returns 0, exactly as the math says.
    return (x > 0).astype(x.dtype)


def sigmoid(x: FloatLike) -> Float[Array, "*s"]:
    """Logistic sigmoid, squashing any real number into (0, 1).

    σ(x) = 1 / (1 + exp(-x))

    Examples:
        >>> import jax.numpy as jnp
        >>> [round(v, 3) for v in sigmoid(jnp.array([-2.0, 0.0, 2.0])).tolist()]
        [0.119, 0.5, 0.881]
    """
    x = check_array("x", x)
    # The literal formula overflows exp(-x) for x << 0 and then has a NaN gradient;
    # lax.logistic evaluates the same function without overflow.
    return jax.lax.logistic(x)


def tanh(x: FloatLike) -> Float[Array, "*s"]:
    """Hyperbolic tangent, a zero-centred sigmoid with range (-1, 1).

    tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x)) = 2σ(2x) - 1

    Examples:
        >>> import jax.numpy as jnp
        >>> [round(v, 3) for v in tanh(jnp.array([-1.0, 0.0, 1.0])).tolist()]
        [-0.762, 0.0, 0.762]
    """
    return jnp.tanh(check_array("x", x))


def relu(x: FloatLike) -> Float[Array, "*s"]:
    """Rectified linear unit; we take relu'(0) = 0, as jax.nn.relu does.

    relu(x) = max(x, 0)

    Examples:
        >>> import jax.numpy as jnp
        >>> relu(jnp.array([-1.0, 0.0, 2.0])).tolist()
        [0.0, 0.0, 2.0]
    """
    x = check_array("x", x)
    # jnp.maximum(x, 0) would give the gradient 0.5 at x == 0; where() gives 0, and
    # testing x <= 0 (not x > 0) lets a NaN through instead of hiding it as 0.
    return jnp.where(x <= 0, jnp.zeros_like(x), x)


def leaky_relu(x: FloatLike, negative_slope: float = 0.01) -> Float[Array, "*s"]:
    """ReLU with a small slope for negative inputs, so no unit is ever fully "dead".

    leaky_relu(x) = x if x > 0 else negative_slope * x

    Examples:
        >>> import jax.numpy as jnp
        >>> [round(v, 3) for v in leaky_relu(jnp.array([-2.0, 3.0]), 0.1).tolist()]
        [-0.2, 3.0]
    """
    x = check_array("x", x)
    check_number("negative_slope", negative_slope)
    return jnp.where(x > 0, x, negative_slope * x)


def gelu(x: FloatLike, approximate: bool = False) -> Float[Array, "*s"]:
    """Gaussian error linear unit (Hendrycks & Gimpel 2016): x weighted by Φ(x).

    gelu(x) = x Φ(x) = x/2 (1 + erf(x / √2)); approximate: tanh form of the paper.

    Examples:
        >>> import jax.numpy as jnp
        >>> [round(v, 3) for v in gelu(jnp.array([-1.0, 0.0, 1.0])).tolist()]
        [-0.159, 0.0, 0.841]
    """
    x = check_array("x", x)
    if check_bool("approximate", approximate):
        # Hendrycks & Gimpel 2016, eq. for the fast tanh approximation.
        return 0.5 * x * (1.0 + jnp.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x**3)))
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def identity(x: FloatLike) -> Float[Array, "*s"]:
    """The identity, used for output layers that return logits.

    identity(x) = x

    Examples:
        >>> identity([1.5, -2.0]).tolist()
        [1.5, -2.0]
    """
    return check_array("x", x)


def softmax(x: FloatLike, axis: int = -1) -> Float[Array, "*s"]:
    """Turn scores into probabilities along ``axis``.

    softmax(x)_i = exp(x_i) / Σ_j exp(x_j)

    Examples:
        >>> import jax.numpy as jnp
        >>> [round(v, 3) for v in softmax(jnp.array([1.0, 2.0, 3.0])).tolist()]
        [0.09, 0.245, 0.665]
    """
    x = _check_axis(check_array("x", x), axis)
    # Subtracting the max leaves the result unchanged and keeps exp() from overflowing;
    # it is a constant shift, so no gradient needs to flow through it.
    shifted = x - jax.lax.stop_gradient(jnp.max(x, axis=axis, keepdims=True))
    e = jnp.exp(shifted)
    return e / jnp.sum(e, axis=axis, keepdims=True)


def log_softmax(x: FloatLike, axis: int = -1) -> Float[Array, "*s"]:
    """Logarithm of softmax, computed without forming the (underflowing) probabilities.

    log_softmax(x)_i = x_i - log Σ_j exp(x_j)

    Examples:
        >>> import jax.numpy as jnp
        >>> [round(v, 3) for v in log_softmax(jnp.array([0.0, 1e4])).tolist()]
        [-10000.0, 0.0]
    """
    x = _check_axis(check_array("x", x), axis)
    return x - logsumexp(x, axis=axis, keepdims=True)


def _check_axis(x: Array, axis: object) -> Array:
    """``axis`` must name an axis of ``x`` with at least one entry to normalise over."""
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise TypeError(f"axis: expected an integer, got {type(axis).__name__} {axis!r}")
    if x.ndim == 0:
        raise ValueError("x: expected an array with at least one dimension, got shape ()")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(
            f"axis: expected an axis of x in [{-x.ndim}, {x.ndim - 1}], got {axis} "
            f"(x has shape {x.shape})"
        )
    if x.shape[axis] == 0:
        raise ValueError(f"x: expected at least one entry along axis {axis}, got shape {x.shape}")
    return x


ACTIVATIONS: dict[str, Callable[..., Array]] = {
    "step": step,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "relu": relu,
    "leaky_relu": leaky_relu,
    "gelu": gelu,
    "identity": identity,
}


def get_activation(name_or_fn: str | Callable, *, arg_name: str = "activation") -> Callable:
    """Look an activation up by name; a callable is returned unchanged.

    f = ACTIVATIONS[name]

    Examples:
        >>> get_activation("tanh") is tanh
        True
        >>> get_activation("swish")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: activation: expected one of 'gelu', ..., 'tanh', got 'swish'
    """
    return lookup(arg_name, name_or_fn, ACTIVATIONS)


# Hand-written derivatives f'(z), written in terms of z, for chapter 6's backprop.
def _d_sigmoid(z: Array) -> Array:
    s = jax.lax.logistic(z)
    return s * (1.0 - s)


def _d_gelu(z: Array) -> Array:
    # d/dz [z Φ(z)] = Φ(z) + z φ(z)  (Hendrycks & Gimpel 2016, exact GELU)
    cdf = 0.5 * (1.0 + erf(z / math.sqrt(2.0)))
    pdf = jnp.exp(-0.5 * z**2) / math.sqrt(2.0 * math.pi)
    return cdf + z * pdf


DERIVATIVES: dict[str, Callable[[Array], Array]] = {
    "step": jnp.zeros_like,
    "sigmoid": _d_sigmoid,
    "tanh": lambda z: 1.0 - jnp.tanh(z) ** 2,
    "relu": lambda z: (z > 0).astype(z.dtype),
    "leaky_relu": lambda z: jnp.where(z > 0, 1.0, 0.01).astype(z.dtype),
    "gelu": _d_gelu,
    "identity": jnp.ones_like,
}


def get_derivative(name_or_fn: str | Callable, *, arg_name: str = "activation") -> Callable:
    """Hand-written derivative f'(z) of a named activation (or of one of its functions).

    relu'(z) = 1 if z > 0 else 0;  σ'(z) = σ(z)(1 - σ(z));  gelu'(z) = Φ(z) + z φ(z)

    Examples:
        >>> import jax.numpy as jnp
        >>> [round(v, 3) for v in get_derivative("sigmoid")(jnp.array([0.0, 2.0])).tolist()]
        [0.25, 0.105]
    """
    if callable(name_or_fn):
        # Accept the module's own functions (activation=tanh) by mapping them back to names.
        names = [n for n, f in ACTIVATIONS.items() if f is name_or_fn]
        if not names:
            valid = ", ".join(repr(n) for n in sorted(DERIVATIVES))
            fn = getattr(name_or_fn, "__qualname__", repr(name_or_fn))
            raise ValueError(
                f"{arg_name}: expected an activation with a hand-written derivative ({valid}, "
                f"by name or as that function of nnbook.activations), got {fn}, which has "
                "no hand-written derivative"
            )
        name_or_fn = names[0]
    if not isinstance(name_or_fn, str):
        lookup(arg_name, name_or_fn, DERIVATIVES)  # raises the TypeError for a non-name
    return DERIVATIVES[check_choice(arg_name, name_or_fn, DERIVATIVES)]
