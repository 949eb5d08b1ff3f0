"""Dense layers and multilayer perceptrons, taught in chapter 4 ("Layers and the forward pass").

A dense layer is many neurons side by side: weights ``W`` stored (n_in, n_out), so a
batch with one example per row goes through as ``x @ W + b``. An MLP is a tuple of
dense layers with an activation between them. ``mlp_trace`` keeps every intermediate
value, which chapter 6's hand-written backprop needs and chapter 4's figures show.
"""

from collections.abc import Callable, Sequence
from typing import NamedTuple

import jax
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from nnbook._checks import (
    check_array,
    check_finite,
    check_key,
    check_last_dim,
    check_positive_int,
)
from nnbook.activations import get_activation
from nnbook.initializers import get_initializer, zeros


class Dense(NamedTuple):
    """Parameters of a dense layer: weights (n_in, n_out) and biases (n_out,)."""

    # The leading _ tells jaxtyping's checker that each layer has sizes of its own: in a
    # tuple of layers, n_in and n_out differ from layer to layer.
    W: Float[Array, "_n_in _n_out"]
    b: Float[Array, " _n_out"]


MLPParams = tuple[Dense, ...] | list[Dense]  # init_mlp makes a tuple; a list works too


class MLPTrace(NamedTuple):
    """Every value of an MLP's forward pass, layer by layer.

    ``pre_activations[i] = a_{i-1} @ W_i + b_i`` (with ``a_{-1} = inputs``) and
    ``activations[i] = f(pre_activations[i])``; ``activations[-1]`` is the output.
    """

    inputs: Float[Array, "*batch n_in"]
    pre_activations: tuple[Array, ...]
    activations: tuple[Array, ...]


def init_dense(
    key: PRNGKeyArray, n_in: int, n_out: int, init: str | Callable = "glorot_normal"
) -> Dense:
    """A dense layer with weights from ``init`` and zero biases.

    W ~ init(fan_in=n_in, fan_out=n_out),  b = 0

    Examples:
        >>> import jax
        >>> layer = init_dense(jax.random.key(0), 2, 4)
        >>> layer.W.shape, layer.b.shape
        ((2, 4), (4,))
    """
    check_key("key", key)
    n_in = check_positive_int("n_in", n_in)
    n_out = check_positive_int("n_out", n_out)
    W = get_initializer(init)(key, (n_in, n_out))
    if not (hasattr(W, "shape") and hasattr(W, "dtype")) or W.shape != (n_in, n_out):
        got = f"shape {W.shape}" if hasattr(W, "shape") else type(W).__name__
        raise ValueError(f"init: expected an array of shape ({n_in}, {n_out}), got {got}")
    return Dense(W=W, b=zeros(key, (n_out,)))


def dense(params: Dense, x: Float[ArrayLike, "*batch n_in"]) -> Float[Array, "*batch n_out"]:
    """Apply a dense layer to one input (n_in,) or a batch (batch, n_in).

    y = x W + b

    Examples:
        >>> import jax.numpy as jnp
        >>> layer = Dense(W=jnp.array([[1.0, 0.0], [2.0, -1.0]]), b=jnp.array([0.5, 0.0]))
        >>> dense(layer, jnp.array([[1.0, 1.0]])).tolist()
        [[3.5, -1.0]]
    """
    _check_layer("params", params)
    x = _check_input(x, params, where="params.W")
    return x @ params.W + params.b


def init_mlp(
    key: PRNGKeyArray, sizes: Sequence[int], init: str | Callable = "he_normal"
) -> tuple[Dense, ...]:
    """An MLP with layer widths ``sizes = (n_in, hidden..., n_out)``.

    params[i] = init_dense(key_i, sizes[i], sizes[i + 1])

    Examples:
        >>> import jax
        >>> params = init_mlp(jax.random.key(0), (2, 4, 3))  # 2 inputs, 4 hidden, 3 outputs
        >>> [layer.W.shape for layer in params], count_params(params)
        ([(2, 4), (4, 3)], 27)
    """
    check_key("key", key)
    if isinstance(sizes, str | int) or not isinstance(sizes, Sequence):
        raise TypeError(f"sizes: expected a tuple (n_in, hidden..., n_out), got {sizes!r}")
    if len(sizes) < 2:
        raise ValueError(f"sizes: expected (n_in, hidden..., n_out) with 2+ entries, got {sizes!r}")
    sizes = [check_positive_int(f"sizes[{i}]", n) for i, n in enumerate(sizes)]
    keys = jax.random.split(key, len(sizes) - 1)
    return tuple(
        init_dense(k, m, n, init) for k, m, n in zip(keys, sizes[:-1], sizes[1:], strict=True)
    )


