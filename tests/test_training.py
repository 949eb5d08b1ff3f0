"""nnbook.training: the jitted step, fit() with lax.scan epochs, evaluate()."""

import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nnbook.datasets import load_digits
from nnbook.layers import Dense, init_mlp, mlp
from nnbook.losses import softmax_cross_entropy
from nnbook.optimizers import adam, apply_updates, momentum, sgd
from nnbook.training import (
    FitResult,
    History,
    epoch_batches,
    evaluate,
    fit,
    make_train_epochs,
    make_train_step,
)

# One loss and one optimizer object for the digits tests, so fit's cached epoch
# function compiles once for the whole module.
DIGITS_OPT = adam(3e-3)
DIGITS_EPOCHS, DIGITS_BATCH = 12, 64


def digits_loss(params, x, y):
    return softmax_cross_entropy(mlp(params, x), y)


def linear_loss(w, x, y):
    """Least squares for a (d, 1) weight matrix: the simplest model fit can train."""
    return jnp.mean((x @ w - y[:, None]) ** 2)


@pytest.fixture(scope="module")
def digits():
    return load_digits()


@pytest.fixture(scope="module")
def digits_fit(digits):
    params = init_mlp(jax.random.key(0), (64, 64, 10))
    start = time.perf_counter()
    result = fit(
        jax.random.key(1),
        params,
        digits_loss,
        DIGITS_OPT,
        digits.x_train,
        digits.y_train,
        epochs=DIGITS_EPOCHS,
        batch_size=DIGITS_BATCH,
        eval_data=(digits.x_test, digits.y_test),
        apply_fn=mlp,
    )
    return params, result, time.perf_counter() - start


@pytest.fixture(scope="module")
def line():
    """y = 2 x1 - x2 + noise, 40 examples."""
    kx, kn = jax.random.split(jax.random.key(3))
    x = jax.random.normal(kx, (40, 2))
    return x, x @ jnp.array([2.0, -1.0]) + 0.01 * jax.random.normal(kn, (40,))


def test_mlp_on_digits_reaches_95_percent_held_out(digits, digits_fit):
    _, result, seconds = digits_fit
    assert isinstance(result, FitResult) and isinstance(result.history, History)
    acc = result.history.eval_accuracy
    assert acc.shape == (DIGITS_EPOCHS,)
    assert acc[-1] >= 0.95, f"held-out accuracy {acc[-1]:.3f} after {seconds:.1f} s"
    # evaluate() on the final parameters agrees with the last history entry.
    final = evaluate(mlp, result.params, digits.x_test, digits.y_test)
    np.testing.assert_allclose(final["accuracy"], acc[-1], rtol=0, atol=1e-6)
    np.testing.assert_allclose(final["loss"], result.history.eval_loss[-1], rtol=1e-5)


def test_training_loss_falls_and_history_shapes(digits, digits_fit):
    _, result, _ = digits_fit
    h = result.history
    steps_per_epoch = len(digits.x_train) // DIGITS_BATCH  # the last partial batch is dropped
    assert h.step_loss.shape == (DIGITS_EPOCHS * steps_per_epoch,)
    assert h.step_loss.dtype == np.float32 and isinstance(h.step_loss, np.ndarray)
    np.testing.assert_allclose(
        h.epoch_loss, h.step_loss.reshape(DIGITS_EPOCHS, -1).mean(axis=1), rtol=1e-6
    )
    assert h.epoch_loss[-1] < 0.2 * h.epoch_loss[0]
    assert h.eval_loss[-1] < h.eval_loss[0]
    assert int(result.opt_state.count) == DIGITS_EPOCHS * steps_per_epoch


