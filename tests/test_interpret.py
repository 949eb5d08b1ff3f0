"""nnbook.interpret: confusion matrix, confident mistakes, input gradients, importance, ablation.

Each function is checked against an independent reference: a Python loop and
scikit-learn for the confusion matrix, a brute-force sort for the mistakes, the closed
form of a linear model and per-example ``jax.grad`` (plus finite differences in float64)
for the gradients, and a NumPy re-implementation for the ablation curve.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads
from sklearn.metrics import confusion_matrix as sk_confusion_matrix

from nnbook import interpret
from nnbook.layers import Dense, mlp


def numpy_mlp(seed, sizes, dtype=np.float32):
    """MLP parameters drawn with NumPy (keeps the tests free of per-shape init compiles)."""
    rng = np.random.default_rng(seed)
    return tuple(
        Dense(
            W=jnp.asarray(rng.normal(size=(m, n)) * np.sqrt(2 / m), dtype),
            b=jnp.asarray(rng.normal(size=(n,)) * 0.1, dtype),
        )
        for m, n in zip(sizes[:-1], sizes[1:], strict=True)
    )


def linear(params, x):
    W, b = params
    return x @ W + b


@pytest.fixture(scope="module")
def linear_model():
    rng = np.random.default_rng(1)
    W = jnp.asarray(rng.normal(size=(6, 3)), jnp.float32)
    b = jnp.asarray(rng.normal(size=(3,)), jnp.float32)
    x = jnp.asarray(rng.uniform(size=(20, 6)), jnp.float32)
    return (W, b), x


@pytest.fixture(scope="module")
def small_mlp():
    params = numpy_mlp(0, (12, 8, 4))
    x = jnp.asarray(np.random.default_rng(1).uniform(size=(30, 12)), jnp.float32)
    return params, x


# --- confusion_matrix ----------------------------------------------------------------


def test_confusion_matrix_matches_loop_and_sklearn(rng):
    y_true = rng.integers(0, 5, size=200)
    y_pred = np.where(rng.uniform(size=200) < 0.7, y_true, rng.integers(0, 5, size=200))
    loop = np.zeros((5, 5), int)
    for t, p in zip(y_true, y_pred, strict=True):
        loop[t, p] += 1
    got = interpret.confusion_matrix(y_true, y_pred, 5)
    np.testing.assert_array_equal(got, loop)
    np.testing.assert_array_equal(got, sk_confusion_matrix(y_true, y_pred, labels=range(5)))
    assert got.sum() == 200 and np.trace(got) == np.sum(y_true == y_pred)


def test_confusion_matrix_default_size_and_jax_input():
    got = interpret.confusion_matrix(jnp.array([0, 3]), jnp.array([3, 3]))
    assert got.shape == (4, 4) and got[0, 3] == 1 and got[3, 3] == 1


@pytest.mark.outside_annotations
@pytest.mark.parametrize(
    ("y_true", "y_pred", "n", "err", "match"),
    [
        ([0, 1], [0], None, ValueError, "y_pred: expected 2 labels"),
        ([0, 5], [0, 1], 5, ValueError, r"y_true: expected labels in \[0, 5\)"),
        ([0, 1], [0, 7], 5, ValueError, "y_pred: expected labels in"),
        ([0, -1], [0, 1], None, ValueError, "y_true: expected labels >= 0"),
        ([0.0, 1.0], [0, 1], None, TypeError, "y_true: expected a signed integer or unsigned"),
        ([[0, 1]], [0, 1], None, ValueError, "y_true: expected a 1-D array"),
        ([0, 1], [0, 1], 0, ValueError, "n_classes: expected a positive integer"),
    ],
)
def test_confusion_matrix_bad_input(y_true, y_pred, n, err, match):
    with pytest.raises(err, match=match):
        interpret.confusion_matrix(np.asarray(y_true), np.asarray(y_pred), n)


# --- most_confident_mistakes ---------------------------------------------------------


def test_most_confident_mistakes_brute_force(rng):
    logits = rng.normal(size=(50, 4)) * 3
    y = rng.integers(0, 4, size=50)
    got = interpret.most_confident_mistakes(jnp.asarray(logits, jnp.float32), y, k=7)
    probs = np.exp(logits - logits.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    wrong = [(-probs[i].max(), i) for i in range(50) if probs[i].argmax() != y[i]]
    expected = [i for _, i in sorted(wrong)[:7]]
    np.testing.assert_array_equal(got.index, expected)
    np.testing.assert_array_equal(got.true, y[expected])
    np.testing.assert_array_equal(got.predicted, probs[expected].argmax(1))
    np.testing.assert_allclose(got.confidence, probs[expected].max(1), rtol=1e-5)
    assert np.all(got.predicted != got.true)


def test_most_confident_mistakes_fewer_than_k_and_none():
    logits = jnp.array([[2.0, 0.0], [0.0, 2.0]])
    assert len(interpret.most_confident_mistakes(logits, jnp.array([1, 1]), k=5).index) == 1
    assert len(interpret.most_confident_mistakes(logits, jnp.array([0, 1]), k=5).index) == 0


@pytest.mark.outside_annotations
@pytest.mark.parametrize(
    ("y", "k", "err", "match"),
    [
        ([0, 1], 0, ValueError, "k: expected a positive integer"),
        ([0, 1], 2.0, TypeError, "k: expected a positive integer"),
        ([0], 3, ValueError, "y: expected 2 labels"),
        ([0, 2], 3, ValueError, r"y: expected labels in \[0, 2\)"),
    ],
)
def test_most_confident_mistakes_bad_input(y, k, err, match):
    with pytest.raises(err, match=match):
        interpret.most_confident_mistakes(jnp.zeros((2, 2)), jnp.asarray(y), k=k)


@pytest.mark.outside_annotations
def test_most_confident_mistakes_bad_logits():
    with pytest.raises(ValueError, match="logits: expected a 2-D array"):
        interpret.most_confident_mistakes(jnp.zeros(3), jnp.array([0, 1, 0]))
    with pytest.raises(ValueError, match="logits: expected finite values"):
        interpret.most_confident_mistakes(jnp.array([[jnp.nan, 0.0]]), jnp.array([0]))


# --- input_gradients, pixel_importance, class_importance ------------------------------


def test_input_gradients_linear_closed_form(linear_model):
    (W, b), x = linear_model
    predicted = np.asarray(jnp.argmax(linear((W, b), x), axis=1))
    got = interpret.input_gradients(linear, (W, b), x)
    np.testing.assert_allclose(got, np.asarray(W).T[predicted], rtol=1e-6)
    got2 = interpret.input_gradients(linear, (W, b), x, target=2)
    np.testing.assert_allclose(got2, np.tile(np.asarray(W)[:, 2], (20, 1)), rtol=1e-6)
    targets = np.arange(20) % 3
    got3 = interpret.input_gradients(linear, (W, b), x, target=targets)
    np.testing.assert_allclose(got3, np.asarray(W).T[targets], rtol=1e-6)


def test_input_gradients_match_per_example_grad(small_mlp):
    params, x = small_mlp
    targets = jnp.arange(30) % 4

    def score(image, t):
        return mlp(params, image[None])[0, t]

    expected = jax.jit(jax.vmap(jax.grad(score)))(x, targets)
    got = interpret.input_gradients(mlp, params, x, target=targets)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_input_gradients_finite_differences(x64):
    params = numpy_mlp(2, (5, 7, 3), np.float64)
    x = jnp.asarray(np.random.default_rng(3).uniform(size=(4, 5)) + 0.1, jnp.float64)

    @jax.jit
    def total(x):  # sum of the class-1 scores: its gradient is input_gradients(target=1)
        return mlp(params, x)[:, 1].sum()

    check_grads(total, (x,), order=1, modes=["rev"], atol=1e-6, rtol=1e-6)
    np.testing.assert_allclose(
        interpret.input_gradients(mlp, params, x, target=1), jax.grad(total)(x), rtol=1e-10
    )
    eps = 1e-6
    bump = jnp.zeros_like(x).at[2, 3].set(eps)
    fd = (total(x + bump) - total(x - bump)) / (2 * eps)
    np.testing.assert_allclose(interpret.input_gradients(mlp, params, x, 1)[2, 3], fd, rtol=1e-6)


def test_pixel_and_class_importance_linear(linear_model):
    (W, b), x = linear_model
    W_np = np.abs(np.asarray(W))
    predicted = np.asarray(jnp.argmax(linear((W, b), x), axis=1))
    np.testing.assert_allclose(
        interpret.pixel_importance(linear, (W, b), x), W_np.T[predicted].mean(0), rtol=1e-6
    )
    y = np.arange(20) % 3
    np.testing.assert_allclose(interpret.class_importance(linear, (W, b), x, y), W_np.T, rtol=1e-6)


def test_class_importance_mlp_against_loop(small_mlp):
    params, x = small_mlp
    y = np.arange(30) % 4
    got = interpret.class_importance(mlp, params, x, y)
    per_example = jax.jit(jax.vmap(jax.grad(lambda image, t: mlp(params, image)[t])))
    g = np.abs(np.asarray(per_example(x, y)))
    for c in range(4):
        np.testing.assert_allclose(got[c], g[y == c].mean(0), rtol=1e-5)


@pytest.mark.outside_annotations
def test_gradient_bad_input(linear_model):
    params, x = linear_model
    with pytest.raises(TypeError, match="apply_fn: expected a function"):
        interpret.input_gradients("mlp", params, x)
    with pytest.raises(ValueError, match="x: expected a 2-D array"):
        interpret.input_gradients(linear, params, x[0])
    with pytest.raises(ValueError, match="x: expected a non-empty array"):
        interpret.input_gradients(linear, params, x[:0])
    with pytest.raises(ValueError, match="x: expected finite values"):
        interpret.input_gradients(linear, params, x.at[0, 0].set(jnp.inf))
    with pytest.raises(ValueError, match=r"target: expected classes in \[0, 3\)"):
        interpret.input_gradients(linear, params, x, target=3)
    with pytest.raises(ValueError, match="target: expected 20 labels"):
        interpret.input_gradients(linear, params, x, target=np.array([0, 1]))
    with pytest.raises(TypeError, match="target: expected None"):
        interpret.input_gradients(linear, params, x, target=True)
    with pytest.raises(ValueError, match="apply_fn: expected logits of shape"):
        interpret.input_gradients(lambda p, x: (x @ p[0]).sum(1), params, x)


@pytest.mark.outside_annotations
def test_class_importance_bad_labels(linear_model):
    params, x = linear_model
    with pytest.raises(ValueError, match="y: expected at least one example of every class"):
        interpret.class_importance(linear, params, x, np.zeros(20, int))
    with pytest.raises(ValueError, match=r"y: expected labels in \[0, 3\)"):
        interpret.class_importance(linear, params, x, np.full(20, 3))
    with pytest.raises(ValueError, match="y: expected 20 labels"):
        interpret.class_importance(linear, params, x, np.zeros(5, int))


# --- region_share -------------------------------------------------------------------


def test_region_share():
    assert interpret.region_share(np.ones(784)) == pytest.approx(400 / 784)
    centre = np.zeros((28, 28))
    centre[4:24, 4:24] = 1.0
    assert interpret.region_share(centre) == pytest.approx(1.0)
    assert interpret.region_share(np.ones(784), border=0) == pytest.approx(1.0)
    many = interpret.region_share(np.stack([np.ones(784), centre.ravel()]))
    np.testing.assert_allclose(many, [400 / 784, 1.0])
    assert interpret.region_share(np.ones(64), shape=(8, 8), border=2) == pytest.approx(16 / 64)


@pytest.mark.parametrize(
    ("values", "kwargs", "match"),
    [
        (np.ones(100), {}, "importance: expected maps of 784 pixels"),
        (-np.ones(784), {}, "importance: expected non-negative values"),
        (np.ones(784), {"border": 14}, r"border: expected an integer in \[0, 13\]"),
        (np.ones(784), {"border": -1}, "border: expected an integer"),
        (np.ones(784), {"shape": (0, 28)}, r"shape\[0\]: expected a positive integer"),
    ],
)
def test_region_share_bad_input(values, kwargs, match):
    with pytest.raises(ValueError, match=match):
        interpret.region_share(values, **kwargs)


# --- ablation_curve -----------------------------------------------------------------


def _ablation_reference(params, x, y, ks, scores, threshold=0.0):
    """NumPy: per image, zero the k highest-scoring inked pixels; accuracy per k."""
    x, scores = np.asarray(x), np.asarray(scores)
    apply = jax.jit(mlp)
    acc = []
    for k in ks:
        xs = x.copy()
        for n in range(len(x)):
            inked = np.flatnonzero(x[n] > threshold)
            top = inked[np.argsort(-scores[n, inked], kind="stable")][:k]
            xs[n, top] = 0.0
        acc.append(np.mean(np.asarray(jnp.argmax(apply(params, xs), axis=1)) == y))
    return np.array(acc)


def test_ablation_curve_matches_numpy(small_mlp):
    params, x = small_mlp
    x = jnp.where(x > 0.4, x, 0.0)  # some blank pixels
    y = np.asarray(jnp.argmax(mlp(params, x), axis=1))  # accuracy 1 at k = 0
    ks = [0, 1, 3, 6, 12]
    scores = np.abs(np.asarray(interpret.input_gradients(mlp, params, x)))
    res = interpret.ablation_curve(mlp, params, x, y, ks, jax.random.key(0))
    np.testing.assert_allclose(res.important, _ablation_reference(params, x, y, ks, scores))
    assert res.important[0] == 1.0 and res.random[0] == 1.0
    assert res.mean_inked == pytest.approx(float(np.mean(np.sum(np.asarray(x) > 0, axis=1))))
    # removing every inked pixel leaves the same blank images whatever the ranking
    assert res.important[-1] == res.random[-1]
    given = interpret.ablation_curve(mlp, params, x, y, ks, jax.random.key(0), importance=-scores)
    np.testing.assert_allclose(given.important, _ablation_reference(params, x, y, ks, -scores))
    again = interpret.ablation_curve(mlp, params, x, y, ks, jax.random.key(0))
    np.testing.assert_array_equal(again.random, res.random)  # same key, same draw


@pytest.mark.outside_annotations
def test_ablation_curve_bad_input(small_mlp):
    params, x = small_mlp
    y = np.zeros(30, int)
    key = jax.random.key(0)
    with pytest.raises(ValueError, match=r"ks: expected pixel counts in \[0, 12\]"):
        interpret.ablation_curve(mlp, params, x, y, [0, 13], key)
    with pytest.raises(ValueError, match="ks: expected pixel counts"):
        interpret.ablation_curve(mlp, params, x, y, [-1], key)
    with pytest.raises(TypeError, match="ks: expected a sequence"):
        interpret.ablation_curve(mlp, params, x, y, 5, key)
    with pytest.raises(ValueError, match="ks: expected a non-empty 1-D sequence of integers"):
        interpret.ablation_curve(mlp, params, x, y, [0.5], key)
    with pytest.raises(ValueError, match="ks: expected a non-empty"):
        interpret.ablation_curve(mlp, params, x, y, [], key)
    with pytest.raises(ValueError, match="importance: expected shape"):
        interpret.ablation_curve(mlp, params, x, y, [0], key, importance=jnp.ones((30, 3)))
    with pytest.raises(ValueError, match="y: expected 30 labels"):
        interpret.ablation_curve(mlp, params, x, y[:3], [0], key)
