"""Tests of nnbook.hardware and nnbook.plotting.hardware: counting work, reading XLA programs,
describing devices. Structure only: no assertion about speed (that belongs to benchmarks/)."""

from collections import Counter

import jax
import jax.numpy as jnp
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from nnbook import hardware, layers, losses, optimizers, training  # noqa: E402
from nnbook.plotting import legibility, use_style  # noqa: E402
from nnbook.plotting.hardware import plot_roofline  # noqa: E402


def _xla_flops(fn, *args):
    cost = jax.jit(fn).lower(*args).compile().cost_analysis()
    cost = cost[0] if isinstance(cost, list | tuple) else cost
    if not cost or "flops" not in cost:
        pytest.skip("this backend reports no operation count")
    return cost["flops"]


# ---------------------------------------------------------------- counting work


def test_matmul_flops_and_bytes_by_hand():
    assert hardware.matmul_flops(2, 3, 4) == 2 * 2 * 3 * 4
    assert hardware.matmul_flops(1, 1, 1) == 2
    assert hardware.matmul_bytes(2, 3, 4) == 4 * (6 + 12 + 8)
    assert hardware.matmul_bytes(2, 3, 4, itemsize=2) == 2 * 26
    n = 600  # square float32 product: intensity n / 6
    assert hardware.matmul_flops(n, n, n) / hardware.matmul_bytes(n, n, n) == pytest.approx(100)


def test_matmul_flops_match_xla_count():
    a, b = jnp.ones((12, 7)), jnp.ones((7, 5))
    assert _xla_flops(jnp.matmul, a, b) == hardware.matmul_flops(12, 7, 5)


def test_mlp_flops_by_hand():
    # forward 2*5*(3*4 + 4*2) = 200; backward: weight grads 200, input grad of layer 2 only 80
    assert hardware.mlp_matmul_flops((3, 4, 2), 5) == 200
    assert hardware.mlp_matmul_flops((3, 4, 2), 5, backward=True) == 480
    # one layer: no input gradient at all, so training is exactly twice the forward pass
    assert hardware.mlp_matmul_flops([10, 7], 3, backward=True) == 2 * 2 * 3 * 10 * 7


def test_mlp_flops_match_xla_count_of_forward_and_training_step():
    sizes, batch = (784, 256, 10), 128
    params = tuple(
        layers.Dense(W=jnp.full((m, n), 0.01), b=jnp.zeros(n))  # values don't matter
        for m, n in zip(sizes[:-1], sizes[1:], strict=True)
    )
    x, y = jnp.ones((batch, 784)), jnp.zeros(batch, jnp.int32)
    forward = _xla_flops(layers.mlp, params, x)
    assert forward == pytest.approx(hardware.mlp_matmul_flops(sizes, batch), rel=0.02)

    def loss_fn(p, x, y):
        return losses.softmax_cross_entropy(layers.mlp(p, x), y)

    opt = optimizers.sgd(0.1)
    step = training.make_train_step(loss_fn, opt, donate=False)
    train = _xla_flops(step, params, opt.init(params), x, y)
    assert train == pytest.approx(hardware.mlp_matmul_flops(sizes, batch, backward=True), rel=0.02)


