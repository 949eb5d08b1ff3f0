"""nnbook._random draws exactly the numbers of jax.random, with fewer compiled programs."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nnbook import _random

SHAPES = [(), (1,), (7,), (3, 3, 1, 8), (3, 3, 8, 16), (784, 256), (1025,), (2, 1024)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("make_key", [jax.random.key, jax.random.PRNGKey])
def test_normal_is_jax_random_normal_bit_for_bit(shape, make_key):
    key = make_key(3)
    want = 0.25 * jax.random.normal(key, shape)
    got = _random.normal(key, shape, scale=0.25)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


@pytest.mark.parametrize("shape", SHAPES)
def test_uniform_is_jax_random_uniform_bit_for_bit(shape):
    key = jax.random.key(5)
    want = jax.random.uniform(key, shape, minval=-0.3, maxval=0.7)
    got = _random.uniform(key, shape, minval=-0.3, maxval=0.7)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


def test_float64_under_x64():
    with jax.enable_x64(True):
        key = jax.random.key(0)
        got = _random.normal(key, (4, 5), scale=2.0)
        assert got.dtype == jnp.float64
        np.testing.assert_array_equal(got, 2.0 * jax.random.normal(key, (4, 5)))


def test_inside_jit_and_vmap_the_same_numbers():
    keys = jax.random.split(jax.random.key(1), 3)
    # traced, the draw is jax.random's own, so it matches jax.random in the same program
    # (a jitted program may round differently from eager code by an ulp, in JAX itself)
    draw = jax.jit(jax.vmap(lambda k: _random.normal(k, (6, 2), scale=3.0)))
    want = jax.jit(jax.vmap(lambda k: 3.0 * jax.random.normal(k, (6, 2))))
    np.testing.assert_array_equal(draw(keys), want(keys))
    np.testing.assert_array_equal(
        jax.jit(lambda k: _random.uniform(k, (3, 4)))(keys[0]),
        jax.jit(lambda k: jax.random.uniform(k, (3, 4)))(keys[0]),
    )


COMPILES: list[str] = []
jax.monitoring.register_event_duration_secs_listener(
    lambda event, duration, **kw: COMPILES.append(event) if "backend_compile" in event else None
)


def test_shapes_of_one_size_class_share_one_program():
    key = jax.random.key(2)
    _random.normal(key, (2, 2))  # the 1,024 class, compiled here if not before
    before = len(COMPILES)
    for shape in [(3, 3, 1, 8), (3, 3, 4, 16), (10, 10), (33,), (1000,)]:  # <= 1,024 values
        _random.normal(key, shape)
    assert len(COMPILES) == before  # nothing new to compile
    _random.normal(key, (300, 300), scale=2.0)  # the 131,072 class: one new program
    assert len(COMPILES) == before + 1
