"""Convolution, max pooling and a small convolutional network, taught in chapter 12.

Images are ``NHWC`` arrays, ``(batch, height, width, channels)``, the layout of
``jax.lax.conv_general_dilated`` with ``("NHWC", "HWIO", "NHWC")``. A convolution's
parameters are a :class:`Conv2D` ``(W, b)`` with ``W`` of shape ``(kh, kw, c_in, c_out)``:
one small ``kh x kw`` filter per pair of input and output channels, slid over the image
with the *same* weights at every position (LeCun et al., 1989; 1998).

:func:`conv2d_reference` and :func:`max_pool2d` are written from scratch as a loop over
the kernel's offsets, each summing (or maximising over) one shifted slice of the image;
:func:`conv2d` computes the same thing with XLA's convolution, which is what training
uses. Like every deep-learning library, "convolution" here means cross-correlation: the
filter is not flipped.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from nnbook import _random, layers, losses
from nnbook._checks import check_array, check_key, check_positive_int

__all__ = [
    "CNN",
    "Conv2D",
    "cnn",
    "cnn_loss",
    "conv2d",
    "conv2d_reference",
    "init_cnn",
    "init_conv2d",
    "max_pool2d",
    "shift_images",
]


class Conv2D(NamedTuple):
    """A convolution layer: filters ``W`` (kh, kw, c_in, c_out) and biases ``b`` (c_out,)."""

    W: Float[Array, "kh kw c_in c_out"]
    b: Float[Array, " c_out"]


class CNN(NamedTuple):
    """A small CNN: convolution layers (each then ReLU and 2x2 max pooling), then a dense layer."""

    convs: tuple[Conv2D, ...]
    out: layers.Dense


def init_conv2d(key: PRNGKeyArray, kh: int, kw: int, c_in: int, c_out: int) -> Conv2D:
    """A convolution layer with He-normal filters and zero biases.

    W ~ N(0, 2 / (kh · kw · c_in)),  b = 0   (fan-in: the inputs one output sees)

    Examples:
        >>> layer = init_conv2d(jax.random.key(0), 3, 3, 1, 8)
        >>> layer.W.shape, layer.b.shape
        ((3, 3, 1, 8), (8,))
    """
    check_key("key", key)
    kh, kw = check_positive_int("kh", kh), check_positive_int("kw", kw)
    c_in, c_out = check_positive_int("c_in", c_in), check_positive_int("c_out", c_out)
    std = (2.0 / (kh * kw * c_in)) ** 0.5
    W = _random.normal(key, (kh, kw, c_in, c_out), scale=std)  # = std * jax.random.normal
    return Conv2D(W=W, b=jnp.zeros((c_out,)))


def _check_images(name: str, x: object) -> Array:
    x = check_array(name, x, ndim=4, shape_hint="(batch, height, width, channels)")
    if 0 in x.shape:
        raise ValueError(f"{name}: expected no zero-sized dimension, got shape {x.shape}")
    return x


def _check_stride(stride: object) -> int:
    if isinstance(stride, bool) or not isinstance(stride, int):
        raise TypeError(f"stride: expected a positive integer, got {type(stride).__name__}")
    if stride <= 0:
        raise ValueError(f"stride: expected a positive integer, got {stride}")
    return stride


def _pads(padding: object, size: int, k: int, stride: int) -> tuple[int, int]:
    """Zeros added before and after one spatial axis of length ``size`` (as XLA does)."""
    if padding == "VALID":
        return 0, 0
    if padding == "SAME":  # output ceil(size / stride), the extra zero goes after
        total = max((-(-size // stride) - 1) * stride + k - size, 0)
        return total // 2, total - total // 2
    if isinstance(padding, int) and not isinstance(padding, bool) and padding >= 0:
        return padding, padding
    raise ValueError(f'padding: expected "VALID", "SAME" or an integer >= 0, got {padding!r}')


def _check_conv(
    params: Conv2D, x: object, stride: object, padding: object
) -> tuple[Array, Array, Array, int, tuple[tuple[int, int], ...]]:
    """``(x, W, b, stride, pads)`` checked: pads holds (low, high) for height and width."""
    if not isinstance(params, Conv2D):
        raise TypeError(f"params: expected a Conv2D(W, b), got {type(params).__name__}")
    x = _check_images("x", x)
    W = check_array("params.W", params.W, ndim=4, shape_hint="(kh, kw, c_in, c_out)")
    if 0 in W.shape:
        raise ValueError(f"params.W: expected no zero-sized dimension, got shape {W.shape}")
    if x.shape[3] != W.shape[2]:
        raise ValueError(
            f"x: expected {W.shape[2]} channels (params.W has shape {W.shape}), got shape {x.shape}"
        )
    b = check_array("params.b", params.b, ndim=1)
    if b.shape != (W.shape[3],):
        raise ValueError(f"params.b: expected shape ({W.shape[3]},) for W {W.shape}, got {b.shape}")
    stride = _check_stride(stride)
    pads = tuple(_pads(padding, x.shape[i + 1], W.shape[i], stride) for i in range(2))
    for i, axis in enumerate(("height", "width")):
        if x.shape[i + 1] + sum(pads[i]) < W.shape[i]:
            raise ValueError(
                f"params.W: kernel {axis} {W.shape[i]} is larger than the padded input "
                f"{axis} {x.shape[i + 1] + sum(pads[i])} "
                f"(x has shape {x.shape}, padding={padding!r})"
            )
    return x, W, b, stride, pads


def conv2d_reference(
    params: Conv2D,
    x: Float[ArrayLike, "batch h w c_in"],
    stride: int = 1,
    padding: str | int = "VALID",
) -> Float[Array, "batch h_out w_out c_out"]:
    """2-D convolution from scratch: one shifted slice of the image per kernel offset.

    y[n, i, j, o] = b[o] + Σ_{u, v, c} x_pad[n, s·i + u, s·j + v, c] · W[u, v, c, o]

    Args:
        params: A :class:`Conv2D` with ``W`` (kh, kw, c_in, c_out) and ``b`` (c_out,).
        x: Images (batch, height, width, c_in).
        stride: Step ``s`` between neighbouring output positions, ``>= 1``.
        padding: ``"VALID"`` (no padding), ``"SAME"`` (output size ceil(size / s), as
            XLA pads), or an integer number of zeros added on every side.

    Returns:
        Feature maps (batch, h_out, w_out, c_out), ``h_out = (h + pads - kh) // s + 1``.

    Examples:
        >>> x = jnp.arange(16.0).reshape(1, 4, 4, 1)
        >>> ones = Conv2D(W=jnp.ones((2, 2, 1, 1)), b=jnp.zeros(1))
        >>> conv2d_reference(ones, x)[0, :, :, 0]  # each output sums a 2x2 window
        Array([[10., 14., 18.],
               [26., 30., 34.],
               [42., 46., 50.]], dtype=float32)
    """
    x, W, b, s, pads = _check_conv(params, x, stride, padding)
    x = jnp.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    kh, kw = W.shape[:2]
    h_out, w_out = (x.shape[1] - kh) // s + 1, (x.shape[2] - kw) // s + 1
    y: Array | float = 0.0
    for u in range(kh):  # each offset (u, v) of the kernel contributes one shifted slice
        for v in range(kw):
            patch = x[:, u : u + s * (h_out - 1) + 1 : s, v : v + s * (w_out - 1) + 1 : s, :]
            y = y + patch @ W[u, v]  # (batch, h_out, w_out, c_in) @ (c_in, c_out)
    return y + b


def conv2d(
    params: Conv2D,
    x: Float[ArrayLike, "batch h w c_in"],
    stride: int = 1,
    padding: str | int = "VALID",
) -> Float[Array, "batch h_out w_out c_out"]:
    """2-D convolution with XLA's kernel: the same result as :func:`conv2d_reference`.

    y[n, i, j, o] = b[o] + Σ_{u, v, c} x_pad[n, s·i + u, s·j + v, c] · W[u, v, c, o]

    Examples:
        >>> x = jnp.ones((2, 5, 5, 3))
        >>> layer = init_conv2d(jax.random.key(0), 3, 3, 3, 4)
        >>> conv2d(layer, x).shape, conv2d(layer, x, padding="SAME").shape
        ((2, 3, 3, 4), (2, 5, 5, 4))
        >>> conv2d(layer, x, stride=2, padding=1).shape
        (2, 3, 3, 4)
    """
    x, W, b, s, pads = _check_conv(params, x, stride, padding)
    y = jax.lax.conv_general_dilated(
        x, W, window_strides=(s, s), padding=pads, dimension_numbers=("NHWC", "HWIO", "NHWC")
    )
    return y + b


def max_pool2d(
    x: Float[ArrayLike, "batch h w c"], size: int = 2, stride: int | None = None
) -> Float[Array, "batch h_out w_out c"]:
    """Max pooling from scratch: the largest value in each ``size x size`` window.

    y[n, i, j, c] = max_{0 <= u, v < size} x[n, s·i + u, s·j + v, c],  s = stride (default size)

    Windows that would run past the edge are dropped (``"VALID"``), so a 7x7 map pooled
    2x2 gives 3x3.

    Examples:
        >>> x = jnp.arange(16.0).reshape(1, 4, 4, 1)
        >>> max_pool2d(x)[0, :, :, 0]
        Array([[ 5.,  7.],
               [13., 15.]], dtype=float32)
    """
    x = _check_images("x", x)
    size = check_positive_int("size", size)
    s = size if stride is None else _check_stride(stride)
    if size > x.shape[1] or size > x.shape[2]:
        raise ValueError(f"size: window {size} is larger than the image, x has shape {x.shape}")
    h_out, w_out = (x.shape[1] - size) // s + 1, (x.shape[2] - size) // s + 1
    y = jnp.full((x.shape[0], h_out, w_out, x.shape[3]), -jnp.inf, dtype=x.dtype)
    for u in range(size):
        for v in range(size):
            y = jnp.maximum(
                y, x[:, u : u + s * (h_out - 1) + 1 : s, v : v + s * (w_out - 1) + 1 : s]
            )
    return y


def init_cnn(
    key: PRNGKeyArray,
    channels: tuple[int, ...] = (8, 16),
    *,
    kernel: int = 3,
    image: int = 28,
    c_in: int = 1,
    n_classes: int = 10,
) -> CNN:
    """A CNN: for each entry of ``channels`` a ``kernel x kernel`` SAME convolution, then dense.

    image → [conv → ReLU → 2x2 max pool] × len(channels) → flatten → dense → logits

    Every pooling halves the side (rounding down), so 28 → 14 → 7 for two layers.

    Examples:
        >>> params = init_cnn(jax.random.key(0), (8, 16))
        >>> [c.W.shape for c in params.convs], params.out.W.shape
        ([(3, 3, 1, 8), (3, 3, 8, 16)], (784, 10))
        >>> layers.count_params(params)  # 80 + 1,168 + 7,850
        9098
    """
    check_key("key", key)
    if isinstance(channels, int) or not isinstance(channels, tuple | list) or not channels:
        raise TypeError(
            f"channels: expected a non-empty tuple of widths such as (8, 16), got {channels!r}"
        )
    channels = tuple(check_positive_int(f"channels[{i}]", c) for i, c in enumerate(channels))
    kernel, side = check_positive_int("kernel", kernel), check_positive_int("image", image)
    keys = jax.random.split(key, len(channels) + 1)
    convs, c = [], check_positive_int("c_in", c_in)
    for i, c_out in enumerate(channels):
        convs.append(init_conv2d(keys[i], kernel, kernel, c, c_out))
        c, side = c_out, side // 2
        if side == 0:
            raise ValueError(f"image: {image} pixels is too small for {len(channels)} poolings")
    n_out = check_positive_int("n_classes", n_classes)
    out = layers.init_dense(keys[-1], side * side * c, n_out, init="he_normal")
    return CNN(convs=tuple(convs), out=out)


def cnn(params: CNN, x: Float[ArrayLike, "batch ..."]) -> Float[Array, "batch n_classes"]:
    """Logits of the CNN for images (batch, h, w, c), or flattened square ones (batch, h·w).

    logits = dense(flatten(pool(relu(conv(... pool(relu(conv(x))))))))

    Examples:
        >>> params = init_cnn(jax.random.key(0), (4,), image=8)
        >>> cnn(params, jnp.zeros((3, 64))).shape
        (3, 10)
    """
    if not isinstance(params, CNN):
        raise TypeError(f"params: expected a CNN from init_cnn, got {type(params).__name__}")
    x = check_array("x", x, ndim=(2, 4), shape_hint="(batch, h*w) or (batch, h, w, c)")
    if x.ndim == 2:
        side = round(x.shape[1] ** 0.5)
        if side * side != x.shape[1] or params.convs[0].W.shape[2] != 1:
            raise ValueError(
                f"x: a 2-D x must hold square one-channel images (batch, h*w), got shape {x.shape}"
            )
        x = x.reshape(x.shape[0], side, side, 1)
    for layer in params.convs:
        x = max_pool2d(jax.nn.relu(conv2d(layer, x, padding="SAME")), 2)
    return layers.dense(params.out, x.reshape(x.shape[0], -1))


def cnn_loss(params: CNN, x: Float[ArrayLike, "batch ..."], y: ArrayLike) -> Float[Array, ""]:
    """Mean softmax cross-entropy of the CNN's logits (the loss to pass to ``fit``).

    L = -(1/B) Σ_b log softmax(cnn(params, x_b))_{y_b}

    Examples:
        >>> params = init_cnn(jax.random.key(0), (4,), image=8)
        >>> x, y = jnp.zeros((2, 64)), jnp.array([0, 1])
        >>> round(float(cnn_loss(params, x, y)), 4)  # zero images, zero biases: ln 10
        2.3026
    """
    return losses.softmax_cross_entropy(cnn(params, x), y)


def shift_images(x: Float[ArrayLike, "batch ..."], dy: int, dx: int) -> Float[Array, "batch ..."]:
    """Move square images ``dy`` pixels down and ``dx`` right, filling with zeros.

    shifted[n, i, j] = x[n, i - dy, j - dx]  (0 where that falls outside the image)

    Accepts (batch, h·w) flattened images or (batch, h, w[, c]); returns the same shape.

    Examples:
        >>> x = jnp.arange(1.0, 10.0).reshape(1, 9)
        >>> shift_images(x, 1, 0).reshape(3, 3)
        Array([[0., 0., 0.],
               [1., 2., 3.],
               [4., 5., 6.]], dtype=float32)
    """
    x = check_array("x", x, ndim=(2, 3, 4), shape_hint="(batch, h*w) or (batch, h, w[, c])")
    for name, d in (("dy", dy), ("dx", dx)):
        if isinstance(d, bool) or not isinstance(d, int):
            raise TypeError(f"{name}: expected an integer, got {type(d).__name__}")
    shape = x.shape
    if x.ndim == 2:
        side = round(shape[1] ** 0.5)
        if side * side != shape[1]:
            raise ValueError(f"x: expected square flattened images (batch, h*w), got shape {shape}")
        x = x.reshape(shape[0], side, side)
    h, w = x.shape[1:3]
    if abs(dy) >= h or abs(dx) >= w:
        raise ValueError(
            f"dy, dx: expected shifts smaller than the image {h}x{w}, got ({dy}, {dx})"
        )
    return _shifted(x, dy, dx).reshape(shape)


@jax.jit
def _shifted(x: Array, dy: Array, dx: Array) -> Array:
    """``x`` (batch, h, w, ...) moved by (dy, dx): a window on the zero-padded images.

    The shifts are traced, so one compiled program serves every shift of a batch shape.
    """
    h, w = x.shape[1:3]
    rest = [(0, 0)] * (x.ndim - 3)
    padded = jnp.pad(x, [(0, 0), (h, h), (w, w), *rest])  # padded[:, i + h, j + w] = x[:, i, j]
    start: list[ArrayLike] = [0, jnp.subtract(h, dy), jnp.subtract(w, dx)]  # h - dy, w - dx
    start += [0] * len(rest)
    return jax.lax.dynamic_slice(padded, start, x.shape)