def test_fit_is_deterministic_and_keeps_callers_params(digits, digits_fit):
    params, first, _ = digits_fit
    assert not params[0].W.is_deleted()  # fit copied them before donating
    again = fit(
        jax.random.key(1), params, digits_loss, DIGITS_OPT, digits.x_train, digits.y_train,
        epochs=2, batch_size=DIGITS_BATCH,
    )  # fmt: skip
    # Same key, same data: the first two epochs repeat (same process, same core count).
    n = len(again.history.step_loss)
    np.testing.assert_allclose(again.history.step_loss, first.history.step_loss[:n], rtol=1e-6)
    other = fit(
        jax.random.key(2), params, digits_loss, DIGITS_OPT, digits.x_train, digits.y_train,
        epochs=2, batch_size=DIGITS_BATCH,
    )  # fmt: skip
    assert np.abs(other.history.step_loss - again.history.step_loss).max() > 1e-3


def test_epoch_is_compiled_once(line):
    x, y = line
    traces = []

    def counting_loss(w, x, y):
        traces.append(1)  # runs only while JAX traces, never in compiled code
        return linear_loss(w, x, y)

    opt = sgd(0.1)
    fit(jax.random.key(0), jnp.zeros((2, 1)), counting_loss, opt, x, y, epochs=4, batch_size=8)
    fit(jax.random.key(1), jnp.ones((2, 1)), counting_loss, opt, x, y, epochs=3, batch_size=8)
    assert len(traces) == 1


@pytest.mark.parametrize(
    "maker", [sgd, lambda lr: momentum(lr, beta=0.8), lambda lr: adam(lr, b1=0.8)],
    ids=["sgd", "momentum", "adam"],
)  # fmt: skip
def test_a_learning_rate_sweep_compiles_once_and_changes_no_bit(line, maker):
    """fit passes η in as data: one trace for three rates, each run equal to the
    program compiled with its η as a constant (make_train_epochs)."""
    x, y = line
    traces = []

    def counting_loss(w, x, y):
        traces.append(1)  # runs only while JAX traces, never in compiled code
        return linear_loss(w, x, y)

    w0 = jnp.zeros((2, 1))
    for lr in (0.01, 0.05, 0.2):
        result = fit(jax.random.key(3), w0, counting_loss, maker(lr), x, y, epochs=3,
                     batch_size=8)  # fmt: skip
        opt = maker(lr)
        w, _, losses = make_train_epochs(linear_loss, opt)(  # donates its params: a copy
            jnp.array(w0), opt.init(w0), x, y, jax.random.key(3), np.uint32(0), np.uint32(3),
            batch_size=8, per_call=3,
        )  # fmt: skip
        np.testing.assert_array_equal(result.history.step_loss, np.asarray(losses).reshape(-1))
        np.testing.assert_array_equal(result.params, w)
    assert len(traces) == 1


def test_models_trained_on_data_of_one_size_share_the_shuffling_program(line):
    """The shuffles are compiled apart from the model: once per (n, batch_size, per_call)."""
    from nnbook.training import epoch_plan

    x, y = line
    before = epoch_plan._cache_size()
    fit(
        jax.random.key(0), jnp.zeros((2, 1)), linear_loss, sgd(0.1), x, y, epochs=2, batch_size=13
    )  # batch_size 13: no other test uses it, so the first fit compiles the shuffles
    first = epoch_plan._cache_size()
    cubic = lambda w, x, y: jnp.mean((x**3 @ w - y[:, None]) ** 2)  # noqa: E731
    fit(jax.random.key(0), jnp.zeros((2, 1)), cubic, adam(0.1), x, y, epochs=3, batch_size=13)
    assert first == before + 1 and epoch_plan._cache_size() == first


def test_other_hyperparameters_and_optax_optimizers_get_their_own_program(line):
    x, y = line
    traces = []

    def counting_loss(w, x, y):
        traces.append(1)
        return linear_loss(w, x, y)

    w0 = jnp.zeros((2, 1))
    for opt in (momentum(0.1, beta=0.5), momentum(0.1, beta=0.9), momentum(0.2, beta=0.9)):
        fit(jax.random.key(0), w0, counting_loss, opt, x, y, epochs=2, batch_size=8)
    assert len(traces) == 2  # beta is part of the program; the learning rate is not
    optax = pytest.importorskip("optax")
    ours = fit(jax.random.key(0), w0, linear_loss, sgd(0.1), x, y, epochs=2, batch_size=8)
    theirs = fit(jax.random.key(0), w0, linear_loss, optax.sgd(0.1), x, y, epochs=2,
                 batch_size=8)  # fmt: skip
    np.testing.assert_array_equal(ours.params, theirs.params)


