"""Backpropagation written by hand for the MLP, taught in chapter 6 ("Backpropagation").

``mlp_value_and_grad`` runs the forward pass once, keeping every pre-activation, then
walks the layers backwards applying the chain rule (Rumelhart, Hinton & Williams 1986):

    δ_L = ∂L/∂z_L,   ∂L/∂W_i = a_{i-1}ᵀ δ_i,   ∂L/∂b_i = Σ_batch δ_i,
    δ_{i-1} = (δ_i W_iᵀ) ⊙ f'(z_{i-1}).

No ``jax.grad`` or ``jax.vjp`` is used: the tests compare the result with ``jax.grad``
and with ``finite_difference_grad``, two independent references.
"""

import re
from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree
from jaxtyping import Array, ArrayLike, Float

from nnbook._checks import check_array, check_choice, check_number, describe
from nnbook.activations import get_derivative, sigmoid, softmax
from nnbook.layers import MLPParams, check_mlp_params, mlp, mlp_trace
from nnbook.losses import LOSSES, _align_targets


def _check_batch(x: ArrayLike) -> Array:
    return check_array("x", x, ndim=2, allow_empty=False, shape_hint="(batch, n_in)")


def _check_loss_name(loss: object) -> str:
    """A name from ``LOSSES``: the hand-written gradient needs to know which loss it is."""
    if not isinstance(loss, str):
        listed = ", ".join(repr(n) for n in sorted(LOSSES))
        raise TypeError(f"loss: expected one of {listed}, got {describe(loss)}")
    return check_choice("loss", loss, LOSSES)


def _loss_value(loss: str, logits: Array, y: ArrayLike) -> Array:
    """``LOSSES[loss](logits, y)``, with errors about the targets naming them ``y``."""
    try:
        return LOSSES[loss](logits, y)
    except (TypeError, ValueError) as err:
        message = re.sub(r"^(labels|targets)\b", "y", str(err))
        if message == str(err):
            raise
        raise type(err)(message) from None


def mlp_loss(
    params: MLPParams,
    x: Float[ArrayLike, "batch n_in"],
    y: ArrayLike,
    activation: str | Callable = "relu",
    loss: str = "softmax_cross_entropy",
) -> Float[Array, ""]:
    """Loss of an MLP with an identity output layer on a batch.

    L(θ) = loss(mlp(θ, x), y)

    Args:
        params: the MLP's layers, as from ``init_mlp``.
        x: inputs, one example per row.
        y: integer class ids (batch,) for ``"softmax_cross_entropy"``; 0/1 labels for
            ``"binary_cross_entropy"``; targets shaped like the output for ``"mse"``.
        activation: hidden-layer activation, a name or a function.
        loss: one of ``"softmax_cross_entropy"``, ``"binary_cross_entropy"``, ``"mse"``.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> from nnbook.layers import init_mlp
        >>> params = init_mlp(jax.random.key(0), (2, 4, 3))
        >>> mlp_loss(params, jnp.ones((5, 2)), jnp.zeros(5, dtype=int)).shape
        ()
    """
    return _loss_value(_check_loss_name(loss), mlp(params, _check_batch(x), activation), y)


def _output_delta(loss: str, logits: Array, y: Array) -> Array:
    """∂L/∂z for the output pre-activations z (= logits, as the output is identity)."""
    if loss == "softmax_cross_entropy":
        # ∂/∂z mean_n(logsumexp(z_n) - z_n,y_n) = (softmax(z) - onehot(y)) / batch
        onehot = (y[:, None] == jnp.arange(logits.shape[1])).astype(logits.dtype)
        return (softmax(logits) - onehot) / logits.shape[0]
    y = _align_targets(jnp.asarray(y), logits, "y", "logits").astype(logits.dtype)
    if loss == "binary_cross_entropy":
        # ∂/∂z mean(softplus(z) - y z) = (σ(z) - y) / N
        return (sigmoid(logits) - y) / logits.size
    return 2.0 * (logits - y) / logits.size  # ∂/∂z mean((z - y)²)


