"""Recurrent networks: the Elman cell, the GRU and the LSTM, taught in chapter 13.

A recurrent cell is a function ``new_state = cell(params, state, x_t)`` applied once per
time step with the *same* parameters. :func:`unroll` runs any cell along a sequence with
``jax.lax.scan``, so the loop is traced and compiled once whatever the length; :func:`rnn`,
:func:`gru` and :func:`lstm` are that loop for each cell and return every hidden state.

Sequences are batch-first, ``(batch, time, features)``, like the arrays that
:func:`nnbook.training.fit` slices into mini-batches; one unbatched sequence ``(time,
features)`` works too. Every gate is an affine map of the input and the previous hidden
state, stored as an :class:`RNNCell` ``(W_x, W_h, b)``, so a GRU is three of them and an
LSTM four.
"""

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from nnbook import _random
from nnbook._checks import check_array, check_finite, check_positive_int, is_tracer
from nnbook.initializers import glorot_normal

__all__ = [
    "GRUCell",
    "LSTMCell",
    "LSTMState",
    "RNNCell",
    "gru",
    "gru_cell",
    "init_gru",
    "init_lstm",
    "init_rnn",
    "lstm",
    "lstm_cell",
    "rnn",
    "rnn_cell",
    "unroll",
]


class RNNCell(NamedTuple):
    """An Elman cell (or one gate of a gated cell): ``x_t @ W_x + h_{t-1} @ W_h + b``."""

    W_x: Float[Array, "n_in n_hidden"]
    W_h: Float[Array, "n_hidden n_hidden"]
    b: Float[Array, " n_hidden"]


class GRUCell(NamedTuple):
    """A gated recurrent unit (Cho et al., 2014): an update gate, a reset gate, a candidate."""

    update: RNNCell
    reset: RNNCell
    candidate: RNNCell


class LSTMCell(NamedTuple):
    """A long short-term memory cell with a forget gate (Hochreiter & Schmidhuber, 1997;
    Gers et al., 2000): input, forget and output gates and a candidate."""

    input_gate: RNNCell
    forget_gate: RNNCell
    output_gate: RNNCell
    candidate: RNNCell


class LSTMState(NamedTuple):
    """What an LSTM carries from step to step: the hidden state h and the cell state c."""

    h: Float[Array, "*batch n_hidden"]
    c: Float[Array, "*batch n_hidden"]


def _orthogonal(key: PRNGKeyArray, n: int) -> Float[Array, "n n"]:
    """A random orthogonal matrix: Q of the QR decomposition of a Gaussian matrix, signs
    fixed by diag(R) so that it is uniformly distributed (as jax.nn.initializers.orthogonal).

    Outside jit and vmap the decomposition runs in NumPy: compiling XLA's QR costs seconds,
    far more than one small decomposition does.
    """
    dtype = jnp.result_type(float)
    g = _random.normal(key, (n, n), dtype)  # jax.random.normal, fewer compiles
    if is_tracer(g):
        q, r = jnp.linalg.qr(g)
        return q * jnp.sign(jnp.diag(r))
    q64, r64 = np.linalg.qr(np.asarray(g, np.float64))
    return jnp.asarray(q64 * np.sign(np.diag(r64)), dtype)


def _init_affine(key: PRNGKeyArray, n_in: int, n_hidden: int, bias: float = 0.0) -> RNNCell:
    """Glorot-normal input weights, orthogonal recurrent weights, a constant bias."""
    k_x, k_h = jax.random.split(key)
    W_h = _orthogonal(k_h, n_hidden)
    return RNNCell(
        W_x=glorot_normal(k_x, (n_in, n_hidden)),
        W_h=W_h,
        b=jnp.full((n_hidden,), bias, dtype=W_h.dtype),
    )


