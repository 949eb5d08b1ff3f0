"""Gradient-descent optimizers as ``(init, update)`` pairs, taught in chapter 7
("Gradient descent and the training loop").

Each optimizer is a :class:`GradientTransformation` with optax's signature, so the
book can check it step by step against optax:

* ``state = optimizer.init(params)`` builds the optimizer state (a NamedTuple);
* ``updates, state = optimizer.update(grads, state, params)`` turns gradients into
  parameter *changes* (the ``-learning_rate`` is already inside them);
* ``params = apply_updates(params, updates)`` adds them: ``params + updates``.

Everything is a pure function of pytrees, so it works for any parameter structure
(a tuple of ``Dense`` layers, a single array, a dict) and can run inside ``jax.jit``.
Hyper-parameters are checked when the optimizer is built (``sgd("0.1")`` is a
``TypeError``); gradients, states and updates are checked against each other's tree
structure and shapes, which are known even while ``jit`` traces.
"""

import weakref
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol, runtime_checkable

import jax
import jax.numpy as jnp
from jax import Array

from nnbook._checks import check_float_leaves, check_number, check_same_tree, describe

# A hyper-parameter: a Python number, or a traced one (``jax.vmap`` over learning rates).
Scalar = float | Array


class GradientTransformation(NamedTuple):
    """An optimizer: ``init(params) -> state`` and ``update(grads, state, params=None)``.

    ``update`` returns ``(updates, new_state)``; the same contract as
    ``optax.GradientTransformation``.
    """

    init: Callable[[Any], Any]
    update: Callable[..., tuple[Any, Any]]


@runtime_checkable
class Optimizer(Protocol):
    """Anything with ``init`` and ``update`` as :class:`GradientTransformation` has them.

    What the training functions accept: this module's optimizers and optax's (whose
    ``GradientTransformation`` is a different class with the same two fields). It must
    be hashable: :func:`nnbook.training.fit` keeps its compiled programs keyed on it.
    """

    def __hash__(self) -> int: ...

    @property
    def init(self) -> Callable[[Any], Any]:
        """Makes the optimizer's starting state for ``params`` (``state = init(params)``)."""
        ...

    @property
    def update(self) -> Callable[..., tuple[Any, Any]]:
        """Turns gradients into updates (``updates, state = update(grads, state, params)``).

        This module's optimizers ignore ``params`` (optax's adamw needs it); ``updates``
        has the tree of ``grads``, and :func:`apply_updates` adds it to ``params``.
        """
        ...


class SGDState(NamedTuple):
    """Plain gradient descent keeps no state."""


class MomentumState(NamedTuple):
    """Momentum's state: the velocity, one array per parameter array."""

    velocity: Any


class AdamState(NamedTuple):
    """Adam's state: step count and the two moving averages (same tree as params)."""

    # The field shadows tuple.count (as in optax's ScaleByAdamState); the name is public.
    count: Array  # type: ignore[assignment]  # int32 scalar, number of updates done so far
    mu: Any  # first moment, running mean of gradients
    nu: Any  # second moment, running mean of squared gradients


# How each optimizer built here was made: its maker, learning rate and other
# hyper-parameters, keyed on its update function (weakly: forgotten with the optimizer).
# training.fit reads it to compile one program per kind of optimizer, with the learning
# rate as an input (see optimizer_recipe).
_RECIPES: weakref.WeakKeyDictionary[Callable, tuple[Callable, float, tuple]] = (
    weakref.WeakKeyDictionary()
)


def _python_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _remember(
    transform: GradientTransformation, maker: Callable, learning_rate: Any, **others: Any
) -> GradientTransformation:
    """Record how ``transform`` was made, when every hyper-parameter is a Python number."""
    if _python_number(learning_rate) and all(_python_number(v) for v in others.values()):
        _RECIPES[transform.update] = (maker, learning_rate, tuple(sorted(others.items())))
    return transform