def mlp_value_and_grad(
    params: MLPParams,
    x: Float[ArrayLike, "batch n_in"],
    y: ArrayLike,
    activation: str | Callable = "relu",
    loss: str = "softmax_cross_entropy",
) -> tuple[Float[Array, ""], MLPParams]:
    """Loss and its gradient by hand-written reverse mode; jit-compatible.

    ∂L/∂W_i = a_{i-1}ᵀ δ_i,  δ_{i-1} = (δ_i W_iᵀ) ⊙ f'(z_{i-1})

    Args:
        params: the MLP's layers, as from ``init_mlp``.
        x: inputs (batch, n_in).
        y: targets, as in ``mlp_loss``.
        activation: a name in ``nnbook.activations.DERIVATIVES`` (or that function from
            ``nnbook.activations``): its derivative is written by hand, not traced.
        loss: one of ``"softmax_cross_entropy"``, ``"binary_cross_entropy"``, ``"mse"``.

    Returns:
        ``(loss, grads)`` where ``grads`` has exactly the pytree structure of ``params``.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> from nnbook.layers import init_mlp
        >>> params = init_mlp(jax.random.key(0), (2, 4, 3))
        >>> x, y = jnp.ones((5, 2)), jnp.array([0, 1, 2, 1, 0])
        >>> value, grads = mlp_value_and_grad(params, x, y, activation="tanh")
        >>> [g.W.shape for g in grads], [g.b.shape for g in grads]
        ([(2, 4), (4, 3)], [(4,), (3,)])
        >>> bool(jnp.isclose(value, mlp_loss(params, x, y, activation="tanh")))
        True
    """
    _check_loss_name(loss)
    d_act = get_derivative(activation)
    params = check_mlp_params(params)
    trace = mlp_trace(params, _check_batch(x), activation)
    logits = trace.activations[-1]
    value = _loss_value(loss, logits, y)  # also validates y against logits
    delta = _output_delta(loss, logits, jnp.asarray(y))  # (batch, n_out)
    grads = []
    for i in reversed(range(len(params))):
        a_prev = trace.inputs if i == 0 else trace.activations[i - 1]  # (batch, n_in_i)
        grads.append((a_prev.T @ delta, jnp.sum(delta, axis=0)))
        if i > 0:
            delta = (delta @ params[i].W.T) * d_act(trace.pre_activations[i - 1])
    # Dense flattens as (W, b), so this rebuilds params' own tree: tuple or list, Dense.
    leaves = [g for pair in reversed(grads) for g in pair]
    return value, jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(params), leaves)


def finite_difference_grad(
    f: Callable[[object], Array], params: object, eps: float = 1e-3
) -> object:
    """Central-difference gradient of a scalar function, entry by entry (slow; for checks).

    ∂f/∂θ_k ≈ (f(θ + ε e_k) - f(θ - ε e_k)) / (2ε)

    Args:
        f: a JAX-traceable function of ``params`` returning a scalar.
        params: any pytree of float arrays; use float64 (``jax.enable_x64``) for accuracy.
        eps: the step ε; the error is O(ε²) plus rounding of order (machine ε)/ε.

    Returns:
        A pytree shaped like ``params``.

    Examples:
        >>> import jax.numpy as jnp
        >>> params = {"w": jnp.array([1.0, -2.0])}
        >>> g = finite_difference_grad(lambda p: jnp.sum(p["w"] ** 2), params)
        >>> [round(v, 2) for v in g["w"].tolist()]
        [2.0, -4.0]
    """
    if not callable(f):
        raise TypeError(f"f: expected a function of params, got {type(f).__name__}")
    check_number("eps", eps, low=0.0, low_open=True)
    theta, unravel = ravel_pytree(params)
    check_array("params", theta, allow_empty=False)  # float leaves, at least one
    out = jax.eval_shape(lambda t: f(unravel(t)), theta)
    if getattr(out, "shape", None) != ():
        raise ValueError(f"f: expected a scalar output, got {getattr(out, 'shape', out)!r}")

    @jax.jit
    def central(k: Array) -> Array:
        e = jnp.zeros_like(theta).at[k].set(eps)
        return (f(unravel(theta + e)) - f(unravel(theta - e))) / (2 * eps)

    # lax.map runs the n columns sequentially in one compiled loop: O(n) memory.
    return unravel(jax.lax.map(central, jnp.arange(theta.size)))
