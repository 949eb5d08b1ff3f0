"""nnbook.regularization: dropout, the L2 penalty, early stopping and label flipping."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from jax.test_util import check_grads

from nnbook.layers import Dense, init_mlp, mlp
from nnbook.regularization import (
    EarlyStop,
    NoisyLabels,
    dropout,
    early_stopping,
    flip_labels,
    l2_penalty,
    mlp_dropout,
)

KEY = jax.random.key(0)


# --- dropout -------------------------------------------------------------------------


@pytest.fixture
def x():
    return jax.random.uniform(jax.random.key(1), (40, 25), minval=0.5, maxval=2.0)


def test_zero_rate_is_identity(x):
    np.testing.assert_array_equal(dropout(KEY, x, 0.0), x)
    np.testing.assert_array_equal(dropout(KEY, x, 0), x)


@pytest.mark.parametrize("rate", [0.0, 0.3, 0.9])
def test_deterministic_is_identity(x, rate):
    np.testing.assert_array_equal(dropout(KEY, x, rate, deterministic=True), x)
    # evaluation needs no key at all
    np.testing.assert_array_equal(dropout(None, x, rate, deterministic=True), x)


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_kept_entries_are_scaled_and_the_rest_zero(x, rate):
    out = np.asarray(dropout(KEY, x, rate))
    kept = out != 0
    np.testing.assert_allclose(out[kept], np.asarray(x)[kept] / (1 - rate), rtol=1e-6)
    assert kept.any() and (~kept).any()


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.9])
def test_fraction_of_zeros_is_rate(rate):
    out = dropout(jax.random.key(2), jnp.ones(200_000), rate)
    frac = float(jnp.mean(out == 0))
    # binomial standard error sqrt(p (1 - p) / n) <= 0.0012; allow 5 of them
    assert abs(frac - rate) < 5 * math.sqrt(rate * (1 - rate) / 200_000), frac


@pytest.mark.parametrize("rate", [0.2, 0.5])
def test_expected_value_is_preserved(x, rate):
    keys = jax.random.split(jax.random.key(3), 4000)
    mean = jax.vmap(lambda k: dropout(k, x, rate))(keys).mean(axis=0)
    # each entry of the mean over K keys has standard deviation x sqrt(p / (1 - p) / K)
    sd = np.asarray(x) * math.sqrt(rate / (1 - rate) / len(keys))
    err = np.abs(np.asarray(mean) - np.asarray(x))
    assert (err < 5 * sd).all(), float((err / sd).max())
    assert abs(float(mean.mean() / x.mean()) - 1) < 0.01  # and the overall mean, tightly


def test_same_key_same_mask_and_different_keys_differ(x):
    a, b = dropout(KEY, x, 0.5), dropout(KEY, x, 0.5)
    np.testing.assert_array_equal(a, b)
    c = dropout(jax.random.fold_in(KEY, 1), x, 0.5)
    assert float(jnp.mean((a == 0) != (c == 0))) > 0.3  # about half the entries differ


def test_raw_uint32_key_accepted(x):
    raw = jax.random.PRNGKey(0)
    assert dropout(raw, x, 0.5).shape == x.shape


def test_jit_and_vmap_match_eager(x):
    rate = 0.4
    np.testing.assert_array_equal(
        jax.jit(dropout, static_argnums=2)(KEY, x, rate), dropout(KEY, x, rate)
    )
    # a traced rate (vmap over rates) works too
    rates = jnp.array([0.0, 0.5])
    outs = jax.vmap(lambda r: dropout(KEY, x, r))(rates)
    np.testing.assert_array_equal(outs[0], x)
    np.testing.assert_allclose(outs[1], dropout(KEY, x, 0.5), rtol=1e-6)


def test_gradient_flows_only_through_kept_units(x):
    rate = 0.5
    w = jax.random.normal(jax.random.key(4), x.shape)
    grad = jax.grad(lambda v: jnp.sum(w * dropout(KEY, v, rate)))(x)
    kept = np.asarray(dropout(KEY, x, rate)) != 0
    np.testing.assert_array_equal(np.asarray(grad)[~kept], 0.0)
    np.testing.assert_allclose(np.asarray(grad)[kept], np.asarray(w)[kept] / (1 - rate), rtol=1e-6)


def test_gradient_matches_finite_differences(x64):
    v = jax.random.normal(jax.random.key(5), (6, 7), dtype=jnp.float64)
    check_grads(lambda a: dropout(KEY, a, 0.3) ** 2, (v,), order=2, modes=["rev", "fwd"])


@pytest.mark.parametrize("rate", [1.0, -0.1, 1.5, float("nan")])
def test_bad_rate_names_the_argument(x, rate):
    with pytest.raises(ValueError, match=r"rate: expected a drop probability in \[0, 1\)"):
        dropout(KEY, x, rate)


@pytest.mark.outside_annotations
@pytest.mark.parametrize("rate", ["0.5", None, True, [0.5]])
def test_rate_of_wrong_type(x, rate):
    with pytest.raises(TypeError, match="rate: expected a number"):
        dropout(KEY, x, rate)


@pytest.mark.parametrize("key", [0, None, "key", jnp.zeros(2)])
def test_bad_key_names_the_argument(x, key):
    with pytest.raises(TypeError, match=r"key: expected a jax.random.key, e.g. jax.random"):
        dropout(key, x, 0.5)


def test_a_batch_of_keys_is_refused(x):
    with pytest.raises(ValueError, match="key: expected a single jax.random.key, got keys"):
        dropout(jax.random.split(KEY, 3), x, 0.5)


@pytest.mark.outside_annotations
def test_integer_input_and_bad_flag(x):
    with pytest.raises(TypeError, match="x: expected a floating-point array"):
        dropout(KEY, jnp.ones(3, dtype=jnp.int32), 0.5)
    with pytest.raises(TypeError, match="deterministic: expected True or False"):
        dropout(KEY, x, 0.5, deterministic="yes")


# --- mlp_dropout ---------------------------------------------------------------------

SIZES = (12, 16, 16, 3)


@pytest.fixture
def params():
    return init_mlp(jax.random.key(6), SIZES)


@pytest.fixture
def xb():
    return jax.random.normal(jax.random.key(7), (9, SIZES[0]))


def test_mlp_dropout_off_equals_mlp(params, xb):
    np.testing.assert_allclose(
        mlp_dropout(params, xb, None, 0.5, deterministic=True), mlp(params, xb), rtol=1e-6
    )
    np.testing.assert_allclose(mlp_dropout(params, xb, KEY, 0.0), mlp(params, xb), rtol=1e-6)
    np.testing.assert_allclose(
        mlp_dropout(params, xb, KEY, 0.0, activation="tanh"),
        mlp(params, xb, activation="tanh"),
        rtol=1e-6,
    )


def test_mlp_dropout_against_numpy(params, xb):
    rate, input_rate = 0.5, 0.2
    out = mlp_dropout(params, xb, KEY, rate, input_rate=input_rate)

    def mask(i, shape, p):  # the masks the layers draw: bernoulli(fold_in(key, i))
        return np.asarray(jax.random.bernoulli(jax.random.fold_in(KEY, i), 1 - p, shape))

    a = np.asarray(xb, np.float64) * mask(0, xb.shape, input_rate) / (1 - input_rate)
    for i, layer in enumerate(params[:-1]):
        a = np.maximum(a @ np.asarray(layer.W) + np.asarray(layer.b), 0)
        a = a * mask(i + 1, a.shape, rate) / (1 - rate)
    expected = a @ np.asarray(params[-1].W) + np.asarray(params[-1].b)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)


def test_mlp_dropout_masks_differ_between_examples(params):
    same = jnp.ones((2, SIZES[0]))  # two identical examples get different masks
    out = mlp_dropout(params, same, KEY, 0.5)
    assert not np.allclose(out[0], out[1])
    single = mlp_dropout(params, same[0], KEY, 0.5)  # one example without a batch axis
    assert single.shape == (SIZES[-1],)


def test_mlp_dropout_gradients(params, xb):
    def loss(p):
        return jnp.sum(mlp_dropout(p, xb, KEY, 0.5) ** 2)

    grads = jax.grad(loss)(params)
    assert all(np.isfinite(np.asarray(g)).all() for g in jax.tree.leaves(grads))
    assert float(jnp.abs(grads[0].W).sum()) > 0


@pytest.mark.outside_annotations
def test_mlp_dropout_bad_inputs(params, xb):
    with pytest.raises(ValueError, match="x: expected last dimension 12"):
        mlp_dropout(params, jnp.ones((3, 5)), KEY, 0.5)
    with pytest.raises(ValueError, match="x: expected a 1-D or 2-D array"):
        mlp_dropout(params, jnp.ones((2, 3, 12)), KEY, 0.5)
    with pytest.raises(ValueError, match="input_rate: expected a drop probability"):
        mlp_dropout(params, xb, KEY, 0.5, input_rate=1.0)
    with pytest.raises(ValueError, match="rate: expected a drop probability"):
        mlp_dropout(params, xb, KEY, 2.0)
    with pytest.raises(TypeError, match="key: expected a jax.random.key"):
        mlp_dropout(params, xb, None, 0.5)
    with pytest.raises(TypeError, match="params: expected a non-empty tuple of Dense"):
        mlp_dropout(params[0], xb, KEY, 0.5)
    with pytest.raises(ValueError, match="x: expected finite values"):
        mlp_dropout(params, xb.at[0, 0].set(jnp.nan), KEY, 0.5)


# --- l2_penalty ----------------------------------------------------------------------


def test_l2_penalty_against_hand_sum(params):
    hand = 0.5 * sum(float(np.sum(np.asarray(layer.W, np.float64) ** 2)) for layer in params)
    np.testing.assert_allclose(float(l2_penalty(params)), hand, rtol=1e-6)


def test_l2_penalty_ignores_biases():
    layer = Dense(W=jnp.array([[3.0, 4.0]]), b=jnp.array([100.0, -100.0]))
    assert float(l2_penalty((layer,))) == pytest.approx(12.5)  # (9 + 16) / 2


def test_l2_gradient_is_the_weights(params):
    grads = jax.grad(l2_penalty)(params)
    for g, layer in zip(grads, params, strict=True):
        np.testing.assert_allclose(g.W, layer.W, rtol=1e-6)
        np.testing.assert_array_equal(g.b, 0.0)


def test_l2_in_the_loss_is_weight_decay_under_sgd(params, xb):
    # loss + lam * R with SGD equals optax's decoupled decay of the weights, then SGD
    lam, lr = 0.1, 0.05
    y = jnp.arange(xb.shape[0]) % SIZES[-1]

    def data_loss(p):
        return optax.softmax_cross_entropy_with_integer_labels(mlp(p, xb), y).mean()

    grads = jax.grad(lambda p: data_loss(p) + lam * l2_penalty(p))(params)
    ours = jax.tree.map(lambda p, g: p - lr * g, params, grads)
    mask = jax.tree.map(lambda p: p.ndim >= 2, params)
    tx = optax.chain(optax.add_decayed_weights(lam, mask=mask), optax.sgd(lr))
    updates, _ = tx.update(jax.grad(data_loss)(params), tx.init(params), params)
    theirs = optax.apply_updates(params, updates)
    for a, b in zip(jax.tree.leaves(ours), jax.tree.leaves(theirs), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_l2_penalty_without_weights():
    with pytest.raises(ValueError, match="params: expected a pytree holding weight matrices"):
        l2_penalty((jnp.ones(3),))
    with pytest.raises(ValueError, match="params: expected a pytree holding weight matrices"):
        l2_penalty(())


# --- early_stopping ------------------------------------------------------------------


def test_early_stopping_picks_argmax_and_argmin():
    acc = [0.5, 0.7, 0.9, 0.8, 0.6]
    assert early_stopping(acc) == EarlyStop(best_epoch=2, best_value=0.9, stop_epoch=4)
    loss = [3.0, 2.0, 1.0, 1.5, 0.9, 1.2]
    assert early_stopping(loss, mode="min").best_epoch == int(np.argmin(loss)) == 4


def test_early_stopping_random_histories_agree_with_numpy():
    rng = np.random.default_rng(0)
    for _ in range(50):
        h = rng.integers(0, 20, size=rng.integers(1, 30)) / 20  # many ties
        assert early_stopping(h).best_epoch == int(np.argmax(h))  # argmax: first of ties
        assert early_stopping(h, mode="min").best_epoch == int(np.argmin(h))


def test_early_stopping_ties_keep_the_earliest():
    assert early_stopping([0.8, 0.9, 0.9, 0.9]).best_epoch == 1
    assert early_stopping([1.0, 1.0], mode="min").best_epoch == 0
    assert early_stopping(np.array([0.4])) == EarlyStop(0, 0.4, 0)


def test_early_stopping_patience():
    h = [0.5, 0.6, 0.55, 0.58, 0.59, 0.9]
    # with patience 3 it stops at epoch 4 (3 epochs after the best, epoch 1) and never
    # sees the 0.9 of epoch 5; with patience 4 it goes on and finds it
    assert early_stopping(h, patience=3) == EarlyStop(1, 0.6, 4)
    assert early_stopping(h, patience=4) == EarlyStop(5, 0.9, 5)
    assert early_stopping(h, patience=1) == EarlyStop(1, 0.6, 2)


def test_early_stopping_accepts_a_jax_history():
    assert early_stopping(jnp.array([0.1, 0.3, 0.2])).best_epoch == 1


@pytest.mark.outside_annotations
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"history": []}, ValueError, "history: expected a non-empty 1-D"),
        ({"history": [[0.1, 0.2]]}, ValueError, "history: expected a non-empty 1-D"),
        ({"history": [0.1, float("nan")]}, ValueError, "history: expected finite values"),
        ({"history": ["a", "b"]}, TypeError, "history: expected a sequence of numbers"),
        ({"history": [0.1], "mode": "best"}, ValueError, "mode: expected 'max'"),
        ({"history": [0.1], "patience": 0}, ValueError, "patience: expected a positive"),
        ({"history": [0.1], "patience": 2.5}, TypeError, "patience: expected a positive"),
    ],
)
def test_early_stopping_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        early_stopping(**kwargs)


# --- flip_labels ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "fraction", "k"),
    [(100, 0.4, 40), (10, 0.25, 3), (7, 0.5, 4), (50, 0.0, 0), (50, 1.0, 50), (3, 0.1, 0)],
)
def test_flip_labels_flips_exactly_k_to_another_class(n, fraction, k):
    y = jnp.arange(n, dtype=jnp.int32) % 10
    noisy = flip_labels(jax.random.key(n), y, fraction, n_classes=10)
    assert isinstance(noisy, NoisyLabels)
    assert int(noisy.flipped.sum()) == k == math.floor(fraction * n + 0.5)
    changed = np.asarray(noisy.y) != np.asarray(y)
    np.testing.assert_array_equal(changed, np.asarray(noisy.flipped))  # never the same class
    assert noisy.y.dtype == y.dtype
    assert int(noisy.y.min()) >= 0 and int(noisy.y.max()) <= 9


def test_flip_labels_is_deterministic_and_uniform_over_other_classes():
    y = jnp.zeros(30_000, dtype=jnp.int32)
    a = flip_labels(KEY, y, 0.5, n_classes=4)
    b = flip_labels(KEY, y, 0.5, n_classes=4)
    np.testing.assert_array_equal(a.y, b.y)
    counts = np.bincount(np.asarray(a.y[a.flipped]), minlength=4)
    assert counts[0] == 0
    np.testing.assert_allclose(counts[1:] / counts[1:].sum(), 1 / 3, atol=0.02)


def test_flip_labels_two_classes_swaps():
    y = jnp.array([0, 1, 0, 1, 1, 0])
    noisy = flip_labels(KEY, y, 1.0, n_classes=2)
    np.testing.assert_array_equal(noisy.y, 1 - y)


@pytest.mark.outside_annotations
@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((jnp.array([0, 1]), 1.5, 3), ValueError, r"fraction: expected a share in \[0, 1\]"),
        ((jnp.array([0, 1]), -0.1, 3), ValueError, r"fraction: expected a share in \[0, 1\]"),
        ((jnp.array([0, 1]), "half", 3), TypeError, "fraction: expected a number"),
        ((jnp.array([0, 1]), True, 3), TypeError, "fraction: expected a number"),
        ((jnp.array([0, 3]), 0.5, 3), ValueError, r"y: expected labels in \[0, 2\]"),
        ((jnp.array([0, -1]), 0.5, 3), ValueError, r"y: expected labels in \[0, 2\]"),
        ((jnp.array([0.0, 1.0]), 0.5, 3), TypeError, "y: expected a signed integer"),
        ((jnp.zeros((2, 2), jnp.int32), 0.5, 3), ValueError, "y: expected a 1-D array"),
        ((jnp.zeros(0, jnp.int32), 0.5, 3), ValueError, "y: expected a non-empty array"),
        ((jnp.array([0, 0]), 0.5, 1), ValueError, "n_classes: expected at least 2"),
        ((jnp.array([0, 0]), 0.5, 2.0), TypeError, "n_classes: expected a positive integer"),
    ],
)
def test_flip_labels_bad_input(args, error, match):
    with pytest.raises(error, match=match):
        flip_labels(KEY, *args)


def test_flip_labels_keys():
    y = jnp.arange(100, dtype=jnp.int32) % 10
    a = flip_labels(jax.random.key(1), y, 0.3, 10)
    b = flip_labels(jax.random.key(2), y, 0.3, 10)
    assert (np.asarray(a.flipped) != np.asarray(b.flipped)).any()  # another key, other labels
    raw = flip_labels(jax.random.PRNGKey(1), y, 0.3, 10)  # the legacy raw key works too
    assert int(raw.flipped.sum()) == 30


def test_flip_labels_bad_key():
    with pytest.raises(TypeError, match="key: expected a jax.random.key"):
        flip_labels(42, jnp.array([0, 1]), 0.5, 2)