def optimizer_recipe(optimizer: Any) -> tuple[Callable, float, tuple] | None:
    """``(maker, learning_rate, other_hyperparameters)`` of an optimizer built here, else None.

    ``maker(learning_rate, **dict(other_hyperparameters))`` builds the same optimizer,
    and, called with a traced learning rate, the same one with η as an input: what
    :func:`nnbook.training.fit` compiles, once for every learning rate. ``None`` for an
    optax optimizer or one whose hyper-parameters are arrays.

    Examples:
        >>> maker, lr, others = optimizer_recipe(momentum(0.05, beta=0.8))
        >>> maker is momentum, lr, others
        (True, 0.05, (('beta', 0.8),))
        >>> optimizer_recipe(sgd(jnp.float32(0.1))) is None  # an array: not a Python number
        True
    """
    update = getattr(optimizer, "update", None)
    try:
        return _RECIPES.get(update) if update is not None else None
    except TypeError:  # not weakly referenceable, so not one of ours
        return None


def _check_lr(learning_rate: Any) -> None:
    check_number("learning_rate", learning_rate, low=0.0, low_open=True)


def _check_decay(name: str, value: Any) -> None:
    check_number(name, value, low=0.0, high=1.0, high_open=True)


def _check_state(state: Any, cls: type, grads: Any, field: str, maker: str) -> None:
    """``state`` is this optimizer's, and its moments have the tree of ``grads``."""
    if not isinstance(state, cls):
        raise TypeError(
            f"state: expected a {cls.__name__} from {maker}.init(params), got {describe(state)}"
        )
    check_same_tree("grads", grads, getattr(state, field), f"state.{field}")


def apply_updates(params: Any, updates: Any) -> Any:
    """Add updates to parameters, keeping each parameter's dtype.

    θ ← θ + u

    Args:
        params: A pytree of floating-point arrays (an integer parameter would be
            silently truncated, so it is refused).
        updates: A pytree with the same structure and shapes (from ``update``); a
            shape that would broadcast and change a parameter's shape is refused.

    Returns:
        The new parameters, same structure and dtypes as ``params``.

    Examples:
        >>> print(apply_updates(jnp.array([1.0, 2.0]), jnp.array([0.5, -1.0])))
        [1.5 1. ]
    """
    check_same_tree("updates", updates, params, "params")
    check_float_leaves("params", params)
    return jax.tree.map(lambda p, u: jnp.asarray(p + u).astype(jnp.result_type(p)), params, updates)


def sgd(learning_rate: Scalar) -> GradientTransformation:
    """Plain (stochastic) gradient descent.

    u_t = -η g_t

    Args:
        learning_rate: Step size η > 0.

    Returns:
        A :class:`GradientTransformation`; equal to ``optax.sgd(learning_rate)``.

    Examples:
        >>> opt = sgd(0.1)
        >>> params = jnp.array([1.0, -2.0])
        >>> updates, state = opt.update(2 * params, opt.init(params))  # grad of |p|^2
        >>> print(apply_updates(params, updates).round(3))
        [ 0.8 -1.6]
    """
    _check_lr(learning_rate)

    def init(params: Any) -> SGDState:
        del params
        return SGDState()

    def update(grads: Any, state: SGDState, params: Any = None) -> tuple[Any, SGDState]:
        del params
        if not isinstance(state, SGDState):
            raise TypeError(
                f"state: expected an SGDState from sgd(...).init(params), got {describe(state)}"
            )
        return jax.tree.map(lambda g: -learning_rate * g, grads), state

    return _remember(GradientTransformation(init, update), sgd, learning_rate)


def momentum(learning_rate: Scalar, beta: Scalar = 0.9) -> GradientTransformation:
    """Gradient descent with (heavy-ball) momentum.

    Polyak (1964) "Some methods of speeding up the convergence of iteration methods";
    in deep learning, Sutskever et al. (2013) "On the importance of initialization and
    momentum in deep learning". We use optax's form (no dampening, velocity starts at 0).

    v_t = β v_{t-1} + g_t,  u_t = -η v_t   (v_0 = 0)

    Args:
        learning_rate: Step size η > 0.
        beta: Momentum coefficient in ``[0, 1)``; ``beta=0`` is plain SGD.

    Returns:
        A :class:`GradientTransformation`; equal to ``optax.sgd(learning_rate, momentum=beta)``.

    Examples:
        >>> opt = momentum(0.1, beta=0.9)
        >>> params = jnp.array([1.0])
        >>> state = opt.init(params)
        >>> for _ in range(2):
        ...     updates, state = opt.update(jnp.array([1.0]), state)  # constant gradient
        >>> round(float(state.velocity[0]), 3)  # 1 + 0.9 * 1
        1.9
    """
    _check_lr(learning_rate)
    _check_decay("beta", beta)

    def init(params: Any) -> MomentumState:
        return MomentumState(velocity=jax.tree.map(jnp.zeros_like, params))

    def update(grads: Any, state: MomentumState, params: Any = None) -> tuple[Any, MomentumState]:
        del params
        _check_state(state, MomentumState, grads, "velocity", "momentum(...)")
        velocity = jax.tree.map(lambda g, v: g + beta * v, grads, state.velocity)
        updates = jax.tree.map(lambda v: -learning_rate * v, velocity)
        return updates, MomentumState(velocity=velocity)

    return _remember(GradientTransformation(init, update), momentum, learning_rate, beta=beta)


