"""Tests of nnbook.parallel: data-parallel training equals one device (chapter 16).

The pytest process has one CPU device. Tests that need several devices run a script in
a fresh Python with ``JAX_NUM_CPU_DEVICES=4`` (the flag must be set before JAX starts,
and set in this process it would slow every other test by about a quarter). An abort
inside that child (XLA's rendezvous check) is then a failed test, not a crashed pytest.
"""

import json
import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nnbook import layers, losses, optimizers, parallel, training

N_DEVICES = 4
LOSS_TOL = 1e-5  # sharded vs one device: summation order differs, nothing else
PARAM_TOL = 1e-5


def run_on_simulated_devices(script: str, n_devices: int = N_DEVICES, timeout: float = 240):
    """Run ``script`` in a child with ``n_devices`` CPU devices; return its JSON stdout."""
    env = {**os.environ, "JAX_NUM_CPU_DEVICES": str(n_devices), "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, (
        f"child exited with {proc.returncode} (negative: killed by that signal)\n"
        f"{proc.stderr[-3000:]}"
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def loss_fn(params, x, y):
    return losses.softmax_cross_entropy(layers.mlp(params, x), y)


@pytest.fixture(scope="module")
def toy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 5)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int32) + (x[:, 1] > 0).astype(np.int32)
    params = layers.init_mlp(jax.random.key(0), (5, 8, 3))
    return params, x, y


# ---- one device, in this process ----------------------------------------------------


def test_data_mesh_is_automatic_and_named():
    mesh = parallel.data_mesh(axis_name="batch")
    assert mesh.axis_names == ("batch",)
    assert mesh.axis_types == (jax.sharding.AxisType.Auto,)
    assert mesh.size == jax.device_count()


def test_fit_data_parallel_on_one_device_equals_fit(toy):
    params, x, y = toy
    key = jax.random.key(3)
    for opt in (optimizers.sgd(0.2), optimizers.adam(0.01)):
        ref = training.fit(key, params, loss_fn, opt, x, y, epochs=3, batch_size=16)
        dp = parallel.fit_data_parallel(
            key, params, loss_fn, opt, x, y, epochs=3, batch_size=16, mesh=parallel.data_mesh()
        )
        np.testing.assert_allclose(dp.history.step_loss, ref.history.step_loss, atol=LOSS_TOL)
        np.testing.assert_allclose(dp.history.epoch_loss, ref.history.epoch_loss, atol=LOSS_TOL)
        for a, b in zip(jax.tree.leaves(dp.params), jax.tree.leaves(ref.params), strict=True):
            np.testing.assert_allclose(a, b, atol=PARAM_TOL)


def test_full_batch_matches_fit(toy):
    params, x, y = toy
    ref = training.fit(jax.random.key(0), params, loss_fn, optimizers.sgd(0.1), x, y, epochs=4)
    dp = parallel.fit_data_parallel(
        jax.random.key(0), params, loss_fn, optimizers.sgd(0.1), x, y,
        epochs=4, batch_size=len(x), mesh=parallel.data_mesh(),
    )  # fmt: skip
    np.testing.assert_allclose(dp.history.step_loss, ref.history.step_loss, atol=LOSS_TOL)


def test_non_finite_loss_names_the_step(toy):
    params, x, y = toy
    with pytest.raises(FloatingPointError, match=r"at step \d+ \(epoch \d+\)"):
        parallel.fit_data_parallel(
            jax.random.key(0), params, loss_fn, optimizers.sgd(1e30), x, y,
            epochs=5, batch_size=16, mesh=parallel.data_mesh(),
        )  # fmt: skip


def test_replicate_and_shard_batch_place_arrays():
    mesh = parallel.data_mesh()
    tree = parallel.replicate(mesh, {"w": jnp.arange(3.0), "b": np.zeros(2)})
    assert all(a.sharding.is_fully_replicated for a in jax.tree.leaves(tree))
    xs = parallel.shard_batch(mesh, np.arange(12.0).reshape(3, 4), axis=1)
    assert xs.sharding.spec == jax.sharding.PartitionSpec(None, "data")
    np.testing.assert_array_equal(xs, np.arange(12.0).reshape(3, 4))


