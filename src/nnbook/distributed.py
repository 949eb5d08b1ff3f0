"""Several JAX processes joined by ``jax.distributed``, started and stopped safely (chapter 16).

:func:`launch` starts N Python processes on this machine, each running
``python -m nnbook.distributed TARGET``: the child joins the others through
``jax.distributed.initialize`` (process 0 hosts the coordinator on a free port of
127.0.0.1, CPU collectives go through gloo), calls the function ``TARGET`` and prints its
JSON result. The launcher never hangs, whatever the children do:

* short initialization and heartbeat time-outs, so JAX itself gives up early;
* each child runs in its own process group and is stopped with SIGKILL, which
  cannot be swallowed (a gloo process blocked in a collective ignores SIGTERM);
* a deadline for the whole run, and a short grace period after the first child
  fails, after which every child still running is killed; all are reaped in a
  ``finally`` block, so even an interrupted launch leaves no process behind.

On a cluster the launcher is the cluster's (Slurm, Kubernetes, a TPU pod), the
coordinator address is host 0's network address, and the collectives are NCCL or the
TPU interconnect; :func:`train_mlp_worker`, the chapter's worker, does not change.
"""

import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import IO, Any, NamedTuple

import numpy as np

__all__ = [
    "DistributedError",
    "ProcessResult",
    "free_port",
    "initialize_from_env",
    "launch",
    "save_mlp_job",
    "train_mlp_worker",
]

_ENV = "NNBOOK_DIST_"  # prefix of the variables a child reads
_RESULT, _ERROR = "NNBOOK_RESULT ", "NNBOOK_ERROR "  # tags of the child's last stdout line


class ProcessResult(NamedTuple):
    """How one child process ended."""

    process_id: int
    pid: int  # the operating system's process id (gone by the time this is returned)
    returncode: int  # 0: success; > 0: failed; < 0: killed by that signal number
    result: Any  # the target's return value (decoded JSON), None if it did not finish
    error: str | None  # what went wrong, in one line; None on success
    seconds: float  # from the start of the launch until the process ended
    killed: bool  # True if the launcher had to kill it
    stdout: str
    stderr: str


class DistributedError(RuntimeError):
    """A multi-process run failed; ``results`` says how each process ended."""

    def __init__(self, message: str, results: list[ProcessResult]):
        super().__init__(message)
        self.results = results


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now (the OS picks it).

    Examples:
        >>> 1024 <= free_port() <= 65535
        True
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _positive(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"{name}: expected a positive number of seconds, got {value!r}")
    return float(value)


def _resolve(target: str) -> Callable:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def _describe_end(rc: int, killed: str | None, error: str | None) -> str | None:
    if killed:
        return f"still running {killed}, killed with SIGKILL"
    if rc < 0:
        return f"died from {signal.Signals(-rc).name}"
    if rc != 0:
        return error or f"exited with status {rc}"
    return None