@jax.jit
def _bias_correction(moment: Any, decay: Scalar, count: Array) -> Any:
    """m / (1 - decay**count) for every leaf, as ``optax.tree.bias_correction`` computes it.

    ``1 - decay**count`` is computed in float32 and cast to each leaf's dtype afterwards
    (``decay**count`` would round to 1 in bfloat16). The function is jitted, like
    optax's: XLA's compiled power rounds differently from the eager one in the last bit,
    and compiling it here too keeps our Adam bit-identical to optax, eager or jitted.
    """
    correction = 1 - decay**count
    return jax.tree.map(lambda t: t / correction.astype(t.dtype), moment)


def adam(
    learning_rate: Scalar, b1: Scalar = 0.9, b2: Scalar = 0.999, eps: Scalar = 1e-8
) -> GradientTransformation:
    """Adam: momentum plus a per-parameter step size from the gradient's running scale.

    Kingma & Ba (2015) "Adam: A method for stochastic optimization", Algorithm 1, with
    bias-corrected moments (``eps`` added outside the square root, as in the paper and optax).

    m_t = b1 m_{t-1} + (1-b1) g_t,  v_t = b2 v_{t-1} + (1-b2) g_t²,
    u_t = -η m̂_t / (√v̂_t + ε)  with  m̂_t = m_t / (1-b1^t),  v̂_t = v_t / (1-b2^t)

    Args:
        learning_rate: Step size η > 0.
        b1: Decay of the first-moment average, in ``[0, 1)``.
        b2: Decay of the second-moment average, in ``[0, 1)``.
        eps: Small constant added to the denominator, ``>= 0``.

    Returns:
        A :class:`GradientTransformation`. Its updates are bit-identical to
        ``optax.adam(learning_rate, b1, b2, eps)`` (optax 0.2.8, float32 and float64,
        eager or under ``jit``: measured over 100 steps on Rosenbrock's function in
        ``tests/test_optimizers.py``), because it does the same operations in the same
        order, down to computing the bias correction in a compiled function.

    Examples:
        >>> opt = adam(0.1)
        >>> params = jnp.array([3.0, -0.001])
        >>> updates, state = opt.update(params, opt.init(params))  # first step: -lr * sign(g)
        >>> print(updates.round(3), int(state.count))
        [-0.1  0.1] 1
    """
    _check_lr(learning_rate)
    _check_decay("b1", b1)
    _check_decay("b2", b2)
    check_number("eps", eps, low=0.0)

    def init(params: Any) -> AdamState:
        zeros = jax.tree.map(jnp.zeros_like, params)
        return AdamState(count=jnp.zeros([], jnp.int32), mu=zeros, nu=jax.tree.map(jnp.copy, zeros))

    def update(grads: Any, state: AdamState, params: Any = None) -> tuple[Any, AdamState]:
        del params
        _check_state(state, AdamState, grads, "mu", "adam(...)")
        mu = jax.tree.map(lambda g, m: (1 - b1) * g + b1 * m, grads, state.mu)
        nu = jax.tree.map(lambda g, v: (1 - b2) * g**2 + b2 * v, grads, state.nu)
        count = state.count + 1
        # Bias correction: the averages start at 0, so early on they underestimate.
        mu_hat, nu_hat = _bias_correction(mu, b1, count), _bias_correction(nu, b2, count)
        updates = jax.tree.map(
            lambda m, v: -learning_rate * (m / (jnp.sqrt(v) + eps)), mu_hat, nu_hat
        )
        return updates, AdamState(count=count, mu=mu, nu=nu)

    return _remember(
        GradientTransformation(init, update), adam, learning_rate, b1=b1, b2=b2, eps=eps
    )