def test_collectives_counts_instructions():
    text = (
        "%all-reduce.5 = (f32[64,64]{1,0}, f32[]) all-reduce(%dot.3, %r), channel_id=1\n"
        "%get-tuple-element = f32[64,64]{1,0} get-tuple-element(%all-reduce.5), index=0\n"
        "%cp = f32[8]{0} collective-permute-start(%x), source_target_pairs={{0,1}}\n"
    )
    assert parallel.collectives(text) == {"all-reduce": 1, "collective-permute": 1}
    assert parallel.collectives("%a = f32[2] add(%b, %c)") == {}
    assert parallel.all_reduce_operands(text) == [[("f32", (64, 64)), ("f32", ())]]
    assert parallel.all_reduce_operands("%p = pred[] all-reduce(%q)") == [[("pred", ())]]
    with pytest.raises(TypeError, match="compiled_text"):
        parallel.collectives(None)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 8])
def test_ring_schedule_is_a_correct_all_reduce(n):
    sched = parallel.ring_schedule(n)
    assert sched.holds.shape == (2 * n - 1, n, n, n)
    assert sched.phase.count("reduce-scatter") == sched.phase.count("all-gather") == n - 1
    assert sched.holds[-1].all()  # every device ends with every device's part of every chunk
    full = sched.holds[n - 1].all(axis=-1)  # after the reduce-scatter
    np.testing.assert_array_equal(full.sum(axis=1), np.ones(n))  # one finished chunk each
    for i in range(n):
        assert full[i, (i + 1) % n]
    # each device sends one chunk per step: 2(N-1) chunks of size M/N in all
    assert sched.sends.shape == (2 * (n - 1), n)
    counts = sched.holds.sum(axis=-1)  # contributions in each chunk never decrease
    assert (np.diff(counts, axis=0) >= 0).all()


def test_ring_all_reduce_equals_psum_in_process():
    spec = {
        "mesh": parallel.data_mesh(),
        "in_specs": jax.sharding.PartitionSpec("data"),
        "out_specs": jax.sharding.PartitionSpec("data"),
    }
    ring = jax.shard_map(lambda v: parallel.ring_all_reduce(v, "data"), **spec)
    psum = jax.shard_map(lambda v: jax.lax.psum(v, "data"), **spec)
    v = jnp.arange(float(jax.device_count() * 5)).reshape(-1, 5)
    np.testing.assert_allclose(ring(v), psum(v))


# ---- bad input ------------------------------------------------------------------------


@pytest.mark.outside_annotations
def test_bad_mesh_and_axis_name(toy):
    params, x, y = toy
    mesh = parallel.data_mesh()
    with pytest.raises(ValueError, match="axis_name.*'model'"):
        parallel.shard_batch(mesh, x, axis_name="model")
    with pytest.raises(ValueError, match="axis_name"):
        parallel.fit_data_parallel(
            jax.random.key(0), params, loss_fn, optimizers.sgd(0.1), x, y,
            epochs=1, batch_size=16, mesh=mesh, axis_name="batch",
        )  # fmt: skip
    with pytest.raises(TypeError, match="mesh"):
        parallel.shard_batch("data", x)
    with pytest.raises(TypeError, match="mesh"):
        parallel.replicate(None, params)
    with pytest.raises(TypeError, match="axis_name"):
        parallel.data_mesh(axis_name="")
    with pytest.raises(ValueError, match="devices"):
        parallel.data_mesh(devices=[])
    with pytest.raises(ValueError, match="devices"):
        parallel.data_mesh(devices=["cpu:0"])


def test_bad_batch_arguments(toy):
    params, x, y = toy
    mesh = parallel.data_mesh()
    with pytest.raises(ValueError, match="x: expected dimension 0"):
        parallel.shard_batch(mesh, np.zeros((0, 3)))
    with pytest.raises(ValueError, match="axis"):
        parallel.shard_batch(mesh, x, axis=2)
    fit = lambda **kw: parallel.fit_data_parallel(  # noqa: E731
        **{"key": jax.random.key(0), "params": params, "loss_fn": loss_fn,
           "optimizer": optimizers.sgd(0.1), "x": x, "y": y, "epochs": 1, "batch_size": 16,
           "mesh": mesh, **kw}
    )  # fmt: skip
    with pytest.raises(ValueError, match="batch_size.*at most len\\(x\\) = 96, got 97"):
        fit(batch_size=97)
    with pytest.raises(ValueError, match="batch_size"):
        fit(batch_size=0)
    with pytest.raises(TypeError, match="batch_size"):
        fit(batch_size=2.0)
    with pytest.raises(ValueError, match="epochs"):
        fit(epochs=0)
    with pytest.raises(ValueError, match="y: expected as many rows as x"):
        fit(y=y[:-1])
    with pytest.raises(TypeError, match="key"):
        fit(key=0)
    with pytest.raises(TypeError, match="loss_fn"):
        fit(loss_fn="mse")
    with pytest.raises(TypeError, match="optimizer"):
        fit(optimizer=0.1)
    with pytest.raises(ValueError, match="n_devices"):
        parallel.ring_schedule(0)