@pytest.mark.outside_annotations
@pytest.mark.parametrize(
    "call, error, match",
    [
        (
            lambda: hardware.matmul_flops(0, 3, 4),
            ValueError,
            "m: expected a positive integer, got 0",
        ),
        (lambda: hardware.matmul_flops(2, 3.0, 4), TypeError, "k: expected a positive integer"),
        (lambda: hardware.matmul_bytes(2, 3, 4, itemsize=0), ValueError, "itemsize"),
        (lambda: hardware.mlp_matmul_flops((3,), 5), ValueError, "sizes: expected a sequence"),
        (lambda: hardware.mlp_matmul_flops("34", 5), ValueError, "sizes: expected a sequence"),
        (lambda: hardware.mlp_matmul_flops((3, -4), 5), ValueError, r"sizes\[1\]"),
        (lambda: hardware.mlp_matmul_flops((3, 4), 0), ValueError, "batch"),
    ],
)
def test_counting_rejects_bad_sizes(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_roofline_is_the_minimum_of_the_two_limits():
    peak, bandwidth = 200e9, 10e9  # ridge at 20 FLOP/byte
    intensity = np.array([0.0, 1.0, 20.0, 1000.0])
    np.testing.assert_allclose(
        hardware.roofline(intensity, peak, bandwidth), [0.0, 10e9, 200e9, 200e9]
    )
    assert float(hardware.roofline(5.0, peak, bandwidth)) == 50e9


@pytest.mark.parametrize(
    "intensity, peak, bandwidth, match",
    [
        (1.0, 0.0, 1e9, "peak: expected a finite positive rate, got 0.0"),
        (1.0, 1e9, float("inf"), "bandwidth: expected a finite positive rate, got inf"),
        ([1.0, -1.0], 1e9, 1e9, "intensity: expected finite values >= 0"),
        ([np.nan], 1e9, 1e9, "intensity: expected finite values >= 0"),
    ],
)
def test_roofline_rejects_bad_input(intensity, peak, bandwidth, match):
    with pytest.raises(ValueError, match=match):
        hardware.roofline(intensity, peak, bandwidth)


# ---------------------------------------------------------------- reading XLA programs

HLO = """HloModule m, entry_computation_layout={(f32[2]{0})->(f32[2]{0}, s32[])}

%fused_computation (param_0: f32[2]) -> f32[2] {
  %param_0 = f32[2]{0} parameter(0)
  ROOT %neg = f32[2]{0} negate(%param_0)
}

_helper.1 {
  a = f32[2]{0} parameter(0)
  b = f32[2]{0} multiply(a, a)
  ROOT c = f32[2]{0} add(b, a)
}

ENTRY %main.3 (x: f32[2]) -> (f32[2], s32[]) {
  %x = f32[2]{0} parameter(0), metadata={op_name="x"}
  %k = s32[] constant(3)
  %f = f32[2]{0} fusion(%x), kind=kLoop, calls=%fused_computation
  %h = f32[2]{0} call(%f), to_apply=_helper.1
  ROOT %t = (f32[2]{0}, s32[]) tuple(%h, %k)
}
"""


def test_entry_ops_parses_names_opcodes_shapes_and_inlines_calls():
    ops = hardware.entry_ops(HLO)
    assert [op.opcode for op in ops] == [
        "parameter",
        "constant",
        "fusion",
        "multiply",
        "add",
        "tuple",
    ]
    assert ops[0] == hardware.HloOp("x", "parameter", "f32[2]{0}")
    assert ops[-1].shape == "(f32[2]{0}, s32[])"
    kept = [op.opcode for op in hardware.entry_ops(HLO, inline_calls=False)]
    assert kept == ["parameter", "constant", "fusion", "call", "tuple"]


def test_count_ops_leaves_out_bookkeeping():
    assert hardware.count_ops(HLO) == Counter({"fusion": 1, "multiply": 1, "add": 1})
    assert hardware.count_ops(HLO, ignore=frozenset()) == Counter(
        {"parameter": 1, "constant": 1, "fusion": 1, "multiply": 1, "add": 1, "tuple": 1}
    )


@pytest.mark.outside_annotations
def test_entry_ops_rejects_text_without_entry_and_non_text():
    with pytest.raises(ValueError, match="hlo_text: expected HLO text with an ENTRY"):
        hardware.entry_ops("HloModule m\n")
    with pytest.raises(TypeError, match="hlo_text: expected HLO module text, got bytes"):
        hardware.entry_ops(b"ENTRY")


def test_fusion_counts_of_a_known_function():
    def f(x):  # 2 arithmetic operations, a tanh and 2 broadcast constants
        return jnp.tanh(2.0 * x + 1.0)

    counts = hardware.fusion_counts(f, jnp.ones(1000))
    assert counts.before == Counter({"broadcast": 2, "multiply": 1, "add": 1, "tanh": 1})
    assert sum(counts.after.values()) == 1  # one fused kernel
    if jax.default_backend() == "cpu":
        assert counts.after == Counter({"fusion": 1})
    # a jitted function is lowered as it is
    assert hardware.fusion_counts(jax.jit(f), jnp.ones(1000)) == counts


def test_fusion_counts_inline_jnp_helpers_and_keep_matrix_products():
    def f(x, w):  # jnp.where is a nested jitted call in the program JAX hands to XLA
        return jnp.where(x @ w > 0, x @ w, 0.0)

    counts = hardware.fusion_counts(f, jnp.ones((4, 3)), jnp.ones((3, 2)))
    assert "call" not in counts.before and counts.before["select"] == 1
    assert counts.before["dot"] == 2
    assert sum(counts.after.values()) < sum(counts.before.values())


@pytest.mark.outside_annotations
def test_fusion_counts_rejects_a_non_callable():
    with pytest.raises(TypeError, match="fn: expected a callable, got int"):
        hardware.fusion_counts(3, jnp.ones(2))


# ---------------------------------------------------------------- devices


def test_cpu_model_and_flags_from_a_cpuinfo_file(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nmodel name\t: Toy CPU 3000\nflags\t\t: fpu sse2 avx2 fma\n")
    assert hardware.cpu_model(str(info)) == "Toy CPU 3000"
    assert hardware.cpu_flags(str(info)) == frozenset({"fpu", "sse2", "avx2", "fma"})
    missing = str(tmp_path / "absent")
    assert hardware.cpu_flags(missing) == frozenset()
    assert isinstance(hardware.cpu_model(missing), str) and hardware.cpu_model(missing)


@pytest.mark.parametrize(
    "flags, lanes",
    [({"avx512f", "avx2"}, 16), ({"avx", "avx2"}, 8), ({"sse2"}, 4), ({"asimd"}, 4), (set(), None)],
)
def test_simd_lanes_from_flags(flags, lanes):
    assert hardware.simd_float32_lanes(frozenset(flags)) == lanes


@pytest.mark.outside_annotations
def test_simd_lanes_rejects_a_string():
    with pytest.raises(TypeError, match="flags: expected a set of flag names, got str"):
        hardware.simd_float32_lanes("avx2")


def test_device_name_counts_cores(monkeypatch):
    cpu = jax.devices("cpu")[0]
    monkeypatch.setattr(hardware.os, "cpu_count", lambda: 1)
    assert hardware.device_name(cpu).endswith(", 1 core")
    monkeypatch.setattr(hardware.os, "cpu_count", lambda: 8)
    assert hardware.device_name(cpu) == f"{hardware.cpu_model()}, 8 cores"


@pytest.mark.outside_annotations
def test_device_name_rejects_a_string():
    with pytest.raises(TypeError, match="device: expected a jax.Device or None, got str"):
        hardware.device_name("cpu")


def test_devices_to_compare_starts_with_the_cpu():
    devices = hardware.devices_to_compare()
    assert devices[0].platform == "cpu" and 1 <= len(devices) <= 2
    assert len({d.platform for d in devices}) == len(devices)


# ---------------------------------------------------------------- measuring (structure only)


def test_measure_matmul_reports_work_and_rate():
    rate = hardware.measure_matmul(16, repeats=2, device=jax.devices("cpu")[0])
    assert rate.work == 2 * 16**3
    assert rate.per_second == pytest.approx(rate.work / rate.timing.median_s)
    assert rate.timing.platform == "cpu" and len(rate.timing.times_s) == 2
    half = hardware.measure_matmul(16, dtype=jnp.bfloat16, repeats=1)
    assert half.work == rate.work


def test_measure_bandwidth_counts_three_arrays_per_pass():
    rate = hardware.measure_bandwidth(1000, passes=3, repeats=2)
    assert rate.work == 3 * 3 * 4 * 1000
    assert rate.per_second == pytest.approx(rate.work / rate.timing.median_s)
    # the loop computes y <- 0.5 y + x three times: with x = 1, y = 4 -> 3 -> 2.5 -> 2.25
    np.testing.assert_allclose(hardware._stream(3)(jnp.ones(4), jnp.full(4, 4.0)), 2.25)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: hardware.measure_matmul(0), ValueError, "n: expected a positive integer"),
        (lambda: hardware.measure_bandwidth(10, passes=0), ValueError, "passes"),
        (lambda: hardware.measure_matmul(8, repeats=0), ValueError, "repeats"),
    ],
)
def test_measuring_rejects_bad_sizes(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------- plotting


def test_plot_roofline_draws_the_roof_and_the_ridge():
    with use_style():
        fig, ax = plt.subplots()
    try:
        out = plot_roofline(ax, 200e9, 10e9, intensity_range=(0.1, 1000), label="toy")
        assert out is ax and ax.get_xscale() == "log" and ax.get_yscale() == "log"
        roof, ridge = ax.lines
        x, y = roof.get_data()
        np.testing.assert_allclose(y, np.minimum(200, x * 10))  # in GFLOP/s
        assert 20.0 in x and ridge.get_xdata()[0] == 20.0
        assert legibility.smallest_font_pt(fig) >= legibility.MIN_FONT_PT
    finally:
        plt.close(fig)


def test_plot_roofline_rejects_a_bad_range():
    fig, ax = plt.subplots()
    try:
        with pytest.raises(ValueError, match="intensity_range: expected 0 < low < high"):
            plot_roofline(ax, 1e9, 1e9, intensity_range=(10, 1))
    finally:
        plt.close(fig)
