"""Tests of nnbook.conv: convolution and pooling against jax.lax, gradients, bad input."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

from nnbook import conv, layers


def _lax_conv(params, x, stride, padding):
    pad = padding if isinstance(padding, str) else [(padding, padding)] * 2
    y = jax.lax.conv_general_dilated(
        x, params.W, (stride, stride), pad, dimension_numbers=("NHWC", "HWIO", "NHWC")
    )
    return y + params.b


def _layer(key, kh, kw, c_in, c_out):
    k1, k2 = jax.random.split(key)
    return conv.Conv2D(
        W=jax.random.normal(k1, (kh, kw, c_in, c_out)), b=jax.random.normal(k2, (c_out,))
    )


@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("padding", ["VALID", "SAME", 0, 1, 2])
@pytest.mark.parametrize(("kh", "kw", "c_in", "c_out"), [(3, 3, 1, 1), (3, 2, 3, 4), (1, 5, 2, 3)])
def test_conv2d_matches_lax(stride, padding, kh, kw, c_in, c_out):
    key = jax.random.key(stride * 100 + kh * 10 + c_out)
    params = _layer(key, kh, kw, c_in, c_out)
    x = jax.random.normal(jax.random.fold_in(key, 1), (2, 7, 8, c_in))
    want = _lax_conv(params, x, stride, padding)
    for fn in (conv.conv2d_reference, conv.conv2d):
        got = fn(params, x, stride=stride, padding=padding)
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_conv2d_jit_and_single_pixel():
    params = _layer(jax.random.key(0), 3, 3, 2, 3)
    x = jax.random.normal(jax.random.key(1), (1, 5, 5, 2))
    np.testing.assert_allclose(
        jax.jit(conv.conv2d_reference, static_argnames=("stride", "padding"))(params, x),
        conv.conv2d_reference(params, x),
        rtol=1e-6,
    )
    # A one-pixel image convolved with SAME padding leaves the filter's centre weight.
    y = conv.conv2d_reference(params, jnp.ones((1, 1, 1, 2)), padding="SAME")
    np.testing.assert_allclose(y[0, 0, 0], params.W[1, 1].sum(0) + params.b, rtol=1e-6)


@pytest.mark.parametrize(("size", "stride"), [(2, None), (2, 1), (3, 2), (3, None), (1, 1)])
def test_max_pool_matches_reduce_window(size, stride):
    x = jax.random.normal(jax.random.key(size), (2, 7, 6, 3))
    s = size if stride is None else stride
    want = jax.lax.reduce_window(
        x, -jnp.inf, jax.lax.max, (1, size, size, 1), (1, s, s, 1), "VALID"
    )
    got = conv.max_pool2d(x, size, stride)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want)


@pytest.mark.slow  # about 10 s idle: check_grads runs many small eager float64 ops
def test_gradients_float64():
    with jax.enable_x64(True):
        key = jax.random.key(0)
        params = conv.Conv2D(
            W=jax.random.normal(key, (3, 3, 2, 3), dtype=jnp.float64),
            b=jax.random.normal(jax.random.fold_in(key, 1), (3,), dtype=jnp.float64),
        )
        x = jax.random.normal(jax.random.fold_in(key, 2), (1, 5, 5, 2), dtype=jnp.float64)
        for padding, stride in (("VALID", 1), ("SAME", 2), (1, 1)):

            def f(p, x, stride=stride, padding=padding):
                return conv.conv2d_reference(p, x, stride=stride, padding=padding)

            check_grads(f, (params, x), order=1, modes=("rev",))
        # Max pooling is differentiable away from ties (random inputs have none).
        check_grads(lambda x: conv.max_pool2d(x, 2), (x,), order=1, modes=("rev",))
        # The whole network, for the loss the chapter trains.
        net = conv.init_cnn(key, (2, 3), image=8)
        net = jax.tree.map(lambda a: a.astype(jnp.float64), net)
        xi = jax.random.uniform(jax.random.fold_in(key, 3), (2, 64), dtype=jnp.float64)
        yi = jnp.array([0, 3])
        check_grads(lambda p: conv.cnn_loss(p, xi, yi), (net,), order=1, modes=("rev",))


def test_cnn_shapes_count_and_flat_input():
    params = conv.init_cnn(jax.random.key(0), (8, 16))
    n = 3 * 3 * 1 * 8 + 8 + 3 * 3 * 8 * 16 + 16 + 7 * 7 * 16 * 10 + 10
    assert layers.count_params(params) == n
    x = jax.random.uniform(jax.random.key(1), (5, 784))
    np.testing.assert_allclose(conv.cnn(params, x), conv.cnn(params, x.reshape(5, 28, 28, 1)))
    assert conv.cnn(params, x).shape == (5, 10)
    # by hand: the same network from the layer functions
    h = x.reshape(5, 28, 28, 1)
    for layer in params.convs:
        h = jax.lax.reduce_window(
            jax.nn.relu(_lax_conv(layer, h, 1, "SAME")),
            -jnp.inf,
            jax.lax.max,
            (1, 2, 2, 1),
            (1, 2, 2, 1),
            "VALID",
        )
    want = h.reshape(5, -1) @ params.out.W + params.out.b
    np.testing.assert_allclose(conv.cnn(params, x), want, rtol=1e-4, atol=1e-5)


def test_cnn_learns_a_little():
    # Two classes of 8x8 images: a bright top row or a bright bottom row, anywhere shifted.
    from nnbook import optimizers, training

    rng = np.random.default_rng(0)
    x = np.zeros((64, 8, 8, 1), np.float32)
    y = rng.integers(0, 2, 64).astype(np.int32)
    cols = rng.integers(0, 5, 64)
    for i in range(64):
        x[i, 1 if y[i] == 0 else 6, cols[i] : cols[i] + 3, 0] = 1.0
    params = conv.init_cnn(jax.random.key(0), (4,), image=8, n_classes=2)
    result = training.fit(
        jax.random.key(1), params, conv.cnn_loss, optimizers.adam(1e-2), x, y, epochs=30
    )
    assert result.history.epoch_loss[-1] < 0.5 * result.history.epoch_loss[0]


def test_shift_images():
    x = jax.random.uniform(jax.random.key(0), (3, 5, 5))
    s = conv.shift_images(x, 2, -1)
    np.testing.assert_allclose(s[:, 2:, :4], x[:, :3, 1:])
    assert float(jnp.abs(s[:, :2]).sum()) == 0.0 and float(jnp.abs(s[:, :, 4]).sum()) == 0.0
    np.testing.assert_allclose(conv.shift_images(x.reshape(3, 25), 2, -1), s.reshape(3, 25))
    np.testing.assert_allclose(conv.shift_images(x, 0, 0), x)
    np.testing.assert_allclose(
        conv.shift_images(conv.shift_images(x, 1, 1), -1, -1)[:, :4, :4], x[:, :4, :4]
    )


def test_init_conv2d_scale():
    layer = conv.init_conv2d(jax.random.key(0), 5, 5, 8, 64)
    assert layer.W.shape == (5, 5, 8, 64) and float(jnp.abs(layer.b).sum()) == 0.0
    np.testing.assert_allclose(float(jnp.std(layer.W)), (2 / 200) ** 0.5, rtol=0.05)


_P = conv.Conv2D(W=jnp.ones((3, 3, 2, 4)), b=jnp.zeros(4))


@pytest.mark.outside_annotations
@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: conv.conv2d(_P, jnp.ones((5, 5, 2))),
            ValueError,
            r"x: expected a 4-D.*\(5, 5, 2\)",
        ),
        (
            lambda: conv.conv2d(_P, jnp.ones((1, 5, 5, 3))),
            ValueError,
            r"x: expected 2 channels.*\(3, 3, 2, 4\).*\(1, 5, 5, 3\)",
        ),
        (
            lambda: conv.conv2d(_P, jnp.ones((1, 2, 5, 2))),
            ValueError,
            r"params.W: kernel height 3 is larger.*\(1, 2, 5, 2\)",
        ),
        (
            lambda: conv.conv2d_reference(_P, jnp.ones((1, 5, 2, 2)), padding="VALID"),
            ValueError,
            r"params.W: kernel width 3",
        ),
        (
            lambda: conv.conv2d(_P, jnp.ones((0, 5, 5, 2))),
            ValueError,
            r"x: expected no zero-sized.*\(0, 5, 5, 2\)",
        ),
        (
            lambda: conv.conv2d(_P, jnp.ones((1, 5, 5, 2)), stride=0),
            ValueError,
            r"stride: expected a positive integer, got 0",
        ),
        (lambda: conv.conv2d(_P, jnp.ones((1, 5, 5, 2)), stride=-1), ValueError, r"stride: .*-1"),
        (
            lambda: conv.conv2d(_P, jnp.ones((1, 5, 5, 2)), stride=1.5),
            TypeError,
            r"stride: .*float",
        ),
        (
            lambda: conv.conv2d(_P, jnp.ones((1, 5, 5, 2)), padding="same"),
            ValueError,
            r"padding: .*'same'",
        ),
        (lambda: conv.conv2d(_P, jnp.ones((1, 5, 5, 2)), padding=-1), ValueError, r"padding: .*-1"),
        (
            lambda: conv.conv2d(
                conv.Conv2D(jnp.ones((3, 3, 2)), jnp.zeros(4)), jnp.ones((1, 5, 5, 2))
            ),
            ValueError,
            r"params.W: expected a 4-D",
        ),
        (
            lambda: conv.conv2d(
                conv.Conv2D(jnp.ones((3, 3, 2, 4)), jnp.zeros(3)), jnp.ones((1, 5, 5, 2))
            ),
            ValueError,
            r"params.b: expected shape \(4,\)",
        ),
        (
            lambda: conv.conv2d(
                conv.Conv2D(jnp.ones((0, 3, 2, 4)), jnp.zeros(4)), jnp.ones((1, 5, 5, 2))
            ),
            ValueError,
            r"params.W: expected no zero-sized",
        ),
        (
            lambda: conv.conv2d((1, 2), jnp.ones((1, 5, 5, 2))),
            TypeError,
            r"params: expected a Conv2D",
        ),
        (
            lambda: conv.conv2d(_P, jnp.ones((1, 5, 5, 2), jnp.int32)),
            TypeError,
            r"x: expected a floating-point",
        ),
        (
            lambda: conv.max_pool2d(jnp.ones((1, 3, 3, 1)), 4),
            ValueError,
            r"size: window 4 is larger.*\(1, 3, 3, 1\)",
        ),
        (
            lambda: conv.max_pool2d(jnp.ones((1, 3, 3, 1)), 0),
            ValueError,
            r"size: expected a positive",
        ),
        (
            lambda: conv.max_pool2d(jnp.ones((1, 4, 4, 1)), 2, stride=0),
            ValueError,
            r"stride: expected a positive",
        ),
        (lambda: conv.max_pool2d(jnp.ones((4, 4)), 2), ValueError, r"x: expected a 4-D.*\(4, 4\)"),
        (
            lambda: conv.init_conv2d(jax.random.key(0), 0, 3, 1, 1),
            ValueError,
            r"kh: expected a positive integer, got 0",
        ),
        (
            lambda: conv.init_conv2d(jax.random.key(0), 3, 3, 1, 0),
            ValueError,
            r"c_out: expected a positive",
        ),
        (lambda: conv.init_conv2d(0, 3, 3, 1, 1), TypeError, r"key"),
        (
            lambda: conv.init_cnn(jax.random.key(0), ()),
            TypeError,
            r"channels: expected a non-empty",
        ),
        (
            lambda: conv.init_cnn(jax.random.key(0), (8, 0)),
            ValueError,
            r"channels\[1\]: expected a positive",
        ),
        (
            lambda: conv.init_cnn(jax.random.key(0), (2, 2, 2), image=4),
            ValueError,
            r"image: 4 pixels is too small",
        ),
        (
            lambda: conv.cnn(conv.init_cnn(jax.random.key(0), (2,), image=8), jnp.ones((2, 63))),
            ValueError,
            r"x: a 2-D x must hold square.*\(2, 63\)",
        ),
        (
            lambda: conv.cnn(conv.init_cnn(jax.random.key(0), (2,), image=8), jnp.ones((2, 8, 8))),
            ValueError,
            r"x: expected a 2-D or 4-D.*\(2, 8, 8\)",
        ),
        (lambda: conv.cnn(_P, jnp.ones((2, 64))), TypeError, r"params: expected a CNN"),
        (
            lambda: conv.shift_images(jnp.ones((2, 5, 5)), 5, 0),
            ValueError,
            r"dy, dx: expected shifts smaller than the image 5x5",
        ),
        (
            lambda: conv.shift_images(jnp.ones((2, 24)), 1, 0),
            ValueError,
            r"x: expected square.*\(2, 24\)",
        ),
        (
            lambda: conv.shift_images(jnp.ones((2, 25)), 1.0, 0),
            TypeError,
            r"dy: expected an integer",
        ),
    ],
)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
