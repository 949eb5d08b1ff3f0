"""A single artificial neuron, taught in chapter 2 ("A single neuron").

A neuron takes a weighted sum of its inputs, adds a bias and passes the result through
an activation. With two inputs, the set where the weighted sum is zero is a straight
line: the neuron's decision boundary, which ``boundary_line`` returns for plotting.
"""

from collections.abc import Callable
from typing import NamedTuple

from jaxtyping import Array, ArrayLike, Float

from nnbook._checks import check_array, check_finite, check_last_dim, is_tracer
from nnbook.activations import get_activation


class Neuron(NamedTuple):
    """Parameters of one neuron: a weight per input and a scalar bias."""

    w: Float[Array, " d"]
    b: Float[Array, ""]


def _check_params(params: Neuron) -> tuple[Array, Array]:
    if not (hasattr(params, "w") and hasattr(params, "b")):
        raise TypeError(f"params: expected a Neuron(w, b), got {type(params).__name__}")
    w = check_array("params.w", params.w, ndim=1, allow_empty=False, shape_hint="(d,)")
    b = check_array("params.b", params.b, ndim=0, shape_hint="(a scalar)")
    return w, b


def _check_x(x: ArrayLike, w: Array) -> Array:
    x = check_array("x", x, ndim=(1, 2), allow_empty=False, shape_hint="(d,) or (batch, d)")
    check_last_dim("x", x, w.shape[0], f"the length of params.w, shape {w.shape}")
    return check_finite("x", x)


def weighted_sum(params: Neuron, x: Float[ArrayLike, "*batch d"]) -> Float[Array, "*batch"]:
    """The neuron's pre-activation: inputs times weights, plus the bias.

    z = w · x + b = Σ_i w_i x_i + b

    Args:
        params: the neuron's weights ``w`` (d,) and bias ``b`` ().
        x: one input (d,) or a batch (batch, d), one example per row.

    Returns:
        ``z``, a scalar for one input or shape (batch,) for a batch.

    Examples:
        >>> import jax.numpy as jnp
        >>> p = Neuron(w=jnp.array([2.0, -1.0]), b=jnp.array(0.5))
        >>> round(float(weighted_sum(p, jnp.array([1.0, 3.0]))), 3)
        -0.5
    """
    w, b = _check_params(params)
    x = _check_x(x, w)
    return x @ w + b


def neuron(
    params: Neuron, x: Float[ArrayLike, "*batch d"], activation: str | Callable = "sigmoid"
) -> Float[Array, "*batch"]:
    """The neuron's output: its activation applied to the weighted sum.

    y = f(w · x + b)

    Args:
        params: the neuron's weights ``w`` (d,) and bias ``b`` ().
        x: one input (d,) or a batch (batch, d).
        activation: a name from ``nnbook.activations.ACTIVATIONS`` or a function.

    Returns:
        The activation, a scalar for one input or shape (batch,) for a batch.

    Examples:
        >>> import jax.numpy as jnp
        >>> p = Neuron(w=jnp.array([2.0, -1.0]), b=jnp.array(0.5))
        >>> [round(v, 3) for v in neuron(p, jnp.array([[1.0, 3.0], [1.0, 0.0]])).tolist()]
        [0.378, 0.924]
    """
    f = get_activation(activation)
    return f(weighted_sum(params, x))


def boundary_line(params: Neuron, x1: Float[ArrayLike, "*n"]) -> Float[Array, "*n"]:
    """Points (x1, x2) of a 2-input neuron's decision boundary, solved for x2.

    w1 x1 + w2 x2 + b = 0  ⇒  x2 = -(w1 x1 + b) / w2

    Args:
        params: a neuron with exactly two weights; ``w[1]`` must not be 0 (the
            boundary would then be the vertical line x1 = -b / w1).
        x1: positions along the horizontal axis.

    Returns:
        The matching x2 values, same shape as ``x1``.

    Examples:
        >>> import jax.numpy as jnp
        >>> p = Neuron(w=jnp.array([1.0, 2.0]), b=jnp.array(-2.0))
        >>> [round(v, 3) for v in boundary_line(p, jnp.array([0.0, 4.0])).tolist()]
        [1.0, -1.0]
    """
    w, b = _check_params(params)
    if w.shape != (2,):
        raise ValueError(f"params.w: expected shape (2,) for a 2-input neuron, got {w.shape}")
    x1 = check_finite("x1", check_array("x1", x1))
    if not is_tracer(w) and float(w[1]) == 0.0:
        raise ValueError(
            "params.w: expected w[1] != 0, got w[1] = 0; the boundary is the vertical line "
            f"x1 = {-float(b) / float(w[0]) if float(w[0]) else float('nan'):.4g}"
        )
    return -(w[0] * x1 + b) / w[1]