# ---- four simulated devices, in a child process ---------------------------------------

FOUR_DEVICES = """
    import json
    import jax, jax.numpy as jnp, numpy as np
    from jax.sharding import PartitionSpec as P
    from nnbook import datasets, layers, losses, optimizers, parallel, training

    assert jax.device_count() == 4, jax.devices()
    d = datasets.load_digits()
    x, y = d.x_train[:512], d.y_train[:512]
    key = jax.random.key(0)
    params = layers.init_mlp(jax.random.fold_in(key, 1), (64, 32, 10))
    loss_fn = lambda p, x, y: losses.softmax_cross_entropy(layers.mlp(p, x), y)
    mesh = parallel.data_mesh()
    out = {}
    for name, opt in [("sgd", optimizers.sgd(0.3)), ("adam", optimizers.adam(0.01))]:
        ref = training.fit(key, params, loss_fn, opt, x, y, epochs=4, batch_size=32)
        dp = parallel.fit_data_parallel(key, params, loss_fn, opt, x, y, epochs=4,
                                        batch_size=32, mesh=mesh)
        out[name] = {
            "steps": len(dp.history.step_loss),
            "loss_diff": float(np.abs(dp.history.step_loss - ref.history.step_loss).max()),
            "param_diff": max(float(np.abs(np.asarray(a) - np.asarray(b)).max())
                              for a, b in zip(jax.tree.leaves(dp.params),
                                              jax.tree.leaves(ref.params))),
            "replicated": all(a.sharding.is_fully_replicated
                              for a in jax.tree.leaves(dp.params)),
            "learned": float(dp.history.epoch_loss[-1] < 0.5 * dp.history.epoch_loss[0]),
        }
    # the compiled data-parallel step holds one all-reduce (gradients and loss together)
    step = training.make_train_step(loss_fn, optimizers.sgd(0.3), donate=False)
    xs, ys = parallel.shard_batch(mesh, x[:32]), parallel.shard_batch(mesh, y[:32])
    rep = parallel.replicate(mesh, params)
    text = step.lower(rep, optimizers.sgd(0.3).init(rep), xs, ys).compile().as_text()
    out["step_collectives"] = parallel.collectives(text)
    out["step_operands"] = parallel.all_reduce_operands(text)
    out["n_params"] = layers.count_params(params)
    # the hand-written ring equals psum, for a size that is not a multiple of 4
    spec = dict(mesh=mesh, in_specs=P("data"), out_specs=P("data"))
    ring = jax.jit(jax.shard_map(lambda v: parallel.ring_all_reduce(v, "data"), **spec))
    psum = jax.jit(jax.shard_map(lambda v: jax.lax.psum(v, "data"), **spec))
    v = jax.random.normal(key, (4 * 1203,))
    out["ring_diff"] = float(jnp.abs(ring(v) - psum(v)).max())
    out["ring_collectives"] = parallel.collectives(ring.lower(v).compile().as_text())
    # shard_map with its default checks already sums the gradients of replicated params
    g1 = jax.grad(loss_fn)(params, x[:32], y[:32])
    local = jax.shard_map(lambda p, x, y: jax.grad(loss_fn)(p, x, y), mesh=mesh,
                          in_specs=(P(), P("data"), P("data")), out_specs=P())
    g4 = jax.jit(local)(params, x[:32], y[:32])
    out["shard_map_grad_ratio"] = float(jnp.vdot(g4[0].W, g1[0].W) / jnp.vdot(g1[0].W, g1[0].W))
    try:
        parallel.fit_data_parallel(key, params, loss_fn, optimizers.sgd(0.3), x, y, epochs=1,
                                   batch_size=30, mesh=mesh)
    except ValueError as err:
        out["indivisible"] = str(err)
    try:
        parallel.shard_batch(mesh, x[:30])
    except ValueError as err:
        out["indivisible_x"] = str(err)
    print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def four_devices():
    return run_on_simulated_devices(FOUR_DEVICES)


@pytest.mark.slow
@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_sharded_training_equals_one_device(four_devices, opt):
    out = four_devices[opt]
    assert out["steps"] == 4 * (512 // 32)
    assert out["loss_diff"] < LOSS_TOL, out
    assert out["param_diff"] < PARAM_TOL, out
    assert out["replicated"] and out["learned"]


@pytest.mark.slow
def test_compiled_step_all_reduces_the_gradients_once(four_devices):
    # one all-reduce carries every gradient and the loss; the only other collective is
    # the loss's one-boolean check that every device's labels are valid
    ops = four_devices["step_operands"]
    floats = [o for o in ops if all(t == "f32" for t, _ in o)]
    assert len(floats) == 1
    assert sum(int(np.prod(s)) for _, s in floats[0]) == four_devices["n_params"] + 1
    assert all(o == [["pred", []]] for o in ops if o not in floats)
    assert set(four_devices["step_collectives"]) == {"all-reduce"}


@pytest.mark.slow
def test_ring_all_reduce_equals_psum(four_devices):
    assert four_devices["ring_diff"] < 1e-5
    assert four_devices["ring_collectives"] == {"collective-permute": 2 * (N_DEVICES - 1)}


@pytest.mark.slow
def test_shard_map_sums_replicated_gradients(four_devices):
    # the trap of chapter 16: averaging these again with pmean would apply N times the step
    assert four_devices["shard_map_grad_ratio"] == pytest.approx(N_DEVICES, rel=1e-4)


@pytest.mark.slow
def test_batch_not_divisible_by_devices(four_devices):
    assert "batch_size: expected a multiple of the 4 devices" in four_devices["indivisible"]
    assert "got 30" in four_devices["indivisible"]
    assert four_devices["indivisible_x"].startswith("x: expected dimension 0")


RENDEZVOUS_LOOP = """
    import json
    import jax, numpy as np
    from nnbook import layers, losses, optimizers, parallel

    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 8)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int32)
    params = layers.init_mlp(jax.random.key(0), (8, 16, 2))
    loss_fn = lambda p, x, y: losses.softmax_cross_entropy(layers.mlp(p, x), y)
    run = parallel.fit_data_parallel(jax.random.key(1), params, loss_fn, optimizers.sgd(0.1),
                                     x, y, epochs=EPOCHS, batch_size=16,
                                     mesh=parallel.data_mesh())
    print(json.dumps({"steps": len(run.history.step_loss)}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("n_devices", [2, 4])
def test_many_dispatches_never_abort(n_devices):
    """The rule of fit_data_parallel (one scanned epoch in flight at a time) survives
    many dispatches. Without it, 1,000 unwaited dispatches of a sharded step aborted
    every run on this JAX version ("Expected N threads to join the rendezvous")."""
    epochs = 400  # 400 dispatches of an 8-step epoch: 3,200 all-reduces
    for _ in range(2):  # repeated runs: the failure it guards against is intermittent
        out = run_on_simulated_devices(
            RENDEZVOUS_LOOP.replace("EPOCHS", str(epochs)), n_devices, timeout=300
        )
        assert out["steps"] == epochs * 8


def test_plot_ring_step_draws_counts_and_refuses_bad_steps():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nnbook.plotting.parallel import plot_ring_step

    sched = parallel.ring_schedule(4)
    fig, ax = plt.subplots()
    try:
        plot_ring_step(ax, sched, 3)
        texts = sorted(int(t.get_text()) for t in ax.texts)
        assert texts == sorted(sched.holds[3].sum(-1).ravel().tolist())
        assert ax.get_title() == "reduce 3" and len(ax.patches) == 4  # one received per device
        plot_ring_step(ax, sched, 6)
        assert ax.get_title() == "gather 3"
        with pytest.raises(ValueError, match="step"):
            plot_ring_step(ax, sched, 7)
        with pytest.raises(TypeError, match="step"):
            plot_ring_step(ax, sched, 1.0)
    finally:
        plt.close(fig)