def launch(
    target: str,
    n_processes: int = 2,
    *,
    kwargs: dict | None = None,
    deadline_s: float | int = 60.0,
    grace_s: float | int = 3.0,
    init_timeout_s: int = 10,
    heartbeat_timeout_s: int = 10,
    host: str = "127.0.0.1",
) -> list[ProcessResult]:
    """Run ``target(**kwargs)`` in ``n_processes`` joined JAX processes; kill all on trouble.

    Args:
        target: ``"package.module:function"``, importable by the children; it returns
            something JSON can encode.
        n_processes: number of processes, ``>= 1``; process 0 hosts the coordinator.
        kwargs: keyword arguments for ``target`` (JSON-encodable), the same for all.
        deadline_s: the whole run's limit; any process still running then is killed.
        grace_s: after a process fails, how long the others may take to end by
            themselves (and report their own error) before they are killed.
        init_timeout_s: ``jax.distributed.initialize``'s ``initialization_timeout``.
        heartbeat_timeout_s: after how long without heartbeats a process counts as dead.
        host: the coordinator's address (127.0.0.1: all processes on this machine).

    Returns:
        One :class:`ProcessResult` per process, in process order, when all succeeded.

    Raises:
        DistributedError: if any process failed, died or passed the deadline; its
            message names each process's fate, and ``.results`` holds them. Every
            child has been killed and reaped before it is raised.

    Examples:
        >>> [r.result for r in launch("nnbook.distributed:_count_devices", 1, deadline_s=60)]
        [[0, 1]]
    """
    if not isinstance(target, str) or ":" not in target:
        raise ValueError(f"target: expected 'package.module:function', got {target!r}")
    if isinstance(n_processes, bool) or not isinstance(n_processes, int) or n_processes < 1:
        raise ValueError(f"n_processes: expected an integer >= 1, got {n_processes!r}")
    deadline_s, grace_s = _positive("deadline_s", deadline_s), _positive("grace_s", grace_s)
    for name, value in [
        ("init_timeout_s", init_timeout_s),
        ("heartbeat_timeout_s", heartbeat_timeout_s),
    ]:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name}: expected an integer number of seconds >= 1, got {value!r}")
    try:
        payload = json.dumps(kwargs or {})
    except TypeError as err:
        raise TypeError(f"kwargs: expected JSON-encodable values ({err})") from None

    port = free_port(host)
    env = dict(os.environ)
    env.update(
        {
            f"{_ENV}COORDINATOR": f"{host}:{port}",
            f"{_ENV}NUM_PROCESSES": str(n_processes),
            f"{_ENV}INIT_TIMEOUT": str(init_timeout_s),
            f"{_ENV}HEARTBEAT_TIMEOUT": str(heartbeat_timeout_s),
            f"{_ENV}KWARGS": payload,
            "JAX_PLATFORMS": env.get("JAX_PLATFORMS", "cpu"),  # one machine: CPU devices
        }
    )
    for flag in ("JAX_NUM_CPU_DEVICES",):  # one local device per process
        env.pop(flag, None)
    logs: list[tuple[IO[bytes], IO[bytes]]] = []  # (stdout, stderr) file of each process
    procs: list[subprocess.Popen] = []
    ended: dict[int, float] = {}  # process -> seconds from the launch until it ended
    killed: set[int] = set()
    why = "when the launch was interrupted"
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="nnbook-dist-") as tmp:
        try:
            for i in range(n_processes):
                out_file = open(os.path.join(tmp, f"{i}.out"), "w+b")  # no pipe can fill up
                err_file = open(os.path.join(tmp, f"{i}.err"), "w+b")
                logs.append((out_file, err_file))
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "nnbook.distributed", target],
                        env={**env, f"{_ENV}PROCESS_ID": str(i)},
                        stdout=out_file,
                        stderr=err_file,
                        stdin=subprocess.DEVNULL,
                        start_new_session=True,  # own process group
                    )
                )
            first_failure = None
            while len(ended) < n_processes:
                now = time.monotonic() - start
                for i, p in enumerate(procs):
                    if i not in ended and p.poll() is not None:
                        ended[i] = now
                        if p.returncode != 0 and first_failure is None:
                            first_failure = now
                if now >= deadline_s:
                    why = f"at the {deadline_s:g} s deadline"
                    break
                if first_failure is not None and now - first_failure >= grace_s:
                    why = f"{grace_s:g} s after another process failed"
                    break
                time.sleep(0.02)
        finally:
            for i, p in enumerate(procs):  # not yet reaped, so the pid is still ours
                if p.poll() is None:
                    try:
                        os.killpg(p.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    killed.add(i)
            for i, p in enumerate(procs):
                p.wait()
                ended.setdefault(i, time.monotonic() - start)
        results = []
        for i, (p, files) in enumerate(zip(procs, logs, strict=True)):
            for f in files:
                f.seek(0)
            stdout, stderr = (f.read().decode(errors="replace") for f in files)
            for f in files:
                f.close()
            result, error = None, None
            for line in stdout.splitlines():
                if line.startswith(_RESULT):
                    result = json.loads(line[len(_RESULT) :])
                elif line.startswith(_ERROR):
                    error = json.loads(line[len(_ERROR) :])
            results.append(
                ProcessResult(
                    i,
                    p.pid,
                    p.returncode,
                    result,
                    _describe_end(p.returncode, why if i in killed else None, error),
                    ended[i],
                    i in killed,
                    stdout,
                    stderr,
                )
            )
    failed = [r for r in results if r.error is not None]
    if failed:
        fates = "; ".join(
            f"process {r.process_id}: {r.error} (after {r.seconds:.1f} s)"
            for r in sorted(failed, key=lambda r: (r.killed, r.returncode >= 0, r.seconds))
        )
        raise DistributedError(
            f"{len(failed)} of {n_processes} processes failed: {fates}. All {n_processes} "
            f"processes were stopped and reaped {time.monotonic() - start:.1f} s after the "
            f"launch (deadline {deadline_s:g} s).",
            results,
        )
    return results


def initialize_from_env() -> tuple[int, int]:
    """Join the other processes of a :func:`launch` (call before any other JAX operation).

    Returns:
        ``(process_id, n_processes)``.
    """
    import jax

    get = os.environ.get
    if f"{_ENV}COORDINATOR" not in os.environ:
        raise RuntimeError(f"{_ENV}COORDINATOR is not set: start this process with launch()")
    pid, n = int(get(f"{_ENV}PROCESS_ID", "0")), int(get(f"{_ENV}NUM_PROCESSES", "1"))
    jax.config.update("jax_cpu_collectives_implementation", "gloo")  # CPU collectives over TCP
    jax.distributed.initialize(
        coordinator_address=get(f"{_ENV}COORDINATOR"),
        num_processes=n,
        process_id=pid,
        initialization_timeout=int(get(f"{_ENV}INIT_TIMEOUT", "10")),
        heartbeat_timeout_seconds=int(get(f"{_ENV}HEARTBEAT_TIMEOUT", "10")),
        shutdown_timeout_seconds=int(get(f"{_ENV}HEARTBEAT_TIMEOUT", "10")),
    )
    return pid, n


def _count_devices() -> list[int]:
    """A tiny target for tests: this process's index and the global device count."""
    import jax

    return [jax.process_index(), jax.device_count()]


def save_mlp_job(path: str, params: Any, x: Any, y: Any) -> str:
    """Write an MLP's parameters and its training data to ``path`` (.npz) for the workers.

    Examples:
        >>> import jax, os, tempfile
        >>> from nnbook.layers import init_mlp
        >>> f = save_mlp_job(os.path.join(tempfile.mkdtemp(), "job.npz"),
        ...                  init_mlp(jax.random.key(0), (4, 3, 2)), np.zeros((8, 4)), np.zeros(8))
        >>> sorted(np.load(f))
        ['W0', 'W1', 'b0', 'b1', 'x', 'y']
    """
    arrays = {"x": np.asarray(x, np.float32), "y": np.asarray(y, np.int32)}
    for k, layer in enumerate(params):
        arrays[f"W{k}"], arrays[f"b{k}"] = np.asarray(layer.W), np.asarray(layer.b)
    # allow_pickle is numpy's default, spelled out: else mypy matches **arrays against it.
    np.savez(path, allow_pickle=True, **arrays)
    return path


def train_mlp_worker(
    data: str,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int = 0,
    fail: dict | None = None,
) -> dict:
    """The chapter's worker: data-parallel SGD of an MLP over every process's devices.

    Every process loads the same job (:func:`save_mlp_job`), builds one mesh over all
    devices of all processes and calls :func:`nnbook.parallel.fit_data_parallel`, then
    times one training step and one all-reduce of the gradient's size.

    Args:
        data: path of the ``.npz`` job.
        epochs, batch_size, learning_rate: as for ``fit_data_parallel`` with ``sgd``.
        seed: ``jax.random.key(seed)`` shuffles, as in ``training.fit``.
        fail: for demonstrations: ``{"process": i, "epoch": e, "how": "die" | "hang"}``
            makes process i kill itself with SIGKILL (or sleep forever) before epoch e.

    Returns:
        ``dict(step_loss, params, devices, step_s, allreduce_s, n_floats)``.
    """
    import jax
    import jax.numpy as jnp
    from jax.sharding import NamedSharding, PartitionSpec

    from nnbook import layers, losses, optimizers, parallel, training
    from nnbook.book import timeit

    job = np.load(data)
    n_layers = sum(k.startswith("W") for k in job.files)
    params = tuple(layers.Dense(job[f"W{k}"], job[f"b{k}"]) for k in range(n_layers))
    mesh = parallel.data_mesh()  # every device of every process
    opt = optimizers.sgd(learning_rate)

    def loss_fn(p, x, y):
        return losses.softmax_cross_entropy(layers.mlp(p, x), y)

    def train(p, epochs, key):
        return parallel.fit_data_parallel(
            key,
            p,
            loss_fn,
            opt,
            job["x"],
            job["y"],
            epochs=epochs,
            batch_size=batch_size,
            mesh=mesh,
        )

    key = jax.random.key(seed)
    if fail is not None and jax.process_index() == fail["process"]:
        if fail["epoch"] > 0:
            params = train(params, fail["epoch"], key).params  # the first epochs, together
        if fail["how"] == "hang":
            time.sleep(10**6)  # alive, heartbeating, but never joining the next all-reduce
        os.kill(os.getpid(), signal.SIGKILL)  # a sudden death: no clean-up, no message
    run = train(params, epochs, key)
    # timings, each call waited for: one training step, and one all-reduce of as many
    # floats as the step's own (the gradients and the loss)
    step = training.make_train_step(loss_fn, opt, donate=False)
    xb = parallel.shard_batch(mesh, job["x"][:batch_size])
    yb = parallel.shard_batch(mesh, job["y"][:batch_size])
    n_floats = sum(int(np.size(a)) for a in jax.tree.leaves(params)) + 1
    per_device = parallel.shard_batch(mesh, np.ones((mesh.size, n_floats), np.float32))
    allreduce = jax.jit(
        lambda g: jnp.sum(g, axis=0), out_shardings=NamedSharding(mesh, PartitionSpec())
    )
    return {
        "step_loss": run.history.step_loss.tolist(),
        "params": [np.asarray(a).tolist() for a in jax.tree.leaves(run.params)],
        "devices": [str(d) for d in jax.devices()],
        "step_s": min(timeit(step, run.params, run.opt_state, xb, yb, repeats=30)["times"]),
        "allreduce_s": min(timeit(allreduce, per_device, repeats=30)["times"]),
        "n_floats": n_floats,
    }


def _main(argv: list[str]) -> None:
    """Child process: join the others, run the target, print its result, exit at once."""
    initialize_from_env()
    try:
        out = _resolve(argv[1])(**json.loads(os.environ.get(f"{_ENV}KWARGS", "{}")))
        print(_RESULT + json.dumps(out), flush=True)
    except BaseException as err:  # report in one line, then leave without the exit barrier
        first = (str(err).strip().splitlines() or [""])[0][:400]
        print(_ERROR + json.dumps(f"{type(err).__name__}: {first}"), flush=True)
        sys.stderr.flush()
        os._exit(1)  # a dead peer would make a normal exit wait for the heartbeat time-out
    import jax

    jax.distributed.shutdown()  # all processes meet here, then leave together
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    _main(sys.argv)