def init_rnn(key: PRNGKeyArray, n_in: int, n_hidden: int) -> RNNCell:
    """An Elman cell with Glorot-normal ``W_x``, orthogonal ``W_h`` and zero bias.

    W_x ~ N(0, 2 / (n_in + n_hidden)),  W_h orthogonal (every singular value 1),  b = 0

    Examples:
        >>> import jax
        >>> cell = init_rnn(jax.random.key(0), 3, 8)
        >>> cell.W_x.shape, cell.W_h.shape, cell.b.shape
        ((3, 8), (8, 8), (8,))
    """
    n_in = check_positive_int("n_in", n_in)
    n_hidden = check_positive_int("n_hidden", n_hidden)
    return _init_affine(key, n_in, n_hidden)


def init_gru(key: PRNGKeyArray, n_in: int, n_hidden: int, update_bias: float = 0.0) -> GRUCell:
    """A GRU whose three affine maps are initialized like :func:`init_rnn`.

    b_update = update_bias (a positive value makes the cell keep its state at first)

    Examples:
        >>> import jax
        >>> cell = init_gru(jax.random.key(0), 3, 8)
        >>> [gate.W_h.shape for gate in cell]
        [(8, 8), (8, 8), (8, 8)]
    """
    n_in = check_positive_int("n_in", n_in)
    n_hidden = check_positive_int("n_hidden", n_hidden)
    k_z, k_r, k_n = jax.random.split(key, 3)
    return GRUCell(
        update=_init_affine(k_z, n_in, n_hidden, float(update_bias)),
        reset=_init_affine(k_r, n_in, n_hidden),
        candidate=_init_affine(k_n, n_in, n_hidden),
    )


def init_lstm(key: PRNGKeyArray, n_in: int, n_hidden: int, forget_bias: float = 1.0) -> LSTMCell:
    """An LSTM whose four affine maps are initialized like :func:`init_rnn`.

    b_forget = forget_bias (1 by default, so σ(1) ≈ 0.73 of the cell state is kept at
    first; Gers et al., 2000; Jozefowicz et al., 2015), every other bias 0

    Examples:
        >>> import jax
        >>> cell = init_lstm(jax.random.key(0), 3, 8)
        >>> cell.forget_gate.b[:3].tolist(), cell.input_gate.b[:3].tolist()
        ([1.0, 1.0, 1.0], [0.0, 0.0, 0.0])
    """
    n_in = check_positive_int("n_in", n_in)
    n_hidden = check_positive_int("n_hidden", n_hidden)
    k_i, k_f, k_o, k_g = jax.random.split(key, 4)
    return LSTMCell(
        input_gate=_init_affine(k_i, n_in, n_hidden),
        forget_gate=_init_affine(k_f, n_in, n_hidden, float(forget_bias)),
        output_gate=_init_affine(k_o, n_in, n_hidden),
        candidate=_init_affine(k_g, n_in, n_hidden),
    )


# -- input checks (shapes are static, so they also run under jit) ---------------------


def _check_affine(name: str, p: Any) -> tuple[int, int]:
    """Check one RNNCell's types and shapes; return (n_in, n_hidden)."""
    if not isinstance(p, RNNCell):
        raise TypeError(f"{name}: expected an RNNCell(W_x, W_h, b), got {type(p).__name__}")
    W_x = check_array(
        f"{name}.W_x", p.W_x, ndim=2, allow_empty=False, shape_hint="(n_in, n_hidden)"
    )
    n_in, n_hidden = W_x.shape
    for field, want in (("W_h", (n_hidden, n_hidden)), ("b", (n_hidden,))):
        got = jnp.shape(check_array(f"{name}.{field}", getattr(p, field)))
        if got != want:
            raise ValueError(
                f"{name}.{field}: expected shape {want} to match W_x of shape {W_x.shape}, "
                f"got {got}"
            )
    return n_in, n_hidden


