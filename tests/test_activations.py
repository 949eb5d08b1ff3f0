"""nnbook.activations against NumPy/SciPy closed forms, autodiff and finite differences."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special
from jax.test_util import check_grads

from nnbook import activations as A

# Ordinary inputs plus extreme ones: every activation must stay finite at ±1e4.
X = np.concatenate([np.linspace(-6.0, 6.0, 49), [-1e4, -50.0, 50.0, 1e4]]).astype(np.float32)


def _np_gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x**3)))


# (nnbook function, independent float64 reference)
ELEMENTWISE = {
    "step": (A.step, lambda x: (x > 0).astype(float)),
    "sigmoid": (A.sigmoid, scipy.special.expit),
    "tanh": (A.tanh, np.tanh),
    "relu": (A.relu, lambda x: np.maximum(x, 0.0)),
    "leaky_relu": (A.leaky_relu, lambda x: np.where(x > 0, x, 0.01 * x)),
    "leaky_relu_0.2": (
        functools.partial(A.leaky_relu, negative_slope=0.2),
        lambda x: np.where(x > 0, x, 0.2 * x),
    ),
    "gelu": (A.gelu, lambda x: 0.5 * x * (1.0 + scipy.special.erf(x / np.sqrt(2.0)))),
    "gelu_tanh": (functools.partial(A.gelu, approximate=True), _np_gelu_tanh),
    "identity": (A.identity, lambda x: x),
}


@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_elementwise_matches_closed_form(name):
    fn, ref = ELEMENTWISE[name]
    with np.errstate(over="ignore"):  # the tanh-GELU reference cubes 1e4 in float64: fine
        expected = ref(X.astype(np.float64))
    got = np.asarray(fn(jnp.asarray(X)))
    assert got.shape == X.shape and got.dtype == np.float32
    assert np.all(np.isfinite(got)), f"{name} is not finite at ±1e4"
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("axis", [-1, 0])
def test_softmax_and_log_softmax_match_scipy(rng, axis):
    x = rng.normal(scale=3.0, size=(4, 5)).astype(np.float32)
    x[0, :2] = [1e4, -1e4]  # extreme logits: no overflow, no NaN
    p = np.asarray(A.softmax(jnp.asarray(x), axis=axis))
    logp = np.asarray(A.log_softmax(jnp.asarray(x), axis=axis))
    x64 = x.astype(np.float64)
    assert np.all(np.isfinite(p)) and np.all(np.isfinite(logp))
    np.testing.assert_allclose(p, scipy.special.softmax(x64, axis=axis), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(
        logp, scipy.special.log_softmax(x64, axis=axis), rtol=1e-5, atol=1e-4
    )
    np.testing.assert_allclose(p.sum(axis=axis), 1.0, rtol=1e-6)


def test_python_numbers_are_promoted_to_float():
    assert abs(float(A.sigmoid(0)) - 0.5) < 1e-7
    np.testing.assert_allclose(np.asarray(A.relu([-1, 2])), [0.0, 2.0], atol=0)


def test_step_has_zero_gradient():
    grads = jax.vmap(jax.grad(A.step))(jnp.array([-1.0, 0.5, 3.0]))
    np.testing.assert_allclose(np.asarray(grads), 0.0, atol=0)


# Points away from the kinks of relu/leaky_relu at 0, where finite differences fail.
DIFFERENTIABLE = ["sigmoid", "tanh", "relu", "leaky_relu_0.2", "gelu", "gelu_tanh", "identity"]


def test_check_grads_elementwise(x64):
    # One jitted function stacking every activation: a failure names the row in the
    # message, and the whole check costs a dozen compilations instead of hundreds.
    def all_activations(x):
        return jnp.stack([ELEMENTWISE[name][0](x) for name in DIFFERENTIABLE])

    x = jnp.array([-2.3, -0.7, 0.4, 1.9])
    check_grads(jax.jit(all_activations), (x,), order=2, modes=["fwd", "rev"])


def test_check_grads_softmax(x64):
    def both(x):
        return A.softmax(x), A.log_softmax(x, axis=0)

    x = jnp.array([[0.3, -1.2, 2.0], [1.0, 0.0, -0.5]])
    check_grads(jax.jit(both), (x,), order=2, modes=["fwd", "rev"])


@pytest.mark.parametrize("name", list(A.DERIVATIVES))
def test_hand_written_derivatives_match_autodiff(name):
    x = jnp.linspace(-4.0, 4.0, 33) + 0.01  # + 0.01 keeps the relu kink off the grid
    autodiff = jax.jit(jax.vmap(jax.grad(A.ACTIVATIONS[name])))(x)
    np.testing.assert_allclose(
        np.asarray(A.get_derivative(name)(x)), np.asarray(autodiff), rtol=1e-5, atol=1e-6
    )


def test_gelu_derivative_closed_form():
    x = np.linspace(-3.0, 3.0, 13)
    phi = np.exp(-(x**2) / 2) / np.sqrt(2 * np.pi)
    expected = 0.5 * (1 + scipy.special.erf(x / np.sqrt(2))) + x * phi
    got = np.asarray(A.get_derivative("gelu")(jnp.asarray(x, dtype=jnp.float32)))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["sigmoid", "gelu", "relu"])
def test_jit_equals_eager(name):
    fn = A.ACTIVATIONS[name]
    x = jnp.asarray(X)
    np.testing.assert_allclose(np.asarray(jax.jit(fn)(x)), np.asarray(fn(x)), rtol=1e-6, atol=1e-6)


def test_get_activation():
    assert A.get_activation("gelu") is A.gelu
    custom = lambda x: x  # noqa: E731
    assert A.get_activation(custom) is custom
    names = {"step", "sigmoid", "tanh", "relu", "leaky_relu", "gelu", "identity"}
    assert set(A.ACTIVATIONS) == names


def test_unknown_activation_lists_valid_names():
    with pytest.raises(
        ValueError, match=r"activation: expected one of 'gelu'.*'tanh', got 'swish'"
    ):
        A.get_activation("swish")
    with pytest.raises(ValueError, match=r"output_activation: .* got 'soft'"):
        A.get_activation("soft", arg_name="output_activation")


def test_unknown_derivative():
    with pytest.raises(ValueError, match=r"activation: .*no hand-written derivative"):
        A.get_derivative(lambda z: z)
    with pytest.raises(ValueError, match=r"activation: expected one of .* got 'swish'"):
        A.get_derivative("swish")
    assert A.get_derivative(A.tanh) is A.DERIVATIVES["tanh"]


@pytest.mark.outside_annotations
@pytest.mark.parametrize("fn", [A.sigmoid, A.relu, A.gelu, A.softmax, A.step])
@pytest.mark.parametrize("bad", [np.array([1, 2], dtype=np.int32), jnp.array([True, False])])
def test_integer_and_bool_arrays_are_rejected(fn, bad):
    with pytest.raises(TypeError, match=r"x: expected a floating-point array, got dtype"):
        fn(bad)


@pytest.mark.outside_annotations
def test_non_array_is_rejected():
    with pytest.raises(TypeError, match=r"x: expected an array, got str"):
        A.tanh("one")


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu", "gelu", "identity"])
def test_nan_propagates(name):
    # A NaN must reach the loss, where training detects it, not be masked to a number.
    assert np.isnan(np.asarray(A.ACTIVATIONS[name](jnp.array([jnp.nan, 1.0]))))[0]
