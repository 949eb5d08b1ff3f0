"""nnbook.optimizers against optax, step by step, on a quadratic and on Rosenbrock."""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from nnbook.optimizers import (
    AdamState,
    MomentumState,
    SGDState,
    adam,
    apply_updates,
    momentum,
    sgd,
)

# Same formulas, different operation order inside XLA: in float32 the two trajectories
# drift apart by rounding error, amplified by the gradient (about 1e-5 relative after
# 60 steps); in float64 they agree to about 1e-13. Both tolerances are checked.
TOLERANCES = {"float32": (1e-4, 1e-5), "float64": (1e-10, 1e-12)}
N_STEPS = 60


class Layer(NamedTuple):
    W: jax.Array
    b: jax.Array


def quadratic(params):
    """A badly conditioned convex bowl over a tuple of NamedTuples (a tiny 'network')."""
    (layer,) = params
    scales = jnp.array([[1.0, 10.0], [0.5, 3.0]])
    return 0.5 * jnp.sum(scales * (layer.W - 1.0) ** 2) + jnp.sum((layer.b + 2.0) ** 2)


def quadratic_start():
    return (Layer(W=jnp.array([[0.0, 2.0], [-1.0, 0.5]]), b=jnp.array([0.3, -0.7])),)


def rosenbrock(params):
    """Rosenbrock's banana valley, minimum at (1, 1)."""
    x, y = params[0], params[1]
    return (1.0 - x) ** 2 + 100.0 * (y - x**2) ** 2


def rosenbrock_start():
    return jnp.array([-1.2, 1.0])


# (name, ours(lr), optax(lr)); learning rates come from the problem (Rosenbrock's
# curvature near the start is ~1300, so plain SGD needs lr < 2/1300).
CASES = [
    ("sgd", lambda lr: sgd(lr), lambda lr: optax.sgd(lr)),
    ("momentum", lambda lr: momentum(lr, beta=0.9), lambda lr: optax.sgd(lr, momentum=0.9)),
    ("adam", lambda lr: adam(lr), lambda lr: optax.adam(lr)),
    (
        "adam-custom",
        lambda lr: adam(lr, b1=0.8, b2=0.99, eps=1e-6),
        lambda lr: optax.adam(lr, b1=0.8, b2=0.99, eps=1e-6),
    ),
]
# (name, f, start, lr for sgd/momentum, lr for adam)
PROBLEMS = [
    ("quadratic", quadratic, quadratic_start, 0.01, 0.05),
    ("rosenbrock", rosenbrock, rosenbrock_start, 5e-4, 0.02),
]


def assert_trees_close(a, b, rtol, atol, what=""):
    assert jax.tree.structure(a) == jax.tree.structure(b), what
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=rtol, atol=atol, err_msg=what)


def trajectory(opt, apply, f, start, n_steps):
    """Run n_steps of opt on f in one lax.scan; return per-step (params, updates), final state."""

    def body(carry, _):
        params, state = carry
        updates, state = opt.update(jax.grad(f)(params), state, params)
        params = apply(params, updates)
        return (params, state), (params, updates)

    (_, state), (params, updates) = jax.lax.scan(body, (start, opt.init(start)), length=n_steps)
    return params, updates, state


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "problem, f, start, lr_sgd, lr_adam", PROBLEMS, ids=[p[0] for p in PROBLEMS]
)
@pytest.mark.parametrize("name, ours, theirs", CASES, ids=[c[0] for c in CASES])
def test_matches_optax_step_by_step(name, ours, theirs, problem, f, start, lr_sgd, lr_adam, dtype):
    rtol, atol = TOLERANCES[dtype]
    lr = lr_adam if name.startswith("adam") else lr_sgd
    with jax.enable_x64(dtype == "float64"):
        p0 = start()
        assert jax.tree.leaves(p0)[0].dtype == dtype
        opt, ref = ours(lr), theirs(lr)

        @jax.jit  # both trajectories in one compiled program
        def run(p0):
            return (
                trajectory(opt, apply_updates, f, p0, N_STEPS),
                trajectory(ref, optax.apply_updates, f, p0, N_STEPS),
            )

        (p_ours, u_ours, s_ours), (p_ref, u_ref, s_ref) = run(p0)
        p_ours, u_ours, p_ref, u_ref = jax.tree.map(np.asarray, (p_ours, u_ours, p_ref, u_ref))
        for step in range(N_STEPS):  # compare step by step, so a failure names the step
            at = lambda tree, i=step: jax.tree.map(lambda leaf: leaf[i], tree)  # noqa: E731
            assert_trees_close(at(u_ours), at(u_ref), rtol, atol, f"updates at step {step}")
            assert_trees_close(at(p_ours), at(p_ref), rtol, atol, f"params at step {step}")
        final = jax.tree.map(lambda leaf: leaf[-1], p_ours)
        assert float(f(final)) < 0.5 * float(f(p0))  # it really optimised
        if name.startswith("adam"):
            assert int(s_ours.count) == int(s_ref[0].count) == N_STEPS
            assert_trees_close(s_ours.mu, s_ref[0].mu, rtol, atol, "first moment")
            assert_trees_close(s_ours.nu, s_ref[0].nu, rtol, atol, "second moment")
        if name == "momentum":
            assert_trees_close(s_ours.velocity, s_ref[0].trace, rtol, atol, "velocity")