def _check_params(
    params: Any, kind: type[RNNCell] | type[GRUCell] | type[LSTMCell]
) -> tuple[int, int]:
    """Check a cell's parameters (an RNNCell, GRUCell or LSTMCell); return (n_in, n_hidden)."""
    if kind is RNNCell:
        return _check_affine("params", params)
    if not isinstance(params, kind):
        raise TypeError(f"params: expected a {kind.__name__}, got {type(params).__name__}")
    sizes = [_check_affine(f"params.{f}", getattr(params, f)) for f in kind._fields]
    for field, size in zip(kind._fields, sizes, strict=True):
        if size != sizes[0]:
            raise ValueError(
                f"params.{field}: expected W_x of shape {sizes[0]} like params."
                f"{kind._fields[0]}, got shape {size}"
            )
    return sizes[0]


def _check_x(name: str, x: ArrayLike, n_in: int, ndim: tuple[int, ...], hint: str) -> Array:
    x = check_array(name, x, ndim=ndim, shape_hint=hint)
    if x.shape[-1] != n_in:
        raise ValueError(
            f"{name}: expected last dimension {n_in} (rows of params W_x), got shape {x.shape}"
        )
    return x


def _check_h(name: str, h: ArrayLike, batch: tuple[int, ...], n_hidden: int) -> Array:
    h = check_array(name, h)
    want = (*batch, n_hidden)
    if h.shape != want:
        raise ValueError(f"{name}: expected shape {want} (batch, n_hidden), got shape {h.shape}")
    return h


# -- cells: one time step ---------------------------------------------------------------


def _affine(p: RNNCell, h: Array, x: Array) -> Array:
    # x: (*batch, n_in), h: (*batch, n_hidden) -> (*batch, n_hidden)
    return x @ p.W_x + h @ p.W_h + p.b


def rnn_cell(
    params: RNNCell, h: Float[ArrayLike, "*batch n_hidden"], x: Float[ArrayLike, "*batch n_in"]
) -> Float[Array, "*batch n_hidden"]:
    """One step of the Elman cell (Elman, 1990).

    h_t = tanh(x_t W_x + h_{t-1} W_h + b)

    Examples:
        >>> import jax.numpy as jnp
        >>> cell = RNNCell(W_x=jnp.array([[1.0]]), W_h=jnp.array([[0.5]]), b=jnp.zeros(1))
        >>> h = rnn_cell(cell, jnp.array([2.0]), jnp.array([0.0]))  # tanh(0.5 * 2)
        >>> round(float(h[0]), 4)
        0.7616
    """
    n_in, n_hidden = _check_params(params, RNNCell)
    x = _check_x("x", x, n_in, (1, 2), "(n_in,) or (batch, n_in)")
    h = _check_h("h", h, x.shape[:-1], n_hidden)
    return jnp.tanh(_affine(params, h, x))


def gru_cell(
    params: GRUCell, h: Float[ArrayLike, "*batch n_hidden"], x: Float[ArrayLike, "*batch n_in"]
) -> Float[Array, "*batch n_hidden"]:
    """One step of a gated recurrent unit, in the convention of Cho et al. (2014).

    h_t = z ⊙ h_{t-1} + (1 - z) ⊙ tanh(x W_xn + (r ⊙ h_{t-1}) W_hn + b_n),
    z = σ(x W_xz + h_{t-1} W_hz + b_z),  r = σ(x W_xr + h_{t-1} W_hr + b_r)

    A gate z near 1 keeps the old state unchanged: the path along which a GRU remembers.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> cell = init_gru(jax.random.key(0), 2, 4, update_bias=50.0)  # z = 1: keep all
        >>> h = jnp.array([0.1, -0.2, 0.3, 0.4])
        >>> bool(jnp.allclose(gru_cell(cell, h, jnp.ones(2)), h))
        True
    """
    n_in, n_hidden = _check_params(params, GRUCell)
    x = _check_x("x", x, n_in, (1, 2), "(n_in,) or (batch, n_in)")
    h = _check_h("h", h, x.shape[:-1], n_hidden)
    z = jax.nn.sigmoid(_affine(params.update, h, x))
    r = jax.nn.sigmoid(_affine(params.reset, h, x))
    c = params.candidate
    h_new = jnp.tanh(x @ c.W_x + (r * h) @ c.W_h + c.b)
    return z * h + (1 - z) * h_new