def test_make_train_epochs_is_the_program_fit_runs(line):
    x, y = line
    opt = adam(0.05)
    result = fit(jax.random.key(4), jnp.zeros((2, 1)), linear_loss, opt, x, y, epochs=3,
                 batch_size=8)  # fmt: skip
    run = make_train_epochs(linear_loss, opt)
    w, state, losses = run(
        jnp.zeros((2, 1)), opt.init(jnp.zeros((2, 1))), x, y, jax.random.key(4),
        np.uint32(0), np.uint32(3), batch_size=8, per_call=5,
    )  # fmt: skip
    assert losses.shape == (5, 40 // 8)
    assert np.isnan(losses[3:]).all()  # epochs 3 and 4 are past the last: skipped
    np.testing.assert_array_equal(result.history.step_loss, np.asarray(losses[:3]).reshape(-1))
    np.testing.assert_array_equal(result.params, w)  # the skipped epochs changed nothing
    np.testing.assert_array_equal(result.opt_state.count, state.count)


def test_make_train_epochs_continues_from_first(line):
    """Epochs 0-1 then 2-3 in two calls equal epochs 0-3 in one (the shuffles follow e)."""
    x, y = line
    opt = sgd(0.1)
    run = make_train_epochs(linear_loss, opt)
    args = (x, y, jax.random.key(2))
    w, s, first_two = run(jnp.zeros((2, 1)), opt.init(None), *args, np.uint32(0), np.uint32(4),
                          batch_size=8, per_call=2)  # fmt: skip
    w, s, last_two = run(w, s, *args, np.uint32(2), np.uint32(4), batch_size=8, per_call=2)
    w_all, _, all_four = run(jnp.zeros((2, 1)), opt.init(None), *args, np.uint32(0),
                             np.uint32(4), batch_size=8, per_call=4)  # fmt: skip
    np.testing.assert_allclose(np.concatenate([first_two, last_two]), all_four, rtol=1e-6)
    np.testing.assert_allclose(w, w_all, rtol=1e-6)


@pytest.mark.outside_annotations  # wrong types on purpose: our errors, not jaxtyping's
@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (("mse", sgd(0.1)), {}, "^loss_fn: expected a function"),
        ((linear_loss, 0.1), {}, "^optimizer: expected an"),
        ((linear_loss, sgd(0.1)), {"loss_takes_key": 1}, "^loss_takes_key: expected True or"),
    ],
)
def test_make_train_epochs_bad_input_names_the_argument(args, kwargs, match):
    with pytest.raises(TypeError, match=match):
        make_train_epochs(*args, **kwargs)


