"""Tests of nnbook.timing: the stopwatch's structure, never its speed (that is for benchmarks/)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nnbook import timing
from nnbook.timing import Timing, summarize, time_fn


class FakeClock:
    """A clock that returns the given readings in order and logs each reading in ``events``."""

    def __init__(self, readings, events):
        self.readings = list(readings)
        self.events = events

    def __call__(self):
        self.events.append("clock")
        return self.readings.pop(0)


@pytest.fixture
def events(monkeypatch):
    """A log of clock readings, calls and waits; jax.block_until_ready is recorded in it."""
    log = []
    real = jax.block_until_ready

    def recording_block(x):
        log.append("block")
        return real(x)

    monkeypatch.setattr(jax, "block_until_ready", recording_block)
    return log


def _fn(events):
    def fn(*args):
        events.append("call")
        return jnp.zeros(())

    return fn


def test_first_call_is_timed_apart_and_repeats_give_the_statistics(events):
    # readings: first call 0 -> 5 (5 s), then three repeats of 1, 3 and 2 s
    clock = FakeClock([0.0, 5.0, 10.0, 11.0, 20.0, 23.0, 30.0, 32.0], events)
    t = time_fn(_fn(events), repeats=3, warmup=0, clock=clock)
    assert t.first_call_s == pytest.approx(5.0)
    assert t.times_s == pytest.approx((1.0, 3.0, 2.0))
    assert t.median_s == pytest.approx(2.0)
    assert (t.q25_s, t.q75_s) == pytest.approx((1.5, 2.5))
    assert (t.min_s, t.max_s) == (1.0, 3.0)
    assert t.iqr_s == pytest.approx(1.0)
    assert t.compile_s == pytest.approx(3.0)  # first call minus the steady state


def test_every_timed_call_is_waited_on_before_the_clock_stops(events):
    clock = FakeClock([0.0, 1.0, 2.0, 3.0, 4.0, 5.0], events)
    time_fn(_fn(events), repeats=2, warmup=2, clock=clock)
    timed = ["clock", "call", "block", "clock"]
    # first call (timed), two warm-up calls (waited on, not timed), two timed repeats
    assert events == timed + ["call", "block"] * 2 + timed * 2


def test_number_of_calls_is_one_plus_warmup_plus_repeats():
    calls = []
    t = time_fn(lambda: calls.append(1) or jnp.ones(3), repeats=4, warmup=3)
    assert len(calls) == 1 + 3 + 4 and len(t.times_s) == 4


def test_default_clock_is_perf_counter_looked_up_at_call_time(monkeypatch):
    readings = iter([0.0, 2.0, 2.0, 2.5])
    monkeypatch.setattr(timing.time, "perf_counter", lambda: next(readings))
    t = time_fn(lambda: 0.0, repeats=1, warmup=0)
    assert (t.first_call_s, t.median_s) == (2.0, 0.5)


def test_result_is_a_named_tuple_naming_the_device():
    cpu = jax.devices("cpu")[0]
    t = time_fn(jax.jit(lambda a: a @ a), jnp.ones((8, 8)), repeats=2, device=cpu)
    assert isinstance(t, Timing) and isinstance(t, tuple)
    assert t._fields[:2] == ("median_s", "q25_s")
    assert (t.device, t.platform, t.device_kind) == ("cpu:0", "cpu", cpu.device_kind)
    assert t.min_s <= t.q25_s <= t.median_s <= t.q75_s <= t.max_s


def test_arguments_are_placed_on_the_device():
    cpu = jax.devices("cpu")[0]
    seen = []

    def fn(x):
        seen.append(x.devices())
        return x

    time_fn(fn, np.ones(3), repeats=1, warmup=0, device=cpu)
    assert seen and all(s == {cpu} for s in seen)


def test_output_without_arrays_reports_the_default_device():
    t = time_fn(lambda: 1.5, repeats=1)
    assert t.device == f"{jax.devices()[0].platform}:{jax.devices()[0].id}"


def test_summarize_matches_numpy_on_a_fixed_sequence():
    times = [0.9, 0.1, 0.5, 0.3, 0.7, 10.0]
    med, q25, q75, lo, hi = summarize(times)
    assert med == pytest.approx(np.median(times))
    assert (q25, q75) == pytest.approx(tuple(np.percentile(times, [25, 75])))
    assert (lo, hi) == (0.1, 10.0)
    assert summarize([2.0]) == (2.0, 2.0, 2.0, 2.0, 2.0)
    assert summarize(np.array([1.0, 2.0, 3.0, 4.0]))[1:3] == (1.75, 3.25)


@pytest.mark.outside_annotations
@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"repeats": 0}, ValueError, "repeats: expected an integer >= 1, got 0"),
        ({"repeats": 2.5}, TypeError, "repeats: expected an integer >= 1, got float"),
        ({"repeats": True}, TypeError, "repeats: .* got bool"),
        ({"warmup": -1}, ValueError, "warmup: expected an integer >= 0, got -1"),
        ({"warmup": "1"}, TypeError, "warmup: .* got str"),
        ({"device": "cpu"}, TypeError, "device: expected a jax.Device or None, got str"),
        ({"clock": 3.0}, TypeError, "clock: expected a function"),
    ],
)
def test_time_fn_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        time_fn(lambda: 0.0, **kwargs)


@pytest.mark.outside_annotations
def test_time_fn_rejects_a_non_callable():
    with pytest.raises(TypeError, match="fn: expected a callable, got ndarray"):
        time_fn(np.ones(3))


@pytest.mark.outside_annotations
@pytest.mark.parametrize(
    "times, error, match",
    [
        ([], ValueError, r"times: expected a non-empty 1-D sequence, got shape \(0,\)"),
        ([[1.0, 2.0]], ValueError, r"times: expected a non-empty 1-D sequence, got shape \(1, 2\)"),
        ([1.0, -0.5], ValueError, "times: expected finite durations >= 0"),
        ([1.0, float("nan")], ValueError, "times: expected finite durations >= 0"),
        ("123", TypeError, "times: expected a sequence of durations, got str"),
        (3.0, TypeError, "times: expected a sequence of durations, got float"),
    ],
)
def test_summarize_rejects_bad_input(times, error, match):
    with pytest.raises(error, match=match):
        summarize(times)
