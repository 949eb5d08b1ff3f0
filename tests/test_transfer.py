"""Tests for nnbook.transfer (chapter 17)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nnbook import layers, training, transfer


@pytest.fixture(scope="module")
def toy():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 20).astype(np.int32)
    x = rng.normal(size=(60, 6)).astype(np.float32) + y[:, None]
    return jnp.asarray(x), y


def test_subset_is_stratified_deterministic_and_nested(toy):
    _, y = toy
    key = jax.random.key(3)
    a = transfer.stratified_subset(key, y, 5)
    b = transfer.stratified_subset(key, y, 5)
    np.testing.assert_array_equal(a, b)
    assert np.bincount(y[a]).tolist() == [5, 5, 5]
    assert len(np.unique(a)) == 15 and np.all(np.diff(a) > 0)
    bigger = transfer.stratified_subset(key, y, 8)
    assert set(a) <= set(bigger)
    other = transfer.stratified_subset(jax.random.key(4), y, 5)
    assert not np.array_equal(a, other)


def test_subset_classes(toy):
    _, y = toy
    idx = transfer.stratified_subset(jax.random.key(0), y, 4, classes=(2, 0))
    assert sorted(np.unique(y[idx]).tolist()) == [0, 2]
    assert np.bincount(y[idx], minlength=3).tolist() == [4, 0, 4]


def test_relabel():
    np.testing.assert_array_equal(transfer.relabel(np.array([7, 5, 9]), (5, 6, 7, 8, 9)), [2, 0, 4])


def test_extract_features_matches_numpy(toy):
    x, _ = toy
    layer = layers.init_dense(jax.random.key(1), 6, 4)
    expected = np.maximum(np.asarray(x) @ np.asarray(layer.W) + np.asarray(layer.b), 0)
    np.testing.assert_allclose(transfer.extract_features(layer, x), expected, rtol=1e-5, atol=1e-6)


def test_frozen_layer_unchanged_and_head_shapes(toy):
    x, y = toy
    feat = layers.init_dense(jax.random.key(1), 6, 8)
    before = jax.tree.map(np.array, feat)
    params, result = transfer.freeze_and_retrain(jax.random.key(0), feat, x, y, 3, steps=40)
    for a, b in zip(jax.tree.leaves(params.features), jax.tree.leaves(before), strict=True):
        np.testing.assert_array_equal(np.asarray(a), b)
    assert params.head.W.shape == (8, 3) and params.head.b.shape == (3,)
    assert result.params.W.shape == (8, 3)
    assert transfer.transfer_logits(params, x).shape == (60, 3)
    assert result.history.step_loss.shape[0] >= 40
    assert float(result.history.step_loss[-5:].mean()) < float(result.history.step_loss[:5].mean())


def test_head_gradient_does_not_touch_features(toy):
    x, y = toy
    feat = layers.init_dense(jax.random.key(1), 6, 8)
    head = layers.init_dense(jax.random.key(2), 8, 3)

    def loss(p):
        return transfer._head_loss(p.head, transfer.extract_features(p.features, x), y)

    g = jax.grad(loss)(transfer.TransferParams(feat, head))
    assert float(jnp.abs(g.features.W).sum()) > 0  # the full network would move it ...
    p, _ = transfer.freeze_and_retrain(jax.random.key(0), feat, x, y, 3, steps=10)
    assert p.features is feat  # ... freeze_and_retrain never hands it to the optimizer


def test_train_from_scratch_learns(toy):
    x, y = toy
    params, _ = transfer.train_from_scratch(jax.random.key(0), x, y, 3, hidden=16, steps=60)
    assert [layer.W.shape for layer in params] == [(6, 16), (16, 3)]
    assert training.evaluate(layers.mlp, params, x, y)["accuracy"] > 0.6


def test_same_key_same_run(toy):
    x, y = toy
    feat = layers.init_dense(jax.random.key(1), 6, 8)
    p1, _ = transfer.freeze_and_retrain(jax.random.key(5), feat, x, y, 3, steps=20)
    p2, _ = transfer.freeze_and_retrain(jax.random.key(5), feat, x, y, 3, steps=20)
    np.testing.assert_array_equal(np.asarray(p1.head.W), np.asarray(p2.head.W))


@pytest.mark.outside_annotations
def test_bad_input(toy):
    x, y = toy
    key = jax.random.key(0)
    feat = layers.init_dense(jax.random.key(1), 6, 8)
    with pytest.raises(ValueError, match="per_class"):
        transfer.stratified_subset(key, y, 21)
    with pytest.raises(ValueError, match="per_class"):
        transfer.stratified_subset(key, y, 0)
    with pytest.raises(TypeError, match="key"):
        transfer.stratified_subset(0, y, 2)
    with pytest.raises(TypeError, match="classes"):
        transfer.stratified_subset(key, y, 2, classes=3)
    with pytest.raises(ValueError, match="classes"):
        transfer.stratified_subset(key, y, 2, classes=(1, 1))
    with pytest.raises(TypeError, match="y"):
        transfer.stratified_subset(key, y.astype(np.float32), 2)
    with pytest.raises(ValueError, match="y"):
        transfer.relabel(np.array([1, 2]), (1,))
    with pytest.raises(TypeError, match="layer"):
        transfer.extract_features("W", x)
    with pytest.raises(ValueError, match="x"):
        transfer.extract_features(feat, x[:, :5])
    with pytest.raises(ValueError, match="x"):
        transfer.extract_features(feat, x[0])
    with pytest.raises(ValueError, match="y"):
        transfer.freeze_and_retrain(key, feat, x, y[:10], 3)
    with pytest.raises(ValueError, match="n_classes"):
        transfer.freeze_and_retrain(key, feat, x, y, 2)
    with pytest.raises(ValueError, match="steps"):
        transfer.freeze_and_retrain(key, feat, x, y, 3, steps=0)
    with pytest.raises(ValueError, match="learning_rate"):
        transfer.freeze_and_retrain(key, feat, x, y, 3, learning_rate=-1.0)
    with pytest.raises(ValueError, match="hidden"):
        transfer.train_from_scratch(key, x, y, 3, hidden=0)
    with pytest.raises(TypeError, match="params"):
        transfer.transfer_logits((feat, feat), x)


def test_fine_tune_starts_from_the_given_layer(toy):
    x, y = toy
    feat = layers.init_dense(jax.random.key(1), 6, 16)
    params, _ = transfer.train_from_scratch(
        jax.random.key(0), x, y, 3, hidden=16, steps=10, first_layer=feat
    )
    assert params[0].W.shape == (6, 16)
    assert not np.array_equal(np.asarray(params[0].W), np.asarray(feat.W))  # trained further
    with pytest.raises(ValueError, match="first_layer"):
        transfer.train_from_scratch(jax.random.key(0), x, y, 3, hidden=8, first_layer=feat)
    with pytest.raises(TypeError, match="first_layer"):
        transfer.train_from_scratch(jax.random.key(0), x, y, 3, first_layer="W")
