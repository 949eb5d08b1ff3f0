"""Hand-written backprop against jax.grad and against finite differences."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nnbook.backprop import finite_difference_grad, mlp_loss, mlp_value_and_grad
from nnbook.layers import Dense

# Few distinct shapes, so eager mode compiles each primitive once for the whole grid.
N_IN, HIDDEN, BATCH = 4, 4, 6
N_OUT = {"softmax_cross_entropy": 3, "binary_cross_entropy": 1, "mse": 3}


def _dense(rng, n_in, n_out, dtype):
    # Non-zero biases, so that bias gradients differ between layers.
    W = rng.normal(size=(n_in, n_out)) / np.sqrt(n_in)
    return Dense(W=jnp.asarray(W, dtype), b=jnp.asarray(rng.normal(scale=0.3, size=n_out), dtype))


def _problem(depth, loss, seed=0, dtype=np.float32):
    """Random MLP with `depth` dense layers and a batch of data suited to `loss`.

    NumPy draws the data: eager jax.random would compile a sampler for every new shape.
    """
    rng = np.random.default_rng(seed)
    sizes = (N_IN,) + (HIDDEN,) * (depth - 1) + (N_OUT[loss],)
    params = tuple(_dense(rng, m, n, dtype) for m, n in zip(sizes[:-1], sizes[1:], strict=True))
    x = jnp.asarray(rng.normal(size=(BATCH, N_IN)), dtype)
    if loss == "softmax_cross_entropy":
        y = jnp.asarray(rng.integers(0, N_OUT[loss], size=BATCH), jnp.int32)
    elif loss == "binary_cross_entropy":
        y = jnp.asarray(rng.integers(0, 2, size=BATCH), jnp.int32)  # (batch,); logits (batch, 1)
    else:
        y = jnp.asarray(rng.normal(size=(BATCH, N_OUT[loss])), dtype)
    return params, x, y


def _assert_trees_close(got, expected, rtol, atol):
    assert jax.tree_util.tree_structure(got) == jax.tree_util.tree_structure(expected)
    for g, e in zip(
        jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(expected), strict=True
    ):
        assert g.shape == e.shape and g.dtype == e.dtype
        np.testing.assert_allclose(np.asarray(g), np.asarray(e), rtol=rtol, atol=atol)


@pytest.mark.parametrize("loss", list(N_OUT))
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "gelu"])
@pytest.mark.parametrize("depth", [1, 2, 4])
def test_matches_jax_grad(depth, activation, loss):
    params, x, y = _problem(depth, loss)
    value, grads = mlp_value_and_grad(params, x, y, activation=activation, loss=loss)
    ref_value, ref_grads = jax.value_and_grad(mlp_loss)(params, x, y, activation, loss)
    np.testing.assert_allclose(float(value), float(ref_value), rtol=1e-6)
    _assert_trees_close(grads, ref_grads, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("activation", ["leaky_relu", "identity", "step"])
def test_other_activations_match_jax_grad(activation):
    params, x, y = _problem(2, "softmax_cross_entropy")
    _, grads = mlp_value_and_grad(params, x, y, activation=activation)
    _assert_trees_close(grads, jax.grad(mlp_loss)(params, x, y, activation), rtol=1e-4, atol=1e-6)


def test_keeps_the_pytree_type_of_params():
    params, x, y = _problem(2, "mse")
    _, grads = mlp_value_and_grad(list(params), x, y, loss="mse")
    assert isinstance(grads, list) and all(isinstance(g, Dense) for g in grads)


@pytest.mark.parametrize(
    ("activation", "loss"),
    [("tanh", "softmax_cross_entropy"), ("gelu", "binary_cross_entropy"), ("sigmoid", "mse")],
)
def test_matches_finite_differences_float64(x64, activation, loss):
    params, x, y = _problem(2, loss, seed=1, dtype=np.float64)
    _, grads = mlp_value_and_grad(params, x, y, activation=activation, loss=loss)
    f = functools.partial(mlp_loss, x=x, y=y, activation=activation, loss=loss)
    # Central differences: truncation O(eps^2) ~ 1e-10, rounding ~ 1e-16 / eps ~ 1e-11.
    _assert_trees_close(grads, finite_difference_grad(f, params, eps=1e-5), rtol=1e-6, atol=1e-9)


def test_finite_difference_grad_on_a_known_function(x64):
    params = {"a": jnp.array([1.0, -2.0, 0.5]), "b": (jnp.array([[3.0]]),)}
    f = lambda p: jnp.sum(p["a"] ** 3) + jnp.sin(p["b"][0][0, 0])  # noqa: E731
    g = finite_difference_grad(f, params, eps=1e-5)
    np.testing.assert_allclose(np.asarray(g["a"]), 3 * np.array([1.0, -2.0, 0.5]) ** 2, rtol=1e-8)
    np.testing.assert_allclose(np.asarray(g["b"][0]), [[np.cos(3.0)]], rtol=1e-8)


def test_jit_equals_eager():
    params, x, y = _problem(2, "binary_cross_entropy")
    eager = mlp_value_and_grad(params, x, y, activation="gelu", loss="binary_cross_entropy")
    jitted = jax.jit(mlp_value_and_grad, static_argnames=("activation", "loss"))
    _assert_trees_close(
        jitted(params, x, y, activation="gelu", loss="binary_cross_entropy"), eager, 1e-5, 1e-7
    )
    # Value checks (NaN) are skipped while tracing rather than failing on abstract values.
    value, _ = jax.jit(mlp_value_and_grad)(params, x.at[0, 0].set(jnp.nan), y)
    assert np.isnan(float(value))


@pytest.mark.outside_annotations
def test_bad_names():
    params, x, y = _problem(2, "softmax_cross_entropy")
    for fn in (mlp_loss, mlp_value_and_grad):
        with pytest.raises(
            ValueError, match=r"loss: expected one of 'binary_cross_entropy', 'mse', "
        ):
            fn(params, x, y, loss="hinge")
    with pytest.raises(ValueError, match=r"activation: expected one of .* got 'swish'"):
        mlp_value_and_grad(params, x, y, activation="swish")
    with pytest.raises(ValueError, match=r"activation: .*no hand-written derivative"):
        mlp_value_and_grad(params, x, y, activation=lambda z: z)


@pytest.mark.outside_annotations
def test_bad_inputs():
    params, x, y = _problem(2, "softmax_cross_entropy")
    other = (Dense(W=jnp.ones((7, 2)), b=jnp.zeros(2)),)
    cases = [
        ((params, x[0], y), ValueError, r"x: expected a 2-D array \(batch, n_in\)"),
        ((params, x[:, :2], y), ValueError, r"x: expected last dimension 4"),
        ((params, x[:0], y[:0]), ValueError, r"x: expected a non-empty array"),
        ((params, x.at[2, 1].set(jnp.nan), y), ValueError, r"x: expected finite values"),
        ((params, x.astype(jnp.int32), y), TypeError, r"x: expected a floating-point array"),
        ((params + other, x, y), ValueError, r"params: expected params\[2\].W with 3 rows"),
        ((params, x, y.astype(jnp.float32)), TypeError, r"y: expected a signed integer"),
        ((params, x, y[:3]), ValueError, r"y: expected shape \(6,\) to match logits"),
    ]
    for args, error, match in cases:
        for fn in (mlp_loss, mlp_value_and_grad):
            with pytest.raises(error, match=match):
                fn(*args)


@pytest.mark.outside_annotations
def test_bad_finite_difference_arguments():
    params = {"w": jnp.ones(2)}
    with pytest.raises(TypeError, match=r"f: expected a function of params, got dict"):
        finite_difference_grad(params, params)
    with pytest.raises(ValueError, match=r"eps: expected a finite number > 0, got 0"):
        finite_difference_grad(lambda p: jnp.sum(p["w"]), params, eps=0)
    with pytest.raises(ValueError, match=r"f: expected a scalar output, got \(2,\)"):
        finite_difference_grad(lambda p: p["w"], params)
    with pytest.raises(TypeError, match=r"params: expected a floating-point array"):
        finite_difference_grad(lambda p: jnp.sum(p["w"]), {"w": jnp.ones(2, dtype=int)})
