"""nnbook.layers against a NumPy forward pass, plus validation of shapes and inputs."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special

from nnbook.layers import (
    Dense,
    MLPTrace,
    count_params,
    dense,
    init_dense,
    init_mlp,
    mlp,
    mlp_trace,
)

KEY = jax.random.key(0)
SIZES = (3, 5, 4, 2)
NP_ACT = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh, "sigmoid": scipy.special.expit}


def _np_mlp(params, x, act):
    a = np.asarray(x, dtype=np.float64)
    for i, layer in enumerate(params):
        z = a @ np.asarray(layer.W, np.float64) + np.asarray(layer.b, np.float64)
        a = z if i == len(params) - 1 else act(z)
    return a


@pytest.fixture
def params(rng):
    # NumPy draws, to keep the forward-pass tests independent of the initializers.
    layers = []
    for m, n in zip(SIZES[:-1], SIZES[1:], strict=True):
        W, b = rng.normal(size=(m, n)) / np.sqrt(m), rng.normal(scale=0.1, size=n)
        layers.append(Dense(W=jnp.asarray(W, jnp.float32), b=jnp.asarray(b, jnp.float32)))
    return tuple(layers)


@pytest.fixture
def x(rng):
    return jnp.asarray(rng.normal(size=(6, SIZES[0])), dtype=jnp.float32)


def test_init_dense():
    layer = init_dense(KEY, 4, 2)
    assert isinstance(layer, Dense)
    assert layer.W.shape == (4, 2) and layer.b.shape == (2,)
    assert np.count_nonzero(np.asarray(layer.b)) == 0
    assert np.count_nonzero(np.asarray(init_dense(KEY, 4, 2, init="zeros").W)) == 0


def test_dense_matches_numpy(rng):
    layer = Dense(W=jnp.asarray(rng.normal(size=(3, 2)), jnp.float32), b=jnp.array([0.5, -1.0]))
    x = rng.normal(size=(4, 3)).astype(np.float32)
    expected = x @ np.asarray(layer.W) + np.asarray(layer.b)
    np.testing.assert_allclose(
        np.asarray(dense(layer, jnp.asarray(x))), expected, rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(np.asarray(dense(layer, x[0])), expected[0], rtol=1e-5, atol=1e-6)


def test_init_mlp_shapes_and_count():
    sizes = (4, 4, 4, 2)  # repeated shapes: each jax.random sampler compiles once per shape
    params = init_mlp(KEY, sizes)
    assert isinstance(params, tuple) and all(isinstance(p, Dense) for p in params)
    assert [p.W.shape for p in params] == [(4, 4), (4, 4), (4, 2)]
    assert count_params(params) == sum(
        m * n + n for m, n in zip(sizes[:-1], sizes[1:], strict=True)
    )
    # Each layer gets its own key.
    assert not np.allclose(np.asarray(params[0].W), np.asarray(params[1].W))


@pytest.mark.parametrize("activation", list(NP_ACT))
def test_mlp_matches_numpy(params, x, activation):
    got = mlp(params, x, activation=activation)
    assert got.shape == (6, 2)
    np.testing.assert_allclose(
        np.asarray(got), _np_mlp(params, x, NP_ACT[activation]), rtol=1e-5, atol=1e-5
    )


def test_mlp_single_example(params, x):
    np.testing.assert_allclose(
        np.asarray(mlp(params, x[0])), np.asarray(mlp(params, x)[0]), rtol=1e-6, atol=1e-6
    )


def test_mlp_trace_consistent_with_mlp(params, x):
    t = mlp_trace(params, x, activation="tanh", output_activation="sigmoid")
    assert isinstance(t, MLPTrace)
    assert len(t.pre_activations) == len(t.activations) == len(params)
    np.testing.assert_allclose(np.asarray(t.inputs), np.asarray(x), rtol=0, atol=0)
    out = mlp(params, x, activation="tanh", output_activation="sigmoid")
    np.testing.assert_allclose(np.asarray(t.activations[-1]), np.asarray(out), rtol=1e-6, atol=1e-7)
    prev = np.asarray(x, np.float64)
    for i, (layer, z, a) in enumerate(zip(params, t.pre_activations, t.activations, strict=True)):
        z_ref = prev @ np.asarray(layer.W, np.float64) + np.asarray(layer.b, np.float64)
        np.testing.assert_allclose(np.asarray(z), z_ref, rtol=1e-5, atol=1e-5)
        act = scipy.special.expit if i == len(params) - 1 else np.tanh
        np.testing.assert_allclose(
            np.asarray(a), act(np.asarray(z, np.float64)), rtol=1e-5, atol=1e-6
        )
        prev = np.asarray(a, np.float64)


def test_jit_equals_eager(params, x):
    f = jax.jit(functools.partial(mlp, activation="gelu"))
    np.testing.assert_allclose(
        np.asarray(f(params, x)), np.asarray(mlp(params, x, "gelu")), rtol=1e-5, atol=1e-6
    )
    # Value checks (NaN) are skipped gracefully while tracing: NaN propagates instead.
    assert np.isnan(np.asarray(jax.jit(mlp)(params, x.at[0, 0].set(jnp.nan)))[0]).all()


def test_count_params_any_pytree():
    assert count_params({"a": jnp.ones((2, 3)), "b": [jnp.ones(4)]}) == 10


@pytest.mark.outside_annotations
@pytest.mark.parametrize(
    ("bad_x", "error", "match"),
    [
        (jnp.ones((6, 4)), ValueError, r"x: expected last dimension 3 \(rows of params\[0\].W"),
        (jnp.ones((0, 3)), ValueError, r"x: expected a non-empty array, got shape \(0, 3\)"),
        (jnp.ones((2, 2, 3)), ValueError, r"x: expected a 1-D or 2-D array"),
        (jnp.ones((2, 3)).at[1, 2].set(jnp.inf), ValueError, r"x: expected finite values"),
        (np.ones((2, 3), dtype=np.int64), TypeError, r"x: expected a floating-point array"),
        (jnp.ones((2, 3), dtype=bool), TypeError, r"x: expected a floating-point array"),
    ],
)
def test_bad_x(params, bad_x, error, match):
    with pytest.raises(error, match=match):
        mlp(params, bad_x)
    with pytest.raises(error, match=match):
        mlp_trace(params, bad_x)


@pytest.mark.outside_annotations
def test_bad_params(params, x):
    other = (Dense(W=jnp.ones((6, 2)), b=jnp.zeros(2)),)
    with pytest.raises(ValueError, match=r"params: expected params\[3\].W with 2 rows .*\(6, 2\)"):
        mlp(params + other, x)
    wrong_bias = (params[0]._replace(b=jnp.zeros(4)),) + params[1:]
    with pytest.raises(ValueError, match=r"params\[0\].b: expected shape \(5,\) to match W"):
        mlp(wrong_bias, x)
    with pytest.raises(
        TypeError, match=r"params: expected a non-empty tuple of Dense layers, got Dense"
    ):
        mlp(params[0], x)
    with pytest.raises(ValueError, match=r"params: expected a non-empty tuple .* got \(\)"):
        mlp((), x)
    with pytest.raises(TypeError, match=r"params\[1\]: expected a Dense\(W, b\), got tuple"):
        mlp((params[0], (1, 2)), x)
    with pytest.raises(TypeError, match=r"params.W: expected a floating-point array"):
        dense(Dense(W=jnp.ones((3, 2), dtype=int), b=jnp.zeros(2)), x)
    with pytest.raises(TypeError, match=r"params: expected a Dense\(W, b\), got tuple"):
        dense(params, x)
    with pytest.raises(ValueError, match=r"x: expected last dimension 2 \(rows of params.W"):
        dense(Dense(W=jnp.ones((2, 3)), b=jnp.zeros(3)), x)


def test_bad_names(params, x):
    with pytest.raises(ValueError, match=r"activation: expected one of 'gelu'.*got 'swish'"):
        mlp(params, x, activation="swish")
    with pytest.raises(ValueError, match=r"output_activation: expected one of .* got 'softmax'"):
        mlp_trace(params, x, output_activation="softmax")
    with pytest.raises(ValueError, match=r"init: expected one of .* got 'lecun'"):
        init_dense(KEY, 2, 3, init="lecun")


def test_bad_sizes():
    with pytest.raises(ValueError, match=r"sizes: expected \(n_in, hidden..., n_out\)"):
        init_mlp(KEY, (3,))
    with pytest.raises(ValueError, match=r"sizes\[1\]: expected a positive integer, got 0"):
        init_mlp(KEY, (3, 0, 2))
    with pytest.raises(ValueError, match=r"n_out: expected a positive integer, got -1"):
        init_dense(KEY, 2, -1)