def test_full_batch_equals_a_loop_of_train_steps(line):
    x, y = line
    opt = sgd(0.1)
    result = fit(jax.random.key(0), jnp.zeros((2, 1)), linear_loss, opt, x, y, epochs=30)
    assert result.history.step_loss.shape == result.history.epoch_loss.shape == (30,)
    assert result.history.eval_loss is None and result.history.eval_accuracy is None
    assert result.history.step_loss[-1] < 1e-2 * result.history.step_loss[0]

    step = make_train_step(linear_loss, opt)
    w, state, losses = jnp.zeros((2, 1)), opt.init(None), []
    for _ in range(30):
        w, state, loss = step(w, state, x, y)
        losses.append(float(loss))
    np.testing.assert_allclose(result.history.step_loss, losses, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(result.params, w, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(w[:, 0], [2.0, -1.0], atol=0.05)


def test_resuming_with_opt_state_continues_the_run(line):
    """Full batch (order-free): 3 + 2 epochs, resumed with Adam's state, equal 5 at once."""
    x, y = line
    opt = adam(0.05)
    whole = fit(jax.random.key(0), jnp.zeros((2, 1)), linear_loss, opt, x, y, epochs=5)
    first = fit(jax.random.key(0), jnp.zeros((2, 1)), linear_loss, opt, x, y, epochs=3)
    rest = fit(
        jax.random.key(0), first.params, linear_loss, opt, x, y, epochs=2,
        opt_state=first.opt_state,
    )  # fmt: skip
    assert int(rest.opt_state.count) == 5
    np.testing.assert_allclose(rest.params, whole.params, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(
        np.concatenate([first.history.step_loss, rest.history.step_loss]),
        whole.history.step_loss,
        rtol=1e-6,
    )
    # Without the state Adam starts again (first step -lr * sign(g)): a different run.
    fresh = fit(jax.random.key(0), first.params, linear_loss, opt, x, y, epochs=2)
    assert not np.allclose(fresh.params, whole.params, rtol=1e-4)
    assert int(first.opt_state.count) == 3  # the state passed in was copied, not donated


def test_wrong_opt_state_is_named():
    args = dict(
        key=jax.random.key(0), params=jnp.zeros((2, 1)), loss_fn=linear_loss,
        optimizer=adam(0.1), x=jnp.ones((10, 2)), y=jnp.zeros(10), epochs=1,
    )  # fmt: skip
    with pytest.raises(
        ValueError, match="^opt_state: expected the tree structure of the state of this optimizer"
    ):
        fit(**args, opt_state=sgd(0.1).init(None))
    bad = adam(0.1).init(jnp.zeros((3, 1)))
    with pytest.raises(
        ValueError, match=r"^opt_state.*expected shape \(2, 1\) as in .*, got \(3, 1\)"
    ):
        fit(**args, opt_state=bad)


def test_nan_loss_names_the_step_and_epoch():
    """The loss turns NaN once w >= 4.5; sgd(1) on loss -w raises w by 1 per step."""

    def loss_fn(w, x, y):
        return -w + jnp.where(w >= 4.5, jnp.nan, 0.0) + 0.0 * jnp.mean(x)

    x, y = jnp.ones((10, 1)), jnp.zeros(10)
    # 10 examples, batches of 4: 2 steps per epoch (2 examples dropped), so step 5 is
    # the second step of epoch 2, counting both from 0.
    with pytest.raises(FloatingPointError, match=r"non-finite loss nan at step 5 \(epoch 2\)"):
        fit(jax.random.key(0), jnp.array(0.0), loss_fn, sgd(1.0), x, y, epochs=10, batch_size=4)


def test_diverging_learning_rate_raises(line):
    x, y = line
    with pytest.raises(FloatingPointError, match=r"non-finite loss (inf|nan) at step \d+"):
        fit(jax.random.key(0), jnp.zeros((2, 1)), linear_loss, sgd(10.0), x, y, epochs=300)


def test_train_step_donates_and_matches_an_unjitted_step():
    params = init_mlp(jax.random.key(0), (3, 2))  # one layer: few ops for the eager reference
    x = jax.random.normal(jax.random.key(1), (8, 3))
    y = jnp.array([0, 1, 1, 0, 1, 0, 0, 1])
    opt = adam(0.01)
    state = opt.init(params)

    # Reference: the same three stages, run eagerly, op by op.
    ref_loss, grads = jax.value_and_grad(digits_loss)(params, x, y)
    updates, ref_state = opt.update(grads, state, params)
    ref_params = apply_updates(params, updates)

    kept = make_train_step(digits_loss, opt, donate=False)
    p1, s1, loss1 = kept(params, state, x, y)
    assert not params[0].W.is_deleted() and not state.mu[0].W.is_deleted()

    donating = make_train_step(digits_loss, opt)
    p2, s2, loss2 = donating(params, state, x, y)
    assert params[0].W.is_deleted() and params[0].b.is_deleted() and state.mu[0].W.is_deleted()

    for p, s, loss in [(p1, s1, loss1), (p2, s2, loss2)]:
        np.testing.assert_allclose(loss, ref_loss, rtol=1e-6)
        got, want = jax.tree.leaves((p, s)), jax.tree.leaves((ref_params, ref_state))
        for a, b in zip(got, want, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_evaluate_softmax_and_binary():
    def linear(p, x):
        return x @ p.W + p.b

    x = jnp.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    multi = Dense(W=jnp.array([[2.0, 0.0], [0.0, 1.0]]), b=jnp.zeros(2))
    out = evaluate(linear, multi, x, jnp.array([0, 1, 1]))
    z = np.asarray(linear(multi, x))
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(out["loss"], -np.mean(log_p[[0, 1, 2], [0, 1, 1]]), rtol=1e-6)
    assert out["accuracy"] == pytest.approx(2 / 3, abs=1e-6)  # [1, 1] picks class 0

    binary = Dense(W=jnp.array([[1.0], [-2.0]]), b=jnp.array([0.5]))
    out = evaluate(linear, binary, x, jnp.array([1, 0, 1]))
    z = np.asarray(linear(binary, x))[:, 0]  # 1.5, -1.5, -0.5
    y = np.array([1.0, 0.0, 1.0])
    expected = np.mean(np.log1p(np.exp(-z)) + (1 - y) * z)  # -y log σ(z) - (1-y) log(1-σ(z))
    np.testing.assert_allclose(out["loss"], expected, rtol=1e-6)
    assert out["accuracy"] == pytest.approx(2 / 3, abs=1e-6)


BAD_INPUTS = [
    ({"y": jnp.zeros(9)}, ValueError, "^y: expected as many rows as x"),
    ({"x": jnp.zeros((0, 2)), "y": jnp.zeros(0)}, ValueError, "^x: expected a non-empty"),
    ({"x": jnp.full((10, 2), jnp.nan)}, ValueError, "^x: expected finite values"),
    ({"batch_size": 0}, ValueError, r"^batch_size: expected an integer in \[1, 10\]"),
    ({"batch_size": 11}, ValueError, r"^batch_size: expected an integer in \[1, 10\]"),
    ({"batch_size": 2.5}, TypeError, "^batch_size"),
    ({"epochs": 0}, ValueError, "^epochs: expected a positive integer"),
    ({"key": 0}, TypeError, "^key: expected"),
    ({"loss_fn": "mse"}, TypeError, "^loss_fn: expected"),
    ({"optimizer": 0.1}, TypeError, "^optimizer: expected"),
    ({"eval_data": (jnp.zeros((3, 2)), jnp.zeros(3))}, ValueError, "^apply_fn: expected"),
    (
        {"eval_data": (jnp.zeros((3, 2)), jnp.zeros(2)), "apply_fn": linear_loss},
        ValueError,
        r"^eval_data\[1\]: expected as many rows",
    ),
]


@pytest.mark.outside_annotations
@pytest.mark.parametrize("change, error, message", BAD_INPUTS)
def test_bad_inputs_raise_naming_the_argument(change, error, message):
    args = dict(
        key=jax.random.key(0), params=jnp.zeros((2, 1)), loss_fn=linear_loss, optimizer=sgd(0.1),
        x=jnp.ones((10, 2)), y=jnp.zeros(10), epochs=1, batch_size=5,
    )  # fmt: skip
    args.update(change)
    with pytest.raises(error, match=message):
        fit(**args)


@pytest.mark.outside_annotations
def test_evaluate_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="^y: expected as many rows"):
        evaluate(mlp, init_mlp(jax.random.key(0), (2, 3)), jnp.ones((4, 2)), jnp.zeros(3, int))


def _key_probe_loss(w, x, y, key):
    """Least squares plus a draw from the step's key: step_loss records every key used."""
    return 0.0 * linear_loss(w, x, y) + jax.random.uniform(key)


def test_loss_takes_key_gives_every_step_its_own_key(line):
    x, y = line
    run = fit(
        jax.random.key(5), jnp.zeros((2, 1)), _key_probe_loss, sgd(0.1), x, y, epochs=3,
        batch_size=8, loss_takes_key=True,
    )  # fmt: skip
    draws = run.history.step_loss  # 3 epochs x 5 steps
    assert draws.shape == (15,) and len(np.unique(draws)) == 15
    # The documented derivation: fold_in(fold_in(fold_in(key, 2**32 - 1), epoch), step).
    stream = jax.random.fold_in(jax.random.key(5), 2**32 - 1)
    want = [
        jax.random.uniform(jax.random.fold_in(jax.random.fold_in(stream, e), i))
        for e in range(3)
        for i in range(5)
    ]
    np.testing.assert_array_equal(draws, np.asarray(want, np.float32))
    again = fit(
        jax.random.key(5), jnp.zeros((2, 1)), _key_probe_loss, sgd(0.1), x, y, epochs=3,
        batch_size=8, loss_takes_key=True,
    )  # fmt: skip
    np.testing.assert_array_equal(again.history.step_loss, draws)  # deterministic given key


def test_loss_takes_key_leaves_the_shuffling_alone(line):
    """A loss that ignores its key trains bit for bit as the keyless path does."""
    x, y = line
    args = (jnp.zeros((2, 1)), None, adam(0.05), x, y)
    plain = fit(jax.random.key(7), *args[:1], linear_loss, *args[2:], epochs=4, batch_size=8)
    keyed = fit(
        jax.random.key(7), *args[:1], lambda w, x, y, key: linear_loss(w, x, y), *args[2:],
        epochs=4, batch_size=8, loss_takes_key=True,
    )  # fmt: skip
    np.testing.assert_array_equal(keyed.history.step_loss, plain.history.step_loss)
    np.testing.assert_array_equal(keyed.params, plain.params)


@pytest.mark.outside_annotations
def test_make_train_step_with_key_passes_it_to_the_loss():
    step = make_train_step(_key_probe_loss, sgd(0.1), loss_takes_key=True, donate=False)
    w, state, x, y = jnp.zeros((2, 1)), sgd(0.1).init(None), jnp.ones((3, 2)), jnp.zeros(3)
    _, _, loss = step(w, state, x, y, jax.random.key(3))
    assert float(loss) == float(jax.random.uniform(jax.random.key(3)))
    _, _, other = step(w, state, x, y, jax.random.key(4))
    assert float(other) != float(loss)
    with pytest.raises(TypeError):  # the keyed step needs its key
        step(w, state, x, y)
    with pytest.raises(TypeError, match="^loss_takes_key: expected True or False, got str 'yes'"):
        make_train_step(linear_loss, sgd(0.1), loss_takes_key="yes")


def test_epoch_batches_are_the_batches_fit_trains_on():
    key = jax.random.key(3)
    x = jax.random.normal(jax.random.key(4), (26, 3))
    y = x @ jnp.array([1.0, -2.0, 0.5])
    loss = lambda w, xb, yb: jnp.mean((xb @ w - yb) ** 2)  # noqa: E731
    w0, opt = jnp.zeros(3), sgd(0.1)
    result = fit(key, w0, loss, opt, x, y, epochs=3, batch_size=8)
    step = make_train_step(loss, opt, donate=False)
    w, state, losses = w0, opt.init(w0), []
    for epoch in range(3):
        batches = epoch_batches(key, epoch, 26, 8)
        assert batches.shape == (3, 8) and len(set(batches.ravel().tolist())) == 24
        for b in np.asarray(batches):
            w, state, step_loss = step(w, state, x[b], y[b])
            losses.append(float(step_loss))
    np.testing.assert_allclose(losses, np.ravel(result.history.step_loss), rtol=1e-5)
    np.testing.assert_allclose(w, result.params, rtol=1e-5)
