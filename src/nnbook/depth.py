"""Depth: equal-budget networks, residual blocks, what units respond to (chapter 11, "Depth").

Chapter 11 asks what extra layers buy. It compares networks of different depth that
have the same number of parameters (:func:`width_for_budget`), shows how a pair of
steep sigmoids makes a bump and how bumps add up to any curve in one dimension
(:func:`bump`, :func:`bump_approximation`), finds the input that most excites a hidden
unit by gradient ascent (:func:`maximize_activation`), and trains very deep networks
with and without residual connections (:func:`init_resmlp`, :func:`resmlp`; He et al.
2016).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from nnbook._checks import check_array, check_key, check_positive_int
from nnbook.layers import Dense, dense, init_dense


def mlp_param_count(n_in: int, n_out: int, depth: int, width: int) -> int:
    """Parameters of an MLP with ``depth`` hidden layers of ``width`` units.

    count = n_in·w + w + (depth - 1)(w² + w) + w·n_out + n_out

    Examples:
        >>> mlp_param_count(784, 10, 1, 32)  # 784*32 + 32 + 32*10 + 10
        25450
    """
    n_in, n_out = check_positive_int("n_in", n_in), check_positive_int("n_out", n_out)
    depth, width = check_positive_int("depth", depth), check_positive_int("width", width)
    return n_in * width + width + (depth - 1) * (width * width + width) + width * n_out + n_out


def width_for_budget(n_in: int, n_out: int, depth: int, budget: int) -> int:
    """The hidden width that gives ``depth`` equal hidden layers about ``budget`` parameters.

    Solves (depth - 1) w² + (n_in + n_out + depth) w + n_out = budget for w, rounded.

    Raises:
        ValueError: If even one hidden unit per layer exceeds the budget.

    Examples:
        >>> w = width_for_budget(784, 10, 3, 25_000)
        >>> w, mlp_param_count(784, 10, 3, w)
        (29, 24805)
    """
    depth, budget = check_positive_int("depth", depth), check_positive_int("budget", budget)
    smallest = mlp_param_count(n_in, n_out, depth, 1)
    if budget < smallest:
        raise ValueError(
            f"budget: expected at least {smallest} parameters (one unit per layer), got {budget}"
        )
    a, b, c = depth - 1, n_in + n_out + depth, n_out - budget
    width = -c / b if a == 0 else (-b + math.sqrt(b * b - 4 * a * c)) / (2 * a)
    return max(1, round(width))


class ResBlock(NamedTuple):
    """One residual block: h ← h + W_b relu(W_a h + b_a) + b_b."""

    inner: Dense  # (width, width)
    outer: Dense  # (width, width); starts at zero so the block starts as the identity


class ResMLP(NamedTuple):
    """Input layer, residual (or plain) blocks, output layer."""

    inp: Dense  # (n_in, width)
    blocks: tuple[ResBlock, ...]
    out: Dense  # (width, n_out)


def init_resmlp(
    key: PRNGKeyArray, n_in: int, width: int, depth: int, n_out: int, *, residual: bool = True
) -> ResMLP:
    """A network of ``depth`` two-layer blocks, with or without skip connections.

    With ``residual=True`` each block's second layer starts at zero, so the whole
    network starts as one hidden layer followed by identities; with ``False`` every
    layer is He-normal, the usual initialization of a plain ReLU network.

    Examples:
        >>> p = init_resmlp(jax.random.key(0), 4, 8, depth=3, n_out=2)
        >>> len(p.blocks), p.blocks[0].outer.W.shape, float(abs(p.blocks[0].outer.W).max())
        (3, (8, 8), 0.0)
    """
    check_key("key", key)
    n_in, width = check_positive_int("n_in", n_in), check_positive_int("width", width)
    depth, n_out = check_positive_int("depth", depth), check_positive_int("n_out", n_out)
    if not isinstance(residual, bool):
        raise TypeError(f"residual: expected True or False, got {residual!r}")
    keys = jax.random.split(key, 2 * depth + 2)
    blocks = tuple(
        ResBlock(
            init_dense(keys[2 * i + 1], width, width, init="he_normal"),
            init_dense(keys[2 * i + 2], width, width, init="zeros" if residual else "he_normal"),
        )
        for i in range(depth)
    )
    inp = init_dense(keys[0], n_in, width, init="he_normal")
    return ResMLP(inp, blocks, init_dense(keys[-1], width, n_out))


def resmlp(
    params: ResMLP, x: Float[ArrayLike, "*batch n_in"], *, residual: bool = True
) -> Float[Array, "*batch n_out"]:
    """Logits of :func:`init_resmlp`'s network.

    h₀ = relu(x W_in + b_in);  block: h ← h + f(h) (residual) or h ← relu(f(h)) (plain),
    f(h) = relu(h W_a + b_a) W_b + b_b

    Examples:
        >>> p = init_resmlp(jax.random.key(0), 4, 8, depth=2, n_out=3)
        >>> resmlp(p, jnp.ones((5, 4))).shape
        (5, 3)
    """
    if not isinstance(params, ResMLP):
        raise TypeError(f"params: expected a ResMLP from init_resmlp, got {type(params).__name__}")
    x = check_array("x", x, dtype_kind="f", allow_empty=False)
    if x.shape[-1] != params.inp.W.shape[0]:
        raise ValueError(
            f"x: expected last dimension {params.inp.W.shape[0]} (params.inp.W rows), "
            f"got shape {x.shape}"
        )
    h = jax.nn.relu(dense(params.inp, x))
    for block in params.blocks:
        f = dense(block.outer, jax.nn.relu(dense(block.inner, h)))
        h = h + f if residual else jax.nn.relu(f)
    return dense(params.out, h)


def maximize_activation(
    unit_fn: Callable[[Array], Array],
    x0: Float[ArrayLike, " d"],
    *,
    steps: int = 200,
    learning_rate: float = 0.1,
) -> Float[Array, " d"]:
    """The input of fixed length ``|x0|`` that most excites a unit, by gradient ascent.

    x ← r (x + η ∇ₓ unit(x)) / norm(x + η ∇ₓ unit(x)),  r = norm(x0)   (onto the sphere)

    For a first-layer unit, unit(x) = w·x + b, the answer is w scaled to length norm(x0)
    (the Cauchy-Schwarz inequality); deeper units have no such closed form.

    Args:
        unit_fn: ``unit_fn(x) -> scalar`` activation of one unit for one input (d,).
        x0: Starting input; its length fixes the constraint.
        steps: Ascent steps (run in one ``lax.fori_loop``).
        learning_rate: Step size η.

    Examples:
        >>> w = jnp.array([3.0, 4.0])
        >>> maximize_activation(lambda x: w @ x, jnp.array([1.0, 0.0]), steps=50).round(3)
        Array([0.6, 0.8], dtype=float32)
    """
    if not callable(unit_fn):
        raise TypeError(f"unit_fn: expected a function of one input, got {unit_fn!r}")
    x0 = check_array("x0", x0, ndim=1, dtype_kind="f", allow_empty=False)
    steps = check_positive_int("steps", steps)
    radius = jnp.linalg.norm(x0)
    if float(radius) == 0.0:
        raise ValueError("x0: expected a non-zero starting input (its length is the constraint)")
    grad = jax.grad(lambda x: jnp.asarray(unit_fn(x)).reshape(()))

    def step(_, x):
        x = x + learning_rate * grad(x)
        return x * radius / jnp.linalg.norm(x)

    return jax.lax.fori_loop(0, steps, step, x0)


def bump(x: Float[ArrayLike, "*n"], left: float, right: float, steepness: float = 50.0) -> Array:
    """A bump of height 1 on [left, right] made of two steep sigmoid units.

    bump(x) = σ(k (x - left)) - σ(k (x - right))

    Examples:
        >>> bump(jnp.array([-1.0, 0.5, 2.0]), 0.0, 1.0).round(3)
        Array([0., 1., 0.], dtype=float32)
    """
    if not right > left:
        raise ValueError(f"right: expected a number above left = {left}, got {right}")
    return _bump(jnp.asarray(x, dtype=jnp.result_type(float)), left, right, steepness)


def _bump(x: Array, left: Array | float, right: Array | float, k: float) -> Array:
    return jax.nn.sigmoid(k * (x - left)) - jax.nn.sigmoid(k * (x - right))


def bump_approximation(
    f: Callable[[Array], Array],
    x: Float[ArrayLike, " n"],
    n_bumps: int,
    lo: float,
    hi: float,
    steepness: float | None = None,
) -> Float[Array, " n"]:
    """``f`` on [lo, hi] as a sum of ``n_bumps`` bumps: a network of 2·n_bumps sigmoid units.

    f̂(x) = Σ_j f(c_j) · bump(x; e_j, e_{j+1}),  e_j = lo + j (hi - lo)/n,  c_j its midpoint

    Examples:
        >>> xs = jnp.linspace(0.0, 1.0, 101)
        >>> err = jnp.abs(bump_approximation(jnp.sin, xs, 50, 0.0, 1.0) - jnp.sin(xs))
        >>> bool(err[5:-5].max() < 0.02)
        True
    """
    n_bumps = check_positive_int("n_bumps", n_bumps)
    if not hi > lo:
        raise ValueError(f"hi: expected a number above lo = {lo}, got {hi}")
    edges = jnp.linspace(lo, hi, n_bumps + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    k = steepness if steepness is not None else 10.0 * n_bumps / (hi - lo)
    x = jnp.asarray(x, dtype=jnp.result_type(float))
    heights = f(centres)
    parts = jax.vmap(lambda a, b: _bump(x, a, b, k))(edges[:-1], edges[1:])  # (n_bumps, n)
    return heights @ parts