@pytest.mark.parametrize("name, ours, theirs", CASES, ids=[c[0] for c in CASES])
def test_jit_update_equals_update(name, ours, theirs):
    opt = ours(0.01)
    params = quadratic_start()
    rtol, atol = 1e-6, 1e-7
    state = opt.init(params)
    jitted, grad = jax.jit(opt.update), jax.jit(jax.grad(quadratic))
    for _ in range(3):
        g = grad(params)
        u_eager, s_eager = opt.update(g, state, params)
        u_jit, s_jit = jitted(g, state, params)
        assert_trees_close(u_eager, u_jit, rtol, atol, "updates")
        assert_trees_close(s_eager, s_jit, rtol, atol, "state")
        params, state = apply_updates(params, u_eager), s_eager


def test_state_types_and_structure():
    params = quadratic_start()
    assert sgd(0.1).init(params) == SGDState()
    m = momentum(0.1).init(params)
    assert isinstance(m, MomentumState)
    assert jax.tree.structure(m.velocity) == jax.tree.structure(params)
    a = adam(0.1).init(params)
    assert isinstance(a, AdamState) and a.count.dtype == jnp.int32 and int(a.count) == 0
    assert all(float(jnp.abs(x).max()) == 0.0 for x in jax.tree.leaves((a.mu, a.nu)))


def test_apply_updates_keeps_dtype():
    params = {"w": jnp.ones(3, jnp.bfloat16), "n": jnp.ones(2, jnp.float32)}
    updates = {"w": jnp.full(3, 0.5, jnp.float32), "n": jnp.full(2, -0.25, jnp.float32)}
    new = apply_updates(params, updates)
    assert new["w"].dtype == jnp.bfloat16 and new["n"].dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(new["n"]), 0.75, rtol=0, atol=1e-7)


def test_vmap_over_learning_rates():
    """Hyperparameters may be traced (a chapter sweeps learning rates with vmap)."""
    g = jnp.array([1.0, -2.0])
    lrs = jnp.array([0.1, 0.5])
    updates = jax.vmap(lambda lr: sgd(lr).update(g, SGDState())[0])(lrs)
    np.testing.assert_allclose(np.asarray(updates), -lrs[:, None] * g, rtol=1e-6)


@pytest.mark.outside_annotations
@pytest.mark.parametrize(
    "make, name",
    [
        (lambda: sgd(0.0), "learning_rate"),
        (lambda: sgd(-0.1), "learning_rate"),
        (lambda: sgd(float("nan")), "learning_rate"),
        (lambda: momentum(0.1, beta=1.0), "beta"),
        (lambda: momentum(0.1, beta=-0.1), "beta"),
        (lambda: adam(0.1, b1=1.5), "b1"),
        (lambda: adam(0.1, b2=1.0), "b2"),
        (lambda: adam(0.1, eps=-1e-8), "eps"),
    ],
)
def test_bad_hyperparameters_raise_naming_the_argument(make, name):
    with pytest.raises(ValueError, match=f"^{name}: expected"):
        make()


@pytest.mark.outside_annotations
def test_non_numeric_learning_rate_is_a_type_error():
    with pytest.raises(TypeError, match="learning_rate"):
        sgd("fast")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", ["eager", "jit"])
def test_adam_is_bit_identical_to_optax(dtype, mode):
    """The docstring's claim, measured: 100 steps on Rosenbrock, every bit equal."""
    with jax.enable_x64(dtype == "float64"):
        trajectories = []
        for opt, apply in [(adam(0.02), apply_updates), (optax.adam(0.02), optax.apply_updates)]:
            update = jax.jit(opt.update) if mode == "jit" else opt.update
            p = rosenbrock_start()
            state, path = opt.init(p), []
            for _ in range(100):
                updates, state = update(jax.grad(rosenbrock)(p), state, p)
                p = apply(p, updates)
                path.append(np.asarray(p))
            trajectories.append(np.stack(path))
        assert trajectories[0].dtype == dtype
        np.testing.assert_array_equal(trajectories[0], trajectories[1])
