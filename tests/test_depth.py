"""nnbook.depth: budgets, residual networks, activation maximization, bumps."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nnbook import depth, layers


@pytest.mark.parametrize("n_layers", [1, 2, 3, 6])
def test_width_for_budget_matches_count_params(n_layers):
    width = depth.width_for_budget(784, 10, n_layers, 25_000)
    params = layers.init_mlp(jax.random.key(0), (784, *[width] * n_layers, 10))
    count = layers.count_params(params)
    assert count == depth.mlp_param_count(784, 10, n_layers, width)
    per_unit = depth.mlp_param_count(784, 10, n_layers, width + 1) - count
    assert abs(count - 25_000) <= per_unit  # the closest whole width


def test_width_for_budget_too_small():
    with pytest.raises(ValueError, match="budget: expected at least"):
        depth.width_for_budget(784, 10, 2, 100)
    with pytest.raises(ValueError, match="depth"):
        depth.width_for_budget(784, 10, 0, 25_000)


def _by_hand(p, x, residual):
    h = np.maximum(x @ np.asarray(p.inp.W) + np.asarray(p.inp.b), 0)
    for blk in p.blocks:
        f = np.maximum(h @ np.asarray(blk.inner.W) + np.asarray(blk.inner.b), 0)
        f = f @ np.asarray(blk.outer.W) + np.asarray(blk.outer.b)
        h = h + f if residual else np.maximum(f, 0)
    return h @ np.asarray(p.out.W) + np.asarray(p.out.b)


@pytest.mark.parametrize("residual", [True, False])
def test_resmlp_against_numpy(residual):
    p = depth.init_resmlp(jax.random.key(1), 5, 6, 3, 2, residual=residual)
    if residual:  # make the blocks do something before comparing
        p = jax.tree.map(lambda a: a + 0.1, p)
    x = np.asarray(jax.random.normal(jax.random.key(2), (4, 5)))
    np.testing.assert_allclose(
        depth.resmlp(p, x, residual=residual), _by_hand(p, x, residual), rtol=1e-5, atol=1e-5
    )


def test_residual_network_starts_as_one_hidden_layer():
    p = depth.init_resmlp(jax.random.key(0), 5, 6, 10, 2)
    x = jnp.ones((3, 5))
    shallow = layers.dense(p.out, jax.nn.relu(layers.dense(p.inp, x)))
    np.testing.assert_allclose(depth.resmlp(p, x), shallow, rtol=1e-6)


@pytest.mark.outside_annotations
def test_resmlp_bad_input():
    p = depth.init_resmlp(jax.random.key(0), 5, 6, 2, 2)
    with pytest.raises(ValueError, match=r"x: expected last dimension 5 .*got shape \(3, 4\)"):
        depth.resmlp(p, jnp.ones((3, 4)))
    with pytest.raises(TypeError, match="params: expected a ResMLP"):
        depth.resmlp((p.inp,), jnp.ones((3, 5)))
    with pytest.raises(TypeError, match="key: expected a jax.random.key"):
        depth.init_resmlp(0, 5, 6, 2, 2)
    with pytest.raises(TypeError, match="residual: expected True or False"):
        depth.init_resmlp(jax.random.key(0), 5, 6, 2, 2, residual="yes")
    with pytest.raises(ValueError, match="width"):
        depth.init_resmlp(jax.random.key(0), 5, 0, 2, 2)


def test_maximize_activation_first_layer_is_the_weight_vector():
    w = jax.random.normal(jax.random.key(3), (20,))
    x0 = jnp.ones(20) / jnp.sqrt(20.0)
    x = depth.maximize_activation(lambda v: jnp.tanh(0.2 * w @ v), x0, steps=300)
    np.testing.assert_allclose(x, w / jnp.linalg.norm(w), atol=1e-3)
    assert float(jnp.linalg.norm(x)) == pytest.approx(1.0, rel=1e-5)


def test_maximize_activation_increases_a_deep_unit():
    p = layers.init_mlp(jax.random.key(4), (10, 8, 8))
    unit = lambda v: layers.mlp(p, v)[3]  # noqa: E731
    x0 = jax.random.normal(jax.random.key(5), (10,))
    x = depth.maximize_activation(unit, x0, steps=100)
    assert float(unit(x)) > float(unit(x0))
    assert float(jnp.linalg.norm(x)) == pytest.approx(float(jnp.linalg.norm(x0)), rel=1e-5)


@pytest.mark.outside_annotations
def test_maximize_activation_bad_input():
    with pytest.raises(TypeError, match="unit_fn: expected a function"):
        depth.maximize_activation(3, jnp.ones(2))
    with pytest.raises(ValueError, match="x0: expected a non-zero"):
        depth.maximize_activation(jnp.sum, jnp.zeros(2))
    with pytest.raises(ValueError, match="x0"):
        depth.maximize_activation(jnp.sum, jnp.ones((2, 2)))


def test_bump_is_two_sigmoid_units():
    x = jnp.linspace(-1, 2, 31)
    manual = jax.nn.sigmoid(40 * x) - jax.nn.sigmoid(40 * (x - 1))
    np.testing.assert_allclose(depth.bump(x, 0.0, 1.0, 40.0), manual, rtol=1e-6)
    with pytest.raises(ValueError, match="right: expected a number above left"):
        depth.bump(x, 1.0, 1.0)


def test_bump_approximation_error_falls_with_more_bumps():
    xs = jnp.linspace(-2, 2, 401)
    target = lambda v: jnp.sin(2 * v) + 0.3 * v  # noqa: E731
    inner = slice(20, -20)
    errors = [
        float(jnp.abs(depth.bump_approximation(target, xs, n, -2.0, 2.0) - target(xs))[inner].max())
        for n in (4, 16, 64)
    ]
    assert errors[0] > errors[1] > errors[2]
    with pytest.raises(ValueError, match="hi: expected a number above lo"):
        depth.bump_approximation(target, xs, 4, 1.0, 0.0)
    with pytest.raises(ValueError, match="n_bumps"):
        depth.bump_approximation(target, xs, 0, -2.0, 2.0)
