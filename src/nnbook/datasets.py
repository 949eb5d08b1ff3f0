"""Small data sets for Parts I-II (chapters 2-8); nothing is ever downloaded.

* Chapter 2: :func:`spam_emails`, two count features a single neuron can separate.
* Chapter 4: toy 2-D sets :func:`xor`, :func:`moons`, :func:`spirals`, :func:`blobs`,
  drawn with ``jax.random`` from an explicit key (returned as JAX arrays).
* Chapters 1 and 6-8: :func:`load_digits`, scikit-learn's bundled 8x8 digits (NumPy arrays).
* The real 28x28 MNIST digits of Part III are in :mod:`nnbook.mnist`.

Every set has float32 inputs ``x`` of shape (n, d) and int32 labels ``y`` of shape (n,).
"""

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, PRNGKeyArray, Real

from nnbook._checks import check_key, check_positive_int

SPAM_FEATURES = ("suspicious words", "external links")


class Dataset(NamedTuple):
    """A train/test split: ``x_*`` float32 (n, d), ``y_*`` int32 (n,)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def load_digits(test_fraction: float = 0.25, seed: int = 0) -> Dataset:
    """scikit-learn's bundled 8x8 handwritten digits (1797 images, 10 classes).

    x = pixel / 16 ∈ [0, 1]⁶⁴; the split is stratified (each digit in the same
    proportion in both parts) and deterministic for a given ``seed``.

    Args:
        test_fraction: Share of the examples held out, in ``(0, 1)``.
        seed: Seed of the (deterministic) split.

    Returns:
        A :class:`Dataset` of NumPy arrays, ``x`` float32 (n, 64), ``y`` int32 (n,).

    Examples:
        >>> data = load_digits()
        >>> data.x_train.shape, data.x_test.shape, data.y_train.dtype
        ((1347, 64), (450, 64), dtype('int32'))
    """
    from sklearn.datasets import load_digits as sk_load_digits
    from sklearn.model_selection import train_test_split

    if not (isinstance(test_fraction, float | int) and 0 < test_fraction < 1):
        raise ValueError(f"test_fraction: expected a number in (0, 1), got {test_fraction!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed: expected a non-negative integer, got {seed!r}")
    digits = sk_load_digits()
    x = (digits.data / 16.0).astype(np.float32)  # pixel intensities are 0..16
    y = digits.target.astype(np.int32)
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=test_fraction, stratify=y, random_state=int(seed)
    )
    return Dataset(x_tr, y_tr, x_te, y_te)


def _check_toy(key: object, name: str = "n", value: object = 0.0) -> float:
    """Check the key, and that ``value`` (noise, std, turns) is a finite number >= 0."""
    check_key("key", key)
    if isinstance(value, bool) or not isinstance(value, float | int) or not 0 <= value < math.inf:
        raise ValueError(f"{name}: expected a finite number >= 0, got {value!r}")
    return float(value)


def _labels(key: PRNGKeyArray, n: int, n_classes: int) -> tuple[np.ndarray, Array]:
    """Balanced labels (class sizes differ by at most one) and a random order for them."""
    n = check_positive_int("n", n)
    if n < n_classes:
        raise ValueError(f"n: expected at least {n_classes} points (one per class), got {n}")
    return np.arange(n) % n_classes, jax.random.permutation(key, n)


def _finish(x: ArrayLike, y: np.ndarray, order: Array) -> tuple[Array, Array]:
    """Cast to float32 / int32 and shuffle, so the classes are interleaved."""
    return jnp.asarray(x, jnp.float32)[order], jnp.asarray(y, jnp.int32)[order]


def xor(key: PRNGKeyArray, n: int = 200, noise: float = 0.1) -> tuple[Array, Array]:
    """Points around the four corners of the unit square, labelled by XOR.

    x = c + ε,  c ∈ {0, 1}²,  y = c₁ XOR c₂,  ε ~ N(0, noise² I)

    Args:
        key: A ``jax.random.key``.
        n: Number of points (>= 4), spread evenly over the corners.
        noise: Standard deviation of the Gaussian jitter.

    Returns:
        ``(x, y)``: float32 (n, 2) and int32 (n,).

    Examples:
        >>> x, y = xor(jax.random.key(0), noise=0.0)
        >>> sorted({(int(a), int(b), int(c)) for (a, b), c in zip(x, y)})
        [(0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 0)]
    """
    noise = _check_toy(key, "noise", noise)
    k_order, k_noise = jax.random.split(key)
    corner, order = _labels(k_order, n, 4)
    c = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)[corner]
    x = c + noise * jax.random.normal(k_noise, (n, 2))
    return _finish(x, c[:, 0] != c[:, 1], order)


def moons(key: PRNGKeyArray, n: int = 200, noise: float = 0.1) -> tuple[Array, Array]:
    """Two interleaving half circles: class 0 arches up, class 1 down and to the right.

    x₀ = (cos t, sin t),  x₁ = (1 - cos t, 1/2 - sin t),  t ~ U(0, π),  plus N(0, noise²)

    Args:
        key: A ``jax.random.key``.
        n: Number of points (>= 2), half per class.
        noise: Standard deviation of the Gaussian jitter.

    Returns:
        ``(x, y)``: float32 (n, 2) and int32 (n,).

    Examples:
        >>> x, y = moons(jax.random.key(0))
        >>> x.shape, x.dtype, int(y.sum())
        ((200, 2), dtype('float32'), 100)
    """
    noise = _check_toy(key, "noise", noise)
    k_order, k_t, k_noise = jax.random.split(key, 3)
    y, order = _labels(k_order, n, 2)
    t = jax.random.uniform(k_t, (n,), maxval=jnp.pi)
    upper = jnp.stack([jnp.cos(t), jnp.sin(t)], axis=1)
    lower = jnp.stack([1 - jnp.cos(t), 0.5 - jnp.sin(t)], axis=1)
    x = jnp.where(y[:, None] == 0, upper, lower) + noise * jax.random.normal(k_noise, (n, 2))
    return _finish(x, y, order)


def spirals(
    key: PRNGKeyArray, n: int = 200, turns: float = 1.5, noise: float = 0.1
) -> tuple[Array, Array]:
    """Two interleaved spiral arms, one per class, out to radius 1.

    r = t,  θ = 2π·turns·t + π·y,  x = r (cos θ, sin θ) + ε,  t ~ U(0.05, 1)

    Args:
        key: A ``jax.random.key``.
        n: Number of points (>= 2), half per arm.
        turns: How many times each arm winds around the centre (> 0).
        noise: Standard deviation of the Gaussian jitter.

    Returns:
        ``(x, y)``: float32 (n, 2) and int32 (n,).

    Examples:
        >>> x, y = spirals(jax.random.key(0), noise=0.0)
        >>> bool(jnp.linalg.norm(x, axis=1).max() <= 1.0)
        True
    """
    noise = _check_toy(key, "noise", noise)
    if _check_toy(key, "turns", turns) == 0:
        raise ValueError(f"turns: expected a number > 0, got {turns!r}")
    k_order, k_t, k_noise = jax.random.split(key, 3)
    y, order = _labels(k_order, n, 2)
    t = jax.random.uniform(k_t, (n,), minval=0.05, maxval=1.0)  # skip the crowded centre
    theta = 2 * jnp.pi * turns * t + jnp.pi * y
    x = t[:, None] * jnp.stack([jnp.cos(theta), jnp.sin(theta)], axis=1)
    return _finish(x + noise * jax.random.normal(k_noise, (n, 2)), y, order)


def blobs(
    key: PRNGKeyArray, n: int = 200, centers: int | Real[ArrayLike, "k 2"] = 3, std: float = 0.6
) -> tuple[Array, Array]:
    """Gaussian clusters, one class each, centred evenly on a circle of radius 2.

    x ~ N(μ_y, std² I),  μ_k = 2 (cos 2πk/K, sin 2πk/K)

    Args:
        key: A ``jax.random.key``.
        n: Number of points (>= K), spread evenly over the clusters.
        centers: Number of clusters K, or an array (K, 2) of centres.
        std: Standard deviation of each cluster.

    Returns:
        ``(x, y)``: float32 (n, 2) and int32 (n,) with labels 0..K-1.

    Examples:
        >>> x, y = blobs(jax.random.key(0), centers=3)
        >>> x.shape, [int(c) for c in jnp.bincount(y)]
        ((200, 2), [67, 67, 66])
    """
    std = _check_toy(key, "std", std)
    if isinstance(centers, int | np.integer) and not isinstance(centers, bool):
        angle = 2 * np.pi * np.arange(check_positive_int("centers", centers)) / centers
        mu = 2.0 * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    else:
        mu = np.asarray(centers, np.float32)
        if mu.ndim != 2 or mu.shape[1] != 2 or mu.shape[0] == 0:
            raise ValueError(f"centers: expected an int or an array (K, 2), got shape {mu.shape}")
    k_order, k_noise = jax.random.split(key)
    y, order = _labels(k_order, n, mu.shape[0])
    return _finish(mu[y] + std * jax.random.normal(k_noise, (n, 2)), y, order)


def spam_emails(key: PRNGKeyArray, n: int = 200) -> tuple[Array, Array]:
    """Toy e-mails: counts of suspicious words and of external links; spam has more of both.

    x_j ~ Poisson(λ_{y,j}),  λ_ham = (1.5, 1),  λ_spam = (7, 4)  (the classes overlap a little)

    Args:
        key: A ``jax.random.key``.
        n: Number of e-mails (>= 2), half of them spam.

    Returns:
        ``(x, y)``: float32 (n, 2) whole counts >= 0, columns named by ``SPAM_FEATURES``;
        int32 (n,) labels, 0 = ham, 1 = spam.

    Examples:
        >>> x, y = spam_emails(jax.random.key(0))
        >>> x.shape, bool((x >= 0).all()), (x[y == 1].mean(0) > x[y == 0].mean(0)).tolist()
        ((200, 2), True, [True, True])
    """
    _check_toy(key)
    k_order, k_counts = jax.random.split(key)
    y, order = _labels(k_order, n, 2)
    rates = np.array([[1.5, 1.0], [7.0, 4.0]], np.float32)[y]  # (n, 2) Poisson means
    return _finish(jax.random.poisson(k_counts, rates, (n, 2)), y, order)