def check_mlp_params(params: MLPParams, name: str = "params") -> MLPParams:
    """Check that ``params`` is a non-empty sequence of Dense layers whose shapes chain.

    params[i].W.shape == (params[i-1].W.shape[1], params[i].b.shape[0])

    Examples:
        >>> import jax.numpy as jnp
        >>> first = Dense(W=jnp.ones((2, 4)), b=jnp.zeros(4))
        >>> second = Dense(W=jnp.ones((5, 3)), b=jnp.zeros(3))
        >>> check_mlp_params((first, second))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: params: expected params[1].W with 4 rows ... got shape (5, 3)
    """
    if isinstance(params, Dense) or not isinstance(params, list | tuple):
        raise TypeError(
            f"{name}: expected a non-empty tuple of Dense layers, got {type(params).__name__}"
        )
    if not params:
        raise ValueError(f"{name}: expected a non-empty tuple of Dense layers, got {params!r}")
    n_prev = None
    for i, layer in enumerate(params):
        W = _check_layer(f"{name}[{i}]", layer)
        if n_prev is not None and W.shape[0] != n_prev:
            raise ValueError(
                f"{name}: expected {name}[{i}].W with {n_prev} rows ({name}[{i - 1}] outputs "
                f"{n_prev} features), got shape {W.shape}"
            )
        n_prev = W.shape[1]
    return params


def _check_layer(name: str, layer: Dense) -> Array:
    """Check one Dense layer's types and shapes; return its W as an array."""
    if not (hasattr(layer, "W") and hasattr(layer, "b")):
        raise TypeError(f"{name}: expected a Dense(W, b), got {type(layer).__name__}")
    W = check_array(f"{name}.W", layer.W, ndim=2, allow_empty=False, shape_hint="(n_in, n_out)")
    b = check_array(f"{name}.b", layer.b, ndim=1, shape_hint="(n_out,)")
    if b.shape != (W.shape[1],):
        raise ValueError(
            f"{name}.b: expected shape ({W.shape[1]},) to match W of shape {W.shape}, got {b.shape}"
        )
    return W


def _check_input(x: ArrayLike, first: Dense, where: str = "params[0].W") -> Array:
    x = check_array("x", x, ndim=(1, 2), allow_empty=False, shape_hint="(n_in,) or (batch, n_in)")
    check_last_dim("x", x, first.W.shape[0], f"rows of {where}, shape {first.W.shape}")
    return check_finite("x", x)


def mlp(
    params: MLPParams,
    x: Float[ArrayLike, "*batch n_in"],
    activation: str | Callable = "relu",
    output_activation: str | Callable = "identity",
) -> Float[Array, "*batch n_out"]:
    """Forward pass of an MLP; returns logits with the default identity output.

    a_0 = x,  a_i = f(a_{i-1} W_i + b_i),  output uses ``output_activation``

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> params = init_mlp(jax.random.key(0), (2, 4, 3))
        >>> mlp(params, jnp.ones((5, 2)), activation="tanh").shape
        (5, 3)
    """
    return mlp_trace(params, x, activation, output_activation).activations[-1]


def mlp_trace(
    params: MLPParams,
    x: Float[ArrayLike, "*batch n_in"],
    activation: str | Callable = "relu",
    output_activation: str | Callable = "identity",
) -> MLPTrace:
    """Forward pass that keeps every pre-activation z_i and activation a_i.

    z_i = a_{i-1} W_i + b_i,  a_i = f(z_i)

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> params = init_mlp(jax.random.key(0), (2, 4, 3))
        >>> t = mlp_trace(params, jnp.ones((5, 2)))
        >>> [z.shape for z in t.pre_activations]
        [(5, 4), (5, 3)]
    """
    params = check_mlp_params(params)
    x = _check_input(x, params[0])
    f_hidden = get_activation(activation, arg_name="activation")
    f_out = get_activation(output_activation, arg_name="output_activation")
    a, zs, acts = x, [], []
    for i, layer in enumerate(params):
        z = a @ layer.W + layer.b  # (batch, n_in_i) @ (n_in_i, n_out_i) -> (batch, n_out_i)
        a = f_out(z) if i == len(params) - 1 else f_hidden(z)
        zs.append(z)
        acts.append(a)
    return MLPTrace(inputs=x, pre_activations=tuple(zs), activations=tuple(acts))


def count_params(params: object) -> int:
    """Number of scalar parameters in any pytree of arrays.

    count = Σ_layers (n_in · n_out + n_out)

    Examples:
        >>> import jax
        >>> count_params(init_mlp(jax.random.key(0), (2, 4, 3)))  # 2*4 + 4 + 4*3 + 3
        27
    """
    total = 0
    for path, leaf in jax.tree_util.tree_leaves_with_path(params):
        if not hasattr(leaf, "size") or isinstance(leaf, str):
            where = jax.tree_util.keystr(path)
            raise TypeError(f"params{where}: expected an array, got {type(leaf).__name__}")
        total += int(leaf.size)
    return total
