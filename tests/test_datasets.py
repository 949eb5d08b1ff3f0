"""nnbook.datasets: shapes, dtypes, ranges, determinism and balance of the small sets."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nnbook.datasets import (
    SPAM_FEATURES,
    Dataset,
    blobs,
    load_digits,
    moons,
    spam_emails,
    spirals,
    xor,
)

# ---------------------------------------------------------------- bundled digits


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def test_digits_shapes_dtypes_ranges(digits):
    assert isinstance(digits, Dataset)
    assert digits.x_train.shape == (1347, 64) and digits.x_test.shape == (450, 64)
    assert digits.y_train.shape == (1347,) and digits.y_test.shape == (450,)
    assert digits.x_train.dtype == np.float32 and digits.y_train.dtype == np.int32
    x = np.concatenate([digits.x_train, digits.x_test])
    assert x.min() == 0.0 and x.max() == 1.0  # 16 / 16
    assert set(np.unique(digits.y_train)) == set(range(10))


def test_digits_split_is_stratified_and_deterministic(digits):
    y_all = np.concatenate([digits.y_train, digits.y_test])
    expected = np.bincount(y_all) * 0.25
    assert np.abs(np.bincount(digits.y_test, minlength=10) - expected).max() <= 1.0
    again = load_digits()
    for a, b in zip(digits, again, strict=True):
        np.testing.assert_array_equal(a, b)
    other = load_digits(seed=1)
    assert not np.array_equal(other.y_test, digits.y_test)
    half = load_digits(test_fraction=0.5)
    assert len(half.x_train) + len(half.x_test) == 1797 and abs(len(half.x_test) - 898.5) <= 1


@pytest.mark.outside_annotations
@pytest.mark.parametrize("bad", [0, 1, 1.5, -0.1, "0.2"])
def test_digits_bad_test_fraction(bad):
    with pytest.raises(ValueError, match="^test_fraction: expected a number in"):
        load_digits(test_fraction=bad)


# ---------------------------------------------------------------- toy 2-D sets

TOY = [
    (xor, {}, 2),
    (moons, {}, 2),
    (spirals, {"turns": 2.0}, 2),
    (blobs, {"centers": 3}, 3),  # 200 = 67 + 67 + 66: sizes differ by one
    (spam_emails, {}, 2),
]
TOY_IDS = [t[0].__name__ for t in TOY]
N = 200  # the default size, so each eager op compiles once (doctests included)


@pytest.mark.parametrize("make, kwargs, n_classes", TOY, ids=TOY_IDS)
def test_toy_shapes_dtypes_balance_determinism(make, kwargs, n_classes):
    key = jax.random.key(0)
    x, y = make(key, n=N, **kwargs)
    assert x.shape == (N, 2) and y.shape == (N,)
    assert x.dtype == jnp.float32 and y.dtype == jnp.int32
    assert bool(jnp.isfinite(x).all())
    counts = np.bincount(np.asarray(y), minlength=n_classes)
    assert len(counts) == n_classes and counts.max() - counts.min() <= 1
    # Classes are interleaved, not stored in blocks.
    assert len(np.unique(np.asarray(y[:20]))) > 1
    x2, y2 = make(key, n=N, **kwargs)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    x3, _ = make(jax.random.key(1), n=N, **kwargs)
    assert not np.allclose(x, x3)


def test_toys_accept_raw_uint32_keys():
    x, _ = moons(jax.random.PRNGKey(0), n=N)
    assert x.shape == (N, 2)


def test_xor_without_noise_is_the_truth_table():
    x, y = xor(jax.random.key(0), n=N, noise=0.0)
    x, y = np.asarray(x), np.asarray(y)
    assert set(map(tuple, x.tolist())) == {(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)}
    np.testing.assert_array_equal(y, (x[:, 0] != x[:, 1]).astype(np.int32))


def test_moons_without_noise_lie_on_their_half_circles():
    x, y = moons(jax.random.key(0), n=N, noise=0.0)
    x, y = np.asarray(x), np.asarray(y)
    upper, lower = x[y == 0], x[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0, atol=1e-5)
    assert (upper[:, 1] >= -1e-6).all()
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0, atol=1e-5)
    assert (lower[:, 1] <= 0.5 + 1e-6).all()


def test_spirals_without_noise_follow_their_arms():
    turns = 1.5
    x, y = spirals(jax.random.key(0), n=N, turns=turns, noise=0.0)
    x, y = np.asarray(x, np.float64), np.asarray(y)
    r = np.hypot(x[:, 0], x[:, 1])
    assert r.min() >= 0.05 - 1e-6 and r.max() <= 1.0 + 1e-6
    # Angle predicted from the radius, compared modulo 2 pi.
    diff = np.arctan2(x[:, 1], x[:, 0]) - (2 * np.pi * turns * r + np.pi * y)
    np.testing.assert_allclose(np.cos(diff), 1.0, atol=1e-4)


def test_blobs_centres_and_custom_centres():
    x, y = blobs(jax.random.key(0), n=N, centers=3, std=0.6)
    x, y = np.asarray(x), np.asarray(y)
    angle = 2 * np.pi * np.arange(3) / 3
    centres = 2.0 * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    means = np.stack([x[y == k].mean(axis=0) for k in range(3)])
    np.testing.assert_allclose(means, centres, atol=0.25)  # 3.4 sigma of a mean of 66 draws
    np.testing.assert_allclose(x[y == 0].std(axis=0), 0.6, rtol=0.3)
    custom = np.array([[5.0, 5.0], [-5.0, 0.0]])
    xc, yc = blobs(jax.random.key(1), n=10, centers=custom, std=0.0)
    np.testing.assert_allclose(np.asarray(xc), custom[np.asarray(yc)], atol=1e-6)


def test_spam_counts():
    assert SPAM_FEATURES == ("suspicious words", "external links")
    x, y = spam_emails(jax.random.key(0), n=N)
    x, y = np.asarray(x), np.asarray(y)
    assert (x >= 0).all() and np.array_equal(x, np.round(x))  # whole counts
    assert (x[y == 1].mean(axis=0) > x[y == 0].mean(axis=0) + 2).all()  # spam: more of both


@pytest.mark.outside_annotations
@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: moons(jax.random.key(0), n=1), ValueError, "^n: expected at least 2"),
        (lambda: xor(jax.random.key(0), n=3), ValueError, "^n: expected at least 4"),
        (lambda: blobs(jax.random.key(0), n=0), ValueError, "^n: expected a positive"),
        (lambda: spam_emails(jax.random.key(0), n=2.5), TypeError, "^n: expected a positive"),
        (lambda: moons(jax.random.key(0), noise=-0.1), ValueError, "^noise: expected"),
        (lambda: spirals(jax.random.key(0), turns=0), ValueError, "^turns: expected"),
        (lambda: blobs(jax.random.key(0), std=float("nan")), ValueError, "^std: expected"),
        (lambda: blobs(jax.random.key(0), centers=np.ones(3)), ValueError, "^centers: expected"),
        (lambda: xor(0), TypeError, "^key: expected"),
        (
            lambda: spam_emails(jax.random.split(jax.random.key(0))),
            ValueError,
            "^key: expected a single",
        ),
    ],
)
def test_toy_bad_inputs(call, error, message):
    with pytest.raises(error, match=message):
        call()
