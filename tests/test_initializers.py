"""nnbook.initializers: shapes, determinism and the variances the papers prescribe."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nnbook import initializers as I

FAN_IN, FAN_OUT = 800, 400  # unequal fans, so Glorot and He variances differ
N = FAN_IN * FAN_OUT
KEY = jax.random.key(0)

# name -> (expected variance, half-width of the support for uniform ones or None)
EXPECTED = {
    "glorot_uniform": (2 / (FAN_IN + FAN_OUT), math.sqrt(6 / (FAN_IN + FAN_OUT))),
    "glorot_normal": (2 / (FAN_IN + FAN_OUT), None),
    "he_normal": (2 / FAN_IN, None),
    "he_uniform": (2 / FAN_IN, math.sqrt(6 / FAN_IN)),
    "normal": (0.01**2, None),
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_variance_and_mean(name):
    var, limit = EXPECTED[name]
    w = np.asarray(I.get_initializer(name)(KEY, (FAN_IN, FAN_OUT)), dtype=np.float64)
    assert w.shape == (FAN_IN, FAN_OUT)
    # With N = 320 000 draws the sample variance has relative s.d. ≤ sqrt(2/N) ≈ 0.25 %.
    np.testing.assert_allclose(w.var(), var, rtol=0.02)
    assert abs(w.mean()) < 5 * math.sqrt(var / N)
    if limit is not None:
        assert np.abs(w).max() <= limit
        assert np.abs(w).max() > 0.99 * limit  # the whole support is used


def test_zeros_exact_shape():
    w = I.zeros(KEY, (3, 5))
    assert w.shape == (3, 5) and w.dtype == jnp.float32
    assert np.count_nonzero(np.asarray(w)) == 0
    assert I.zeros(KEY, (4,)).shape == (4,)


def test_normal_stddev_argument():
    w = np.asarray(I.normal(KEY, (FAN_IN, FAN_OUT), stddev=0.5))
    np.testing.assert_allclose(w.std(), 0.5, rtol=0.02)


@pytest.mark.parametrize("name", list(I.INITIALIZERS))
def test_deterministic_given_key(name):
    init = I.INITIALIZERS[name]
    a, b = init(KEY, (4, 3)), init(KEY, (4, 3))
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=0, atol=0)
    if name != "zeros":
        c = init(jax.random.key(1), (4, 3))
        assert not np.allclose(np.asarray(a), np.asarray(c))


def test_float64_when_x64_enabled(x64):
    assert I.he_normal(KEY, (2, 3)).dtype == jnp.float64


def test_get_initializer():
    assert I.get_initializer("glorot_uniform") is I.glorot_uniform
    assert I.get_initializer(I.zeros) is I.zeros
    with pytest.raises(ValueError, match=r"init: expected one of 'glorot_normal'.*got 'xavier'"):
        I.get_initializer("xavier")


@pytest.mark.outside_annotations
@pytest.mark.parametrize(
    ("shape", "error", "match"),
    [
        ((3,), ValueError, r"shape: expected \(fan_in, fan_out\), got \(3,\)"),
        ((2, 3, 4), ValueError, r"shape: expected \(fan_in, fan_out\)"),
        ((0, 3), ValueError, r"shape\[0\]: expected a positive integer, got 0"),
        ((3, 2.5), TypeError, r"shape\[1\]: expected a positive integer, got float"),
        (5, TypeError, r"shape: expected a tuple of ints"),
    ],
)
def test_bad_shape(shape, error, match):
    with pytest.raises(error, match=match):
        I.he_normal(KEY, shape)
