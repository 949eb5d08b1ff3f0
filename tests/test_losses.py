"""nnbook.losses against NumPy/SciPy closed forms, including logits of ±1e4."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special
from jax.test_util import check_grads

from nnbook import losses as L

EXTREME = np.array([1e4, -1e4, 1e4, -1e4, 0.0, 3.0], dtype=np.float32)
EXTREME_Y = np.array([1, 0, 0, 1, 1, 0])


def _np_bce(z, y):
    z, y = np.asarray(z, np.float64), np.asarray(y, np.float64)
    return np.mean(np.logaddexp(0.0, z) - y * z)  # softplus(z) - y z


def _np_softmax_ce(z, labels):
    z = np.asarray(z, np.float64)
    return np.mean(scipy.special.logsumexp(z, axis=1) - z[np.arange(len(z)), labels])


def test_mse_matches_numpy(rng):
    p, t = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    got = L.mse(jnp.asarray(p, jnp.float32), jnp.asarray(t, jnp.float32))
    np.testing.assert_allclose(float(got), np.mean((p - t) ** 2), rtol=1e-5)


def test_bce_matches_numpy_including_extremes(rng):
    z = rng.normal(scale=4.0, size=20).astype(np.float32)
    y = rng.integers(0, 2, size=20)
    np.testing.assert_allclose(
        float(L.binary_cross_entropy_with_logits(z, y)), _np_bce(z, y), rtol=1e-5
    )
    got = float(L.binary_cross_entropy_with_logits(jnp.asarray(EXTREME), jnp.asarray(EXTREME_Y)))
    # Two confidently wrong 1e4 logits cost 1e4 each; the rest is log 2 and softplus(3).
    assert np.isfinite(got)
    np.testing.assert_allclose(got, _np_bce(EXTREME, EXTREME_Y), rtol=1e-6)


def test_bce_soft_labels_and_column_logits(rng):
    z = rng.normal(size=(8, 1)).astype(np.float32)
    y = rng.uniform(size=8).astype(np.float32)
    column = L.binary_cross_entropy_with_logits(z, y)  # (8, 1) logits with (8,) labels
    flat = L.binary_cross_entropy_with_logits(z[:, 0], y)
    np.testing.assert_allclose(float(column), float(flat), rtol=1e-6)
    np.testing.assert_allclose(float(column), _np_bce(z[:, 0], y), rtol=1e-5)


def test_naive_bce_agrees_for_moderate_logits_and_overflows_for_large(rng):
    z = rng.uniform(-5, 5, size=20).astype(np.float32)
    y = rng.integers(0, 2, size=20)
    np.testing.assert_allclose(float(L.binary_cross_entropy_naive(z, y)), _np_bce(z, y), rtol=1e-4)
    # The point of the naive version: log(sigmoid) breaks down where the stable one does not.
    assert not np.isfinite(float(L.binary_cross_entropy_naive(jnp.asarray(EXTREME), EXTREME_Y)))


def test_softmax_ce_matches_numpy_including_extremes(rng):
    z = rng.normal(scale=3.0, size=(6, 4)).astype(np.float32)
    z[0] = [1e4, -1e4, 0.0, 1.0]  # confident and right
    z[1] = [1e4, -1e4, 0.0, 1.0]  # confident and wrong
    labels = np.array([0, 1, 2, 3, 0, 1])
    got = float(L.softmax_cross_entropy(jnp.asarray(z), jnp.asarray(labels)))
    assert np.isfinite(got)
    np.testing.assert_allclose(got, _np_softmax_ce(z, labels), rtol=1e-5)


def test_onehot_matches_integer_labels_and_probabilities(rng):
    z = rng.normal(size=(6, 4)).astype(np.float32)
    z[0, :2] = [1e4, -1e4]
    labels = np.array([0, 1, 2, 3, 0, 1])
    onehot = np.eye(4, dtype=np.float32)[labels]
    np.testing.assert_allclose(
        float(L.softmax_cross_entropy_onehot(z, onehot)),
        float(L.softmax_cross_entropy(z, labels)),
        rtol=1e-6,
    )
    probs = rng.dirichlet(np.ones(4), size=6).astype(np.float32)
    z64 = z.astype(np.float64)
    expected = np.mean(-np.sum(probs * scipy.special.log_softmax(z64, axis=1), axis=1))
    np.testing.assert_allclose(float(L.softmax_cross_entropy_onehot(z, probs)), expected, rtol=1e-5)


def test_accuracy():
    z = jnp.array([[2.0, 0.0, 1.0], [0.0, 1.0, 3.0], [0.1, 0.0, -1.0], [0.0, 5.0, 1.0]])
    np.testing.assert_allclose(float(L.accuracy(z, jnp.array([0, 2, 1, 1]))), 0.75, atol=1e-7)
    binary = jnp.array([[2.0], [-1.0], [0.5], [-3.0]])  # one logit column: predict logit > 0
    np.testing.assert_allclose(float(L.accuracy(binary, jnp.array([1, 0, 0, 0]))), 0.75, atol=1e-7)
    np.testing.assert_allclose(
        float(L.accuracy(binary[:, 0], jnp.array([1, 0, 1, 0]))), 1.0, atol=1e-7
    )


@pytest.mark.parametrize("name", list(L.LOSSES))
def test_jit_equals_eager(rng, name):
    z = jnp.asarray(rng.normal(size=(5, 3)), jnp.float32)
    y = {"softmax_cross_entropy": jnp.array([0, 1, 2, 0, 1]), "mse": z + 0.5}.get(name, z > 0)
    fn = L.get_loss(name)
    np.testing.assert_allclose(float(jax.jit(fn)(z, y)), float(fn(z, y)), rtol=1e-6)


def test_check_grads_float64(x64, rng):
    z = jnp.asarray(rng.normal(size=(4, 3)))
    t = jnp.asarray(rng.normal(size=(4, 3)))
    probs = jnp.asarray(rng.dirichlet(np.ones(3), size=4))
    labels = jnp.array([0, 2, 1, 2])
    bits = jnp.asarray(rng.integers(0, 2, size=(4, 3)), dtype=jnp.float64)

    def all_losses(z):  # one jitted function: a dozen compilations instead of hundreds
        return (
            L.mse(z, t),
            L.binary_cross_entropy_with_logits(z, bits),
            L.softmax_cross_entropy(z, labels),
            L.softmax_cross_entropy_onehot(z, probs),
        )

    check_grads(jax.jit(all_losses), (z,), order=2, modes=["fwd", "rev"])


def test_gradients_finite_at_extreme_logits():
    g = jax.jit(jax.grad(L.binary_cross_entropy_with_logits))(jnp.asarray(EXTREME), EXTREME_Y)
    assert np.all(np.isfinite(np.asarray(g)))
    g = jax.jit(jax.grad(L.softmax_cross_entropy))(jnp.array([[1e4, -1e4, 0.0]]), jnp.array([1]))
    np.testing.assert_allclose(np.asarray(g), [[1.0, -1.0, 0.0]], atol=1e-6)


def test_get_loss():
    assert L.get_loss("binary_cross_entropy") is L.binary_cross_entropy_with_logits
    with pytest.raises(ValueError, match=r"loss: expected one of 'binary_cross_entropy', 'mse', "):
        L.get_loss("hinge")


@pytest.mark.outside_annotations
def test_bad_dtypes():
    with pytest.raises(TypeError, match=r"logits: expected a floating-point array, got dtype int"):
        L.softmax_cross_entropy(jnp.ones((2, 3), dtype=int), jnp.array([0, 1]))
    with pytest.raises(
        TypeError, match=r"labels: expected a signed integer .*softmax_cross_entropy_onehot"
    ):
        L.softmax_cross_entropy(jnp.ones((2, 3)), jnp.array([0.0, 1.0]))
    with pytest.raises(TypeError, match=r"predictions: expected a floating-point array"):
        L.mse(jnp.array([True]), jnp.array([1.0]))
    with pytest.raises(TypeError, match=r"targets: expected .* got dtype bool"):
        L.mse(jnp.ones(2), jnp.array([True, False]))


@pytest.mark.outside_annotations
def test_bad_shapes():
    with pytest.raises(
        ValueError, match=r"targets: expected shape \(4, 1\) to match predictions, got \(4, 2\)"
    ):
        L.mse(jnp.ones((4, 1)), jnp.ones((4, 2)))
    with pytest.raises(ValueError, match=r"labels: expected shape \(3,\) to match logits"):
        L.binary_cross_entropy_with_logits(jnp.ones(3), jnp.ones(4))
    with pytest.raises(ValueError, match=r"labels: expected shape \(2,\) to match logits \(2, 3\)"):
        L.softmax_cross_entropy(jnp.ones((2, 3)), jnp.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"logits: expected a 2-D array \(batch, n_classes\)"):
        L.softmax_cross_entropy(jnp.ones(3), jnp.array([0]))
    with pytest.raises(ValueError, match=r"targets: expected shape \(2, 3\) to match logits"):
        L.softmax_cross_entropy_onehot(jnp.ones((2, 3)), jnp.ones((2, 4)))
    with pytest.raises(ValueError, match=r"labels: expected shape \(3,\) to match logits"):
        L.accuracy(jnp.ones((3, 4)), jnp.array([0, 1]))


@pytest.mark.outside_annotations
def test_bad_values():
    with pytest.raises(ValueError, match=r"logits: expected a non-empty array, got shape \(0, 3\)"):
        L.softmax_cross_entropy(jnp.ones((0, 3)), jnp.zeros(0, dtype=int))
    with pytest.raises(
        ValueError, match=r"labels: expected class ids in \[0, 2\] .*, got min 0, max 3"
    ):
        L.softmax_cross_entropy(jnp.ones((2, 3)), jnp.array([0, 3]))
    with pytest.raises(ValueError, match=r"labels: expected values in \[0, 1\], got min -1"):
        L.binary_cross_entropy_with_logits(jnp.ones(2), jnp.array([-1, 1]))
    with pytest.raises(ValueError, match=r"labels: expected finite values, got 1 NaN"):
        L.binary_cross_entropy_with_logits(jnp.ones(2), jnp.array([jnp.nan, 1.0]))
    with pytest.raises(ValueError, match=r"targets: expected finite values"):
        L.mse(jnp.ones(2), jnp.array([1.0, jnp.inf]))
    # Under jit the value checks are skipped (no concrete values), not crashed.
    out = jax.jit(L.binary_cross_entropy_with_logits)(jnp.ones(2), jnp.array([jnp.nan, 1.0]))
    assert np.isnan(float(out))


def test_binary_cross_entropy_gradient_is_sigmoid_minus_label_everywhere():
    # At z = 0 exactly, and for confident right answers, where cancellation used to bite.
    import jax

    from nnbook.losses import binary_cross_entropy_with_logits

    for z, y in [(0.0, 1.0), (0.0, 0.0), (10.0, 1.0), (-30.0, 0.0), (3.0, 0.0)]:
        g = jax.grad(
            lambda t, y=y: binary_cross_entropy_with_logits(t[None], jax.numpy.array([y]))
        )(z)
        assert abs(float(g) - (float(jax.nn.sigmoid(z)) - y)) < 1e-6, (z, y, float(g))
    loss = binary_cross_entropy_with_logits(jax.numpy.array([10.0]), jax.numpy.array([1.0]))
    assert abs(float(loss) - 4.5398899e-05) / 4.5398899e-05 < 1e-3
