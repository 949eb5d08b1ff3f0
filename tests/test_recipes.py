"""nnbook.recipes: the book's digit MLP (epochs by data size, initialization, training)."""

from types import SimpleNamespace

import jax
import numpy as np
import pytest

from nnbook import layers, mnist, optimizers, recipes, training
from nnbook.datasets import load_digits

# A small slice of the 8x8 digits keeps the smoke tests to a few seconds; one hidden
# width and one batch size, so that fit's compiled epoch is shared between tests.
N_SMALL, HIDDEN, BATCH = 400, (24,), 50


@pytest.fixture(scope="module")
def small_digits():
    d = load_digits()
    return SimpleNamespace(
        x_train=d.x_train[:N_SMALL], y_train=d.y_train[:N_SMALL], x_test=d.x_test, y_test=d.y_test
    )


@pytest.fixture(scope="module")
def trained(small_digits):
    return recipes.train_digit_mlp(
        jax.random.key(0), small_digits, hidden=HIDDEN, epochs=25, batch_size=BATCH
    )


def test_default_epochs():
    assert recipes.default_epochs(3500) == recipes.EXAMPLES_PER_RUN // 3500
    assert recipes.default_epochs(55_000) == 5  # the floor
    assert recipes.default_epochs(10) == 30  # the ceiling
    assert recipes.default_epochs(100, lo=2, hi=3) == 3
    with pytest.raises(ValueError, match="n_train: expected a positive integer"):
        recipes.default_epochs(0)
    with pytest.raises(ValueError, match="lo: expected lo <= hi"):
        recipes.default_epochs(100, lo=5, hi=4)


def test_init_digit_mlp_is_init_mlp_with_he_normal():
    key = jax.random.key(7)
    ours = recipes.init_digit_mlp(key, 64, hidden=HIDDEN)
    reference = layers.init_mlp(jax.random.fold_in(key, 0), (64, *HIDDEN, 10), init="he_normal")
    for a, b in zip(ours, reference, strict=True):
        np.testing.assert_array_equal(a.W, b.W)  # bit for bit
        np.testing.assert_array_equal(a.b, b.b)


def test_train_digit_mlp_learns(small_digits, trained):
    params, result = trained
    assert [layer.W.shape for layer in params] == [(64, 24), (24, 10)]
    assert params is result.params
    assert result.history.epoch_loss.shape == (25,)
    assert result.history.epoch_loss[-1] < 0.3 * result.history.epoch_loss[0]
    acc = training.evaluate(layers.mlp, params, small_digits.x_test, small_digits.y_test)
    assert acc["accuracy"] > 0.85, acc
    # it starts from init_digit_mlp(key): the first step's loss is that network's loss
    start = recipes.init_digit_mlp(jax.random.key(0), 64, hidden=HIDDEN)
    first = recipes.digit_mlp_loss(start, small_digits.x_train, small_digits.y_train)
    assert abs(float(first) - result.history.step_loss[0]) < 0.3


def test_train_digit_mlp_is_deterministic(small_digits, trained):
    again, _ = recipes.train_digit_mlp(
        jax.random.key(0), small_digits, hidden=HIDDEN, epochs=25, batch_size=BATCH
    )
    for a, b in zip(trained[0], again, strict=True):
        np.testing.assert_array_equal(a.W, b.W)
    other, _ = recipes.train_digit_mlp(
        jax.random.key(1), small_digits, hidden=HIDDEN, epochs=1, batch_size=BATCH
    )
    assert not np.allclose(other[0].W, trained[0][0].W)


def test_train_digit_mlp_other_optimizer(small_digits):
    opt = optimizers.momentum(0.05, beta=0.9)
    params, result = recipes.train_digit_mlp(
        jax.random.key(0), small_digits, hidden=HIDDEN, epochs=3, batch_size=BATCH, optimizer=opt
    )
    assert type(result.opt_state).__name__ == "MomentumState"
    assert result.history.epoch_loss[-1] < result.history.epoch_loss[0]


def test_train_digit_mlp_on_mnist_subset():
    data = mnist.load("mnist-5k")
    small = SimpleNamespace(x_train=data.x_train[:256], y_train=data.y_train[:256])
    params, result = recipes.train_digit_mlp(jax.random.key(0), small, hidden=(16,), epochs=1)
    assert params[0].W.shape == (784, 16)
    assert result.history.step_loss.shape == (256 // 64,)
    assert np.isfinite(result.history.step_loss).all()


@pytest.mark.outside_annotations
@pytest.mark.parametrize(
    ("change", "kwargs", "err", "match"),
    [
        ("no_y", {}, TypeError, "data: expected an object with x_train and y_train"),
        ("labels", {}, ValueError, r"data.y_train: expected digit labels in 0..9"),
        ("short_y", {}, ValueError, "data.y_train: expected 400 labels"),
        ("float_y", {}, TypeError, "data.y_train: expected a signed integer or unsigned"),
        ("flat_x", {}, ValueError, "data.x_train: expected a 2-D array"),
        (None, {"hidden": 16}, TypeError, "hidden: expected a sequence of layer widths"),
        (None, {"hidden": (16, 0)}, ValueError, r"hidden\[1\]: expected a positive integer"),
        (None, {"epochs": 0}, ValueError, "epochs: expected a positive integer"),
        (None, {"batch_size": 401}, ValueError, "batch_size: expected at most 400"),
        (None, {"learning_rate": -1.0}, ValueError, "learning_rate: expected a positive"),
        (None, {"learning_rate": "fast"}, ValueError, "learning_rate: expected a positive"),
        (None, {"optimizer": "adam"}, TypeError, r"optimizer: expected an \(init, update\)"),
    ],
)
def test_train_digit_mlp_bad_input(small_digits, change, kwargs, err, match):
    d = {"x_train": small_digits.x_train, "y_train": small_digits.y_train}
    if change == "no_y":
        del d["y_train"]
    elif change == "labels":
        d["y_train"] = d["y_train"] + 5
    elif change == "short_y":
        d["y_train"] = d["y_train"][:10]
    elif change == "float_y":
        d["y_train"] = d["y_train"].astype(np.float32)
    elif change == "flat_x":
        d["x_train"] = d["x_train"].ravel()
    with pytest.raises(err, match=match):
        recipes.train_digit_mlp(jax.random.key(0), SimpleNamespace(**d), **kwargs)
