"""Tests of nnbook.distributed: two joined processes agree with one, and never hang.

Every launch kills and reaps its children under its own deadline; each test then
checks that no child survived (its pid is gone). The multi-process tests are slow
(several seconds: two fresh Pythons import JAX and compile).
"""

import os
import time

import jax
import numpy as np
import pytest

from nnbook import distributed, layers, losses, optimizers, training

WORKER = "nnbook.distributed:train_mlp_worker"
LOSS_TOL = 1e-5  # two processes vs one: only the summation order differs
PARAM_TOL = 1e-5
DEADLINE_S = 90.0  # generous for a busy 2-core machine; a healthy run takes a few seconds


def assert_reaped(results):
    for r in results:
        with pytest.raises(ProcessLookupError):
            os.kill(r.pid, 0)  # the pid is gone: the child was reaped


def loss_fn(params, x, y):
    return losses.softmax_cross_entropy(layers.mlp(params, x), y)


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 16)).astype(np.float32)
    y = (x[:, :3].sum(axis=1) > 0).astype(np.int32) + (x[:, 3] > 0.5).astype(np.int32)
    params = layers.init_mlp(jax.random.key(0), (16, 32, 3))
    path = str(tmp_path_factory.mktemp("job") / "job.npz")
    return distributed.save_mlp_job(path, params, x, y), params, x, y


# ---- fast: arguments and helpers ------------------------------------------------------


def test_free_port_is_bindable():
    import socket

    port = distributed.free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"target": "no_colon"}, "target"),
        ({"target": WORKER, "n_processes": 0}, "n_processes"),
        ({"target": WORKER, "n_processes": True}, "n_processes"),
        ({"target": WORKER, "deadline_s": 0}, "deadline_s"),
        ({"target": WORKER, "grace_s": -1}, "grace_s"),
        pytest.param(
            {"target": WORKER, "init_timeout_s": 0.5},
            "init_timeout_s",
            marks=pytest.mark.outside_annotations,  # a float where an int is annotated
        ),
        ({"target": WORKER, "heartbeat_timeout_s": 0}, "heartbeat_timeout_s"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        distributed.launch(**kwargs)


def test_kwargs_must_be_json():
    with pytest.raises(TypeError, match="kwargs"):
        distributed.launch(WORKER, kwargs={"data": object()})


def test_initialize_outside_launch_is_refused(monkeypatch):
    monkeypatch.delenv("NNBOOK_DIST_COORDINATOR", raising=False)
    with pytest.raises(RuntimeError, match="launch"):
        distributed.initialize_from_env()


# ---- slow: real processes -------------------------------------------------------------


@pytest.mark.slow
def test_failing_target_reports_its_error(tmp_path):
    start = time.monotonic()
    with pytest.raises(distributed.DistributedError) as info:
        distributed.launch(
            WORKER, 1, deadline_s=DEADLINE_S,
            kwargs={"data": str(tmp_path / "missing.npz"), "epochs": 1, "batch_size": 8,
                    "learning_rate": 0.1},
        )  # fmt: skip
    assert time.monotonic() - start < DEADLINE_S
    assert "process 0: FileNotFoundError" in str(info.value)
    (r,) = info.value.results
    assert r.returncode == 1 and not r.killed
    assert_reaped(info.value.results)


@pytest.mark.slow
def test_two_processes_equal_one(job):
    path, params, x, y = job
    out = distributed.launch(
        WORKER, 2, deadline_s=DEADLINE_S,
        kwargs={"data": path, "epochs": 3, "batch_size": 32, "learning_rate": 0.3},
    )  # fmt: skip
    assert_reaped(out)
    ref = training.fit(
        jax.random.key(0), params, loss_fn, optimizers.sgd(0.3), x, y, epochs=3, batch_size=32
    )
    r0, r1 = (r.result for r in out)
    assert len(r0["devices"]) == 2 and r0["devices"] == r1["devices"]
    assert r0["step_loss"] == r1["step_loss"]  # both processes hold the same replicated losses
    np.testing.assert_allclose(r0["step_loss"], ref.history.step_loss, atol=LOSS_TOL)
    for a, b in zip(r0["params"], jax.tree.leaves(ref.params), strict=True):
        np.testing.assert_allclose(np.asarray(a), b, atol=PARAM_TOL)
    assert r0["step_s"] > 0 and r0["allreduce_s"] > 0
    assert r0["n_floats"] == layers.count_params(params) + 1


@pytest.mark.slow
@pytest.mark.parametrize("victim", [1, 0])  # process 0 also hosts the coordinator
def test_killed_peer_fails_fast_with_a_clear_error(job, victim):
    path = job[0]
    start = time.monotonic()
    with pytest.raises(distributed.DistributedError) as info:
        distributed.launch(
            WORKER, 2, deadline_s=DEADLINE_S, grace_s=3.0,
            kwargs={"data": path, "epochs": 3, "batch_size": 32, "learning_rate": 0.3,
                    "fail": {"process": victim, "epoch": 1, "how": "die"}},
        )  # fmt: skip
    elapsed = time.monotonic() - start
    results = info.value.results
    assert_reaped(results)
    assert elapsed < DEADLINE_S
    message = str(info.value)
    assert f"process {victim}: died from SIGKILL" in message
    survivor = results[1 - victim]
    # the survivor either reports gloo's error itself or is stopped by JAX's health check
    # (SIGABRT) or by the launcher's grace period; it never runs on to the deadline
    assert survivor.error is not None and "deadline" not in survivor.error
    assert survivor.seconds < DEADLINE_S - 10
    if victim == 1:  # a dead worker: the coordinator's process sees gloo fail, catchably
        assert "Gloo" in survivor.error and survivor.returncode == 1, survivor.error


@pytest.mark.slow
def test_hung_peer_is_killed_at_the_deadline(job):
    """A peer that hangs but stays alive blocks the other with no error (and SIGTERM
    would be swallowed): only the launcher's deadline and SIGKILL end the run."""
    path = job[0]
    deadline = 25.0
    start = time.monotonic()
    with pytest.raises(distributed.DistributedError, match="deadline") as info:
        distributed.launch(
            WORKER, 2, deadline_s=deadline,
            kwargs={"data": path, "epochs": 3, "batch_size": 32, "learning_rate": 0.3,
                    "fail": {"process": 1, "epoch": 1, "how": "hang"}},
        )  # fmt: skip
    elapsed = time.monotonic() - start
    assert deadline <= elapsed < deadline + 10
    assert all(r.killed and r.returncode == -9 for r in info.value.results)
    assert_reaped(info.value.results)