def lstm_cell(params: LSTMCell, state: LSTMState, x: Float[ArrayLike, "*batch n_in"]) -> LSTMState:
    """One step of an LSTM with a forget gate (Hochreiter & Schmidhuber, 1997; Gers et al., 2000).

    c_t = f ⊙ c_{t-1} + i ⊙ tanh(a_g),  h_t = o ⊙ tanh(c_t),  (i, f, o) = σ(a_i, a_f, a_o),
    each a = x_t W_x + h_{t-1} W_h + b with the parameters of its gate

    The cell state c changes only by ⊙ f and + i ⊙ g: with f = 1 and i = 0 it is carried
    unchanged, which is how an LSTM keeps information (and gradients) over long gaps.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> cell = init_lstm(jax.random.key(0), 2, 4)
        >>> zeros = LSTMState(h=jnp.zeros((5, 4)), c=jnp.zeros((5, 4)))
        >>> new = lstm_cell(cell, zeros, jnp.ones((5, 2)))
        >>> new.h.shape, new.c.shape
        ((5, 4), (5, 4))
    """
    n_in, n_hidden = _check_params(params, LSTMCell)
    x = _check_x("x", x, n_in, (1, 2), "(n_in,) or (batch, n_in)")
    if not isinstance(state, LSTMState):
        raise TypeError(f"state: expected an LSTMState(h, c), got {type(state).__name__}")
    h = _check_h("state.h", state.h, x.shape[:-1], n_hidden)
    c = _check_h("state.c", state.c, x.shape[:-1], n_hidden)
    i = jax.nn.sigmoid(_affine(params.input_gate, h, x))
    f = jax.nn.sigmoid(_affine(params.forget_gate, h, x))
    o = jax.nn.sigmoid(_affine(params.output_gate, h, x))
    g = jnp.tanh(_affine(params.candidate, h, x))
    c = f * c + i * g
    return LSTMState(h=o * jnp.tanh(c), c=c)


# -- sequences: the same cell at every step, with lax.scan ------------------------------


def unroll(
    cell: Callable, params: Any, xs: Float[ArrayLike, "*batch time n_in"], state0: Any
) -> Any:
    """Run ``cell`` along the time axis of ``xs`` with ``jax.lax.scan``; stack every state.

    s_t = cell(params, s_{t-1}, x_t) for t = 1..T;  returns (s_1, ..., s_T)

    Args:
        cell: ``cell(params, state, x_t) -> new state`` (any pytree of arrays).
        params: The cell's parameters, the same at every step.
        xs: Inputs, shape (batch, time, n_in) or (time, n_in).
        state0: The state before the first step, shape (batch, ...) or (...).

    Returns:
        The states after each step, every leaf of shape (batch, time, ...) (or (time, ...)).

    Examples:
        >>> import jax.numpy as jnp
        >>> running_sum = lambda p, s, x: s + x        # a "cell" that adds its inputs
        >>> unroll(running_sum, None, jnp.ones((2, 4, 1)), jnp.zeros((2, 1)))[0, :, 0].tolist()
        [1.0, 2.0, 3.0, 4.0]
    """
    xs = check_array("xs", xs, ndim=(2, 3), shape_hint="(batch, time, n_in) or (time, n_in)")
    time_axis = xs.ndim - 2
    if xs.shape[time_axis] == 0:
        raise ValueError(f"xs: expected a sequence length >= 1, got shape {xs.shape}")

    def step(state, x_t):
        state = cell(params, state, x_t)
        return state, state

    _, states = jax.lax.scan(step, state0, jnp.moveaxis(xs, time_axis, 0))  # time first
    return jax.tree.map(lambda s: jnp.moveaxis(s, 0, time_axis), states)


