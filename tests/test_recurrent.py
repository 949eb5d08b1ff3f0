"""Tests of nnbook.recurrent: scan against a Python loop, GRU and LSTM against NumPy
formulas written here, gradients against finite differences, and bad input."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

from nnbook import recurrent
from nnbook.recurrent import GRUCell, LSTMCell, LSTMState, RNNCell

N_IN, N_HIDDEN, T, BATCH = 3, 5, 7, 4


def _random_params(init, dtype=jnp.float32, scale=0.7, **kwargs):
    """Initialized parameters with every bias made random too (zero biases hide bugs)."""
    params = init(jax.random.key(0), N_IN, N_HIDDEN, **kwargs)
    leaves, treedef = jax.tree.flatten(params)
    keys = jax.random.split(jax.random.key(1), len(leaves))
    leaves = [
        (leaf + scale * jax.random.normal(k, leaf.shape)).astype(dtype)
        for leaf, k in zip(leaves, keys, strict=True)
    ]
    return jax.tree.unflatten(treedef, leaves)


def _xs(dtype=jnp.float32, batch=(BATCH,)):
    return jax.random.normal(jax.random.key(2), (*batch, T, N_IN), dtype)


def _np(p):
    return jax.tree.map(lambda a: np.asarray(a, np.float64), p)


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


# -- independent NumPy references, one time step at a time ------------------------------


def _np_rnn(p, xs):
    h = np.zeros((xs.shape[0], p.W_h.shape[0]))
    out = []
    for t in range(xs.shape[1]):
        h = np.tanh(xs[:, t] @ p.W_x + h @ p.W_h + p.b)
        out.append(h)
    return np.stack(out, axis=1)


def _np_gru(p, xs):
    h = np.zeros((xs.shape[0], p.update.W_h.shape[0]))
    out = []
    for t in range(xs.shape[1]):
        x = xs[:, t]
        z = _sigmoid(x @ p.update.W_x + h @ p.update.W_h + p.update.b)
        r = _sigmoid(x @ p.reset.W_x + h @ p.reset.W_h + p.reset.b)
        n = np.tanh(x @ p.candidate.W_x + (r * h) @ p.candidate.W_h + p.candidate.b)
        h = z * h + (1 - z) * n
        out.append(h)
    return np.stack(out, axis=1)


def _np_lstm(p, xs):
    h = c = np.zeros((xs.shape[0], p.input_gate.W_h.shape[0]))
    hs, cs = [], []
    for t in range(xs.shape[1]):
        x = xs[:, t]

        def pre(g, x=x, h=h):
            return x @ g.W_x + h @ g.W_h + g.b

        i, f, o = (_sigmoid(pre(g)) for g in (p.input_gate, p.forget_gate, p.output_gate))
        c = f * c + i * np.tanh(pre(p.candidate))
        h = o * np.tanh(c)
        hs.append(h)
        cs.append(c)
    return np.stack(hs, axis=1), np.stack(cs, axis=1)


# -- shapes and initialization -----------------------------------------------------------


def test_init_shapes_and_orthogonal_recurrence():
    cell = recurrent.init_rnn(jax.random.key(0), N_IN, N_HIDDEN)
    assert cell.W_x.shape == (N_IN, N_HIDDEN) and cell.b.shape == (N_HIDDEN,)
    np.testing.assert_allclose(cell.W_h.T @ cell.W_h, np.eye(N_HIDDEN), atol=1e-5)
    np.testing.assert_array_equal(cell.b, 0.0)
    gru = recurrent.init_gru(jax.random.key(0), N_IN, N_HIDDEN, update_bias=2.0)
    np.testing.assert_array_equal(gru.update.b, 2.0)
    np.testing.assert_array_equal(gru.reset.b, 0.0)
    lstm = recurrent.init_lstm(jax.random.key(0), N_IN, N_HIDDEN)
    np.testing.assert_array_equal(lstm.forget_gate.b, 1.0)
    # the gates get different random weights
    assert not np.allclose(gru.update.W_x, gru.reset.W_x)
    assert not np.allclose(lstm.input_gate.W_h, lstm.output_gate.W_h)


def test_init_under_jit_and_vmap_is_orthogonal_too():
    cells = jax.jit(jax.vmap(lambda k: recurrent.init_rnn(k, N_IN, N_HIDDEN)))(
        jax.random.split(jax.random.key(0), 2)
    )
    for W_h in cells.W_h:
        np.testing.assert_allclose(W_h.T @ W_h, np.eye(N_HIDDEN), atol=1e-5)
    assert not np.allclose(cells.W_h[0], cells.W_h[1])


def test_unbatched_sequence_equals_batch_of_one():
    cell = _random_params(recurrent.init_rnn)
    xs = _xs()
    np.testing.assert_allclose(recurrent.rnn(cell, xs[0]), recurrent.rnn(cell, xs)[0], rtol=1e-6)


# -- scan against a plain Python loop, and against NumPy ----------------------------------


def test_rnn_scan_equals_python_loop_and_numpy():
    cell, xs = _random_params(recurrent.init_rnn), _xs()
    h, loop = jnp.zeros((BATCH, N_HIDDEN)), []
    for t in range(T):
        h = recurrent.rnn_cell(cell, h, xs[:, t])
        loop.append(h)
    scanned = recurrent.rnn(cell, xs)
    np.testing.assert_allclose(scanned, jnp.stack(loop, axis=1), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(scanned, _np_rnn(_np(cell), np.asarray(xs)), rtol=1e-5, atol=1e-6)


def test_rnn_initial_state_is_used():
    cell, xs = _random_params(recurrent.init_rnn), _xs()
    h0 = jnp.full((BATCH, N_HIDDEN), 0.5)
    first = np.tanh(np.asarray(xs[:, 0]) @ cell.W_x + 0.5 * np.asarray(cell.W_h).sum(0) + cell.b)
    np.testing.assert_allclose(recurrent.rnn(cell, xs, h0)[:, 0], first, rtol=1e-5, atol=1e-6)


def test_gru_against_numpy():
    cell, xs = _random_params(recurrent.init_gru), _xs()
    np.testing.assert_allclose(
        recurrent.gru(cell, xs), _np_gru(_np(cell), np.asarray(xs)), rtol=1e-5, atol=1e-6
    )


def test_lstm_against_numpy():
    cell, xs = _random_params(recurrent.init_lstm), _xs()
    states = recurrent.lstm(cell, xs)
    h_ref, c_ref = _np_lstm(_np(cell), np.asarray(xs))
    np.testing.assert_allclose(states.h, h_ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(states.c, c_ref, rtol=1e-5, atol=1e-6)


def test_gru_with_closed_update_gate_is_an_elman_cell():
    """z = 0 and r = 1 turn the GRU into h_t = tanh(x W_x + h W_h + b) (its candidate)."""
    cell = _random_params(recurrent.init_gru)
    big = 60.0
    cell = cell._replace(
        update=cell.update._replace(b=jnp.full(N_HIDDEN, -big)),  # z = sigmoid(-60) = 0
        reset=cell.reset._replace(b=jnp.full(N_HIDDEN, big)),  # r = 1
    )
    xs = 0.1 * _xs()
    np.testing.assert_allclose(
        recurrent.gru(cell, xs), recurrent.rnn(cell.candidate, xs), rtol=1e-5, atol=1e-6
    )


def test_jit_equals_eager():
    cell, xs = _random_params(recurrent.init_lstm), _xs()
    eager = recurrent.lstm(cell, xs)
    jitted = jax.jit(recurrent.lstm)(cell, xs)
    np.testing.assert_allclose(jitted.h, eager.h, rtol=1e-6, atol=1e-6)


def test_unroll_with_a_custom_cell():
    xs = jnp.arange(6.0).reshape(1, 3, 2)
    out = recurrent.unroll(lambda p, s, x: p * s + x, 2.0, xs, jnp.zeros((1, 2)))
    np.testing.assert_allclose(out[0], [[0, 1], [2, 5], [8, 15]])


# -- gradients (backpropagation through time) against finite differences -----------------


@pytest.mark.parametrize(
    ("init", "apply", "order"),
    [
        (recurrent.init_rnn, recurrent.rnn, 2),
        (recurrent.init_gru, recurrent.gru, 1),  # order 1 keeps the gated cells' tests fast
        (recurrent.init_lstm, lambda p, xs: recurrent.lstm(p, xs).h, 1),
    ],
    ids=["rnn", "gru", "lstm"],
)
def test_gradients_match_finite_differences(x64, init, apply, order):
    """Backpropagation through the scan equals finite differences (all parameters and xs)."""
    params = _random_params(init, dtype=jnp.float64, scale=0.3)
    xs = _xs(jnp.float64, batch=(2,))

    @jax.jit  # compiled once: check_grads calls it many times
    def loss(params, xs):
        hs = apply(params, xs)
        return jnp.sum(jnp.sin(jnp.arange(1, T + 1))[None, :, None] * hs)  # every h_t matters

    check_grads(loss, (params, xs), order=order, modes=["rev"], atol=1e-5, rtol=1e-5)


# -- bad input ----------------------------------------------------------------------------


def test_sequence_length_zero_raises():
    cell = recurrent.init_rnn(jax.random.key(0), N_IN, N_HIDDEN)
    expected = r"xs: expected a sequence length >= 1, got shape \(4, 0, 3\)"
    with pytest.raises(ValueError, match=expected):
        recurrent.rnn(cell, jnp.zeros((4, 0, N_IN)))
    with pytest.raises(ValueError, match=r"xs: .*sequence length"):
        recurrent.unroll(recurrent.rnn_cell, cell, jnp.zeros((0, N_IN)), jnp.zeros(N_HIDDEN))


@pytest.mark.outside_annotations
@pytest.mark.parametrize("shape", [(N_IN,), (2, 3, T, N_IN)])
def test_wrong_rank_raises(shape):
    cell = recurrent.init_gru(jax.random.key(0), N_IN, N_HIDDEN)
    with pytest.raises(ValueError, match=r"xs: expected a 2-D or 3-D array .* got shape"):
        recurrent.gru(cell, jnp.zeros(shape))


def test_mismatched_feature_size_raises():
    cell = recurrent.init_lstm(jax.random.key(0), N_IN, N_HIDDEN)
    with pytest.raises(ValueError, match=r"xs: expected last dimension 3 .*got shape \(4, 7, 2\)"):
        recurrent.lstm(cell, jnp.zeros((BATCH, T, 2)))
    with pytest.raises(ValueError, match=r"x: expected last dimension 3"):
        recurrent.rnn_cell(recurrent.init_rnn(jax.random.key(0), 3, 5), jnp.zeros(5), jnp.zeros(4))


@pytest.mark.outside_annotations
def test_wrong_initial_state_raises():
    cell = recurrent.init_rnn(jax.random.key(0), N_IN, N_HIDDEN)
    with pytest.raises(ValueError, match=r"h0: expected shape \(4, 5\) .*got shape \(5,\)"):
        recurrent.rnn(cell, _xs(), jnp.zeros(N_HIDDEN))
    lstm = recurrent.init_lstm(jax.random.key(0), N_IN, N_HIDDEN)
    with pytest.raises(TypeError, match="state0: expected an LSTMState"):
        recurrent.lstm(lstm, _xs(), (jnp.zeros((4, 5)), jnp.zeros((4, 5))))
    with pytest.raises(ValueError, match=r"state0.c: expected shape \(4, 5\)"):
        recurrent.lstm(lstm, _xs(), LSTMState(jnp.zeros((4, 5)), jnp.zeros((4, 6))))
    with pytest.raises(ValueError, match=r"h: expected shape \(4, 5\)"):
        recurrent.rnn_cell(cell, jnp.zeros((3, 5)), jnp.zeros((4, 3)))


@pytest.mark.outside_annotations
def test_bad_params_raise():
    cell = recurrent.init_rnn(jax.random.key(0), N_IN, N_HIDDEN)
    with pytest.raises(ValueError, match=r"params.W_h: expected shape \(5, 5\) .*got \(5, 4\)"):
        recurrent.rnn(cell._replace(W_h=jnp.zeros((5, 4))), _xs())
    with pytest.raises(ValueError, match=r"params.b: expected shape \(5,\)"):
        recurrent.rnn(cell._replace(b=jnp.zeros(3)), _xs())
    with pytest.raises(TypeError, match="params: expected a GRUCell, got RNNCell"):
        recurrent.gru(cell, _xs())
    with pytest.raises(TypeError, match=r"params: expected an RNNCell\(W_x, W_h, b\), got GRUCell"):
        recurrent.rnn(recurrent.init_gru(jax.random.key(0), N_IN, N_HIDDEN), _xs())
    gru = recurrent.init_gru(jax.random.key(0), N_IN, N_HIDDEN)
    other = recurrent.init_rnn(jax.random.key(1), N_IN, N_HIDDEN + 1)
    with pytest.raises(ValueError, match=r"params.reset: expected W_x of shape \(3, 5\)"):
        recurrent.gru(gru._replace(reset=other), _xs())
    with pytest.raises(TypeError, match="params.candidate: expected an RNNCell"):
        recurrent.lstm(LSTMCell(*gru, None), _xs())
    assert isinstance(gru, GRUCell) and isinstance(cell, RNNCell)


@pytest.mark.outside_annotations
def test_bad_values_raise():
    cell = recurrent.init_rnn(jax.random.key(0), N_IN, N_HIDDEN)
    with pytest.raises(ValueError, match="xs: expected finite values"):
        recurrent.rnn(cell, _xs().at[0, 0, 0].set(jnp.nan))
    with pytest.raises(TypeError, match="xs: expected a floating-point array, got dtype int32"):
        recurrent.rnn(cell, jnp.zeros((BATCH, T, N_IN), jnp.int32))
    with pytest.raises(ValueError, match="n_hidden: expected a positive integer, got 0"):
        recurrent.init_gru(jax.random.key(0), N_IN, 0)
    with pytest.raises(TypeError, match="n_in: expected a positive integer, got float"):
        recurrent.init_lstm(jax.random.key(0), 2.5, N_HIDDEN)
