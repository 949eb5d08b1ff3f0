"""nnbook.neuron against hand computation."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nnbook.neuron import Neuron, boundary_line, neuron, weighted_sum

P = Neuron(w=jnp.array([0.5, -1.5]), b=jnp.array(0.25))


def test_weighted_sum_by_hand():
    # 0.5 * 2 + (-1.5) * 1 + 0.25 = -0.25
    assert abs(float(weighted_sum(P, jnp.array([2.0, 1.0]))) - (-0.25)) < 1e-6


def test_weighted_sum_batch_matches_loop(rng):
    x = rng.normal(size=(7, 2)).astype(np.float32)
    expected = [0.5 * a - 1.5 * b + 0.25 for a, b in x.tolist()]
    got = weighted_sum(P, jnp.asarray(x))
    assert got.shape == (7,)
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-6, atol=1e-6)


def test_neuron_sigmoid_by_hand():
    expected = 1.0 / (1.0 + math.exp(0.25))  # sigmoid(-0.25)
    assert abs(float(neuron(P, jnp.array([2.0, 1.0]))) - expected) < 1e-6


def test_step_neuron_computes_and():
    # The classic perceptron AND gate: fires only when both inputs are on.
    gate = Neuron(w=jnp.array([1.0, 1.0]), b=jnp.array(-1.5))
    x = jnp.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    np.testing.assert_allclose(np.asarray(neuron(gate, x, activation="step")), [0, 0, 0, 1], atol=0)


def test_neuron_accepts_a_function():
    out = neuron(P, jnp.array([[2.0, 1.0]]), activation=jnp.tanh)
    np.testing.assert_allclose(np.asarray(out), [math.tanh(-0.25)], rtol=1e-6)


def test_boundary_line_points_have_zero_weighted_sum():
    x1 = jnp.linspace(-3.0, 3.0, 11)
    x2 = boundary_line(P, x1)
    z = weighted_sum(P, jnp.stack([x1, x2], axis=1))
    np.testing.assert_allclose(np.asarray(z), 0.0, atol=1e-5)
    # and by hand: x2 = (0.5 x1 + 0.25) / 1.5
    np.testing.assert_allclose(np.asarray(x2), (0.5 * np.asarray(x1) + 0.25) / 1.5, rtol=1e-6)


def test_jit_equals_eager_and_skips_value_checks():
    x = jnp.array([[2.0, 1.0], [0.0, -1.0]])
    f = jax.jit(neuron, static_argnames="activation")
    np.testing.assert_allclose(np.asarray(f(P, x)), np.asarray(neuron(P, x)), rtol=1e-6)
    # Under jit the NaN check cannot see values, so it is skipped instead of failing.
    assert np.isnan(np.asarray(jax.jit(weighted_sum)(P, x.at[0, 0].set(jnp.nan)))[0])


@pytest.mark.outside_annotations
@pytest.mark.parametrize(
    ("x", "error", "match"),
    [
        (jnp.ones((3, 4)), ValueError, r"x: expected last dimension 2 .*got shape \(3, 4\)"),
        (jnp.ones(3), ValueError, r"x: expected last dimension 2"),
        (jnp.ones((2, 2, 2)), ValueError, r"x: expected a 1-D or 2-D array .*got shape"),
        (jnp.ones((0, 2)), ValueError, r"x: expected a non-empty array"),
        (jnp.array([1.0, jnp.nan]), ValueError, r"x: expected finite values, got 1 NaN"),
        (np.array([1, 2]), TypeError, r"x: expected a floating-point array, got dtype int"),
        (
            jnp.array([True, False]),
            TypeError,
            r"x: expected a floating-point array, got dtype bool",
        ),
    ],
)
def test_bad_x(x, error, match):
    with pytest.raises(error, match=match):
        weighted_sum(P, x)


@pytest.mark.outside_annotations
def test_bad_params():
    with pytest.raises(TypeError, match=r"params: expected a Neuron\(w, b\), got tuple"):
        weighted_sum((1.0, 2.0), jnp.ones(2))
    with pytest.raises(ValueError, match=r"params.w: expected a 1-D array"):
        weighted_sum(Neuron(w=jnp.ones((2, 1)), b=jnp.array(0.0)), jnp.ones(2))
    with pytest.raises(ValueError, match=r"params.b: expected a 0-D array"):
        weighted_sum(Neuron(w=jnp.ones(2), b=jnp.ones(2)), jnp.ones(2))
    with pytest.raises(ValueError, match=r"activation: expected one of"):
        neuron(P, jnp.ones(2), activation="softsign")


@pytest.mark.outside_annotations
def test_bad_boundary_line():
    with pytest.raises(ValueError, match=r"params.w: expected shape \(2,\)"):
        boundary_line(Neuron(w=jnp.ones(3), b=jnp.array(0.0)), jnp.ones(2))
    vertical = Neuron(w=jnp.array([2.0, 0.0]), b=jnp.array(-1.0))
    with pytest.raises(ValueError, match=r"params.w: expected w\[1\] != 0.*x1 = 0.5"):
        boundary_line(vertical, jnp.ones(2))