def _sequence(xs: ArrayLike, n_in: int) -> Array:
    xs = _check_x("xs", xs, n_in, (2, 3), "(batch, time, n_in) or (time, n_in)")
    if xs.shape[-2] == 0:
        raise ValueError(f"xs: expected a sequence length >= 1, got shape {xs.shape}")
    return check_finite("xs", xs)


def rnn(
    params: RNNCell,
    xs: Float[ArrayLike, "*batch time n_in"],
    h0: Float[ArrayLike, "*batch n_hidden"] | None = None,
) -> Float[Array, "*batch time n_hidden"]:
    """Every hidden state of an Elman network along a sequence (h_0 = 0 by default).

    h_t = tanh(x_t W_x + h_{t-1} W_h + b) for t = 1..T

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> cell = init_rnn(jax.random.key(0), 3, 8)
        >>> rnn(cell, jnp.ones((5, 10, 3))).shape   # 5 sequences of 10 steps
        (5, 10, 8)
    """
    n_in, n_hidden = _check_params(params, RNNCell)
    xs = _sequence(xs, n_in)
    batch = xs.shape[:-2]
    h0 = jnp.zeros((*batch, n_hidden), xs.dtype) if h0 is None else h0
    return unroll(rnn_cell, params, xs, _check_h("h0", h0, batch, n_hidden))


def gru(
    params: GRUCell,
    xs: Float[ArrayLike, "*batch time n_in"],
    h0: Float[ArrayLike, "*batch n_hidden"] | None = None,
) -> Float[Array, "*batch time n_hidden"]:
    """Every hidden state of a GRU along a sequence (h_0 = 0 by default); see :func:`gru_cell`.

    h_t = gru_cell(params, h_{t-1}, x_t) for t = 1..T

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> cell = init_gru(jax.random.key(0), 3, 8)
        >>> gru(cell, jnp.ones((10, 3))).shape      # one sequence of 10 steps
        (10, 8)
    """
    n_in, n_hidden = _check_params(params, GRUCell)
    xs = _sequence(xs, n_in)
    batch = xs.shape[:-2]
    h0 = jnp.zeros((*batch, n_hidden), xs.dtype) if h0 is None else h0
    return unroll(gru_cell, params, xs, _check_h("h0", h0, batch, n_hidden))


def lstm(
    params: LSTMCell,
    xs: Float[ArrayLike, "*batch time n_in"],
    state0: LSTMState | None = None,
) -> LSTMState:
    """Every state of an LSTM along a sequence (h_0 = c_0 = 0 by default); see :func:`lstm_cell`.

    (h_t, c_t) = lstm_cell(params, (h_{t-1}, c_{t-1}), x_t) for t = 1..T

    Returns:
        An :class:`LSTMState` whose ``h`` and ``c`` have shape (batch, time, n_hidden).

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> cell = init_lstm(jax.random.key(0), 3, 8)
        >>> states = lstm(cell, jnp.ones((5, 10, 3)))
        >>> states.h.shape, states.c.shape
        ((5, 10, 8), (5, 10, 8))
    """
    n_in, n_hidden = _check_params(params, LSTMCell)
    xs = _sequence(xs, n_in)
    batch = xs.shape[:-2]
    if state0 is None:
        zeros = jnp.zeros((*batch, n_hidden), xs.dtype)
        state0 = LSTMState(h=zeros, c=zeros)
    if not isinstance(state0, LSTMState):
        raise TypeError(f"state0: expected an LSTMState(h, c), got {type(state0).__name__}")
    state0 = LSTMState(
        h=_check_h("state0.h", state0.h, batch, n_hidden),
        c=_check_h("state0.c", state0.c, batch, n_hidden),
    )
    return unroll(lstm_cell, params, xs, state0)
