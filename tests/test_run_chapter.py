"""tools/run_chapter.py --profile: compile seconds by function and the slowest cells."""

import importlib.util
from pathlib import Path

import nbformat

_spec = importlib.util.spec_from_file_location(
    "run_chapter", Path(__file__).parents[1] / "tools" / "run_chapter.py"
)
run_chapter = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_chapter)

LOG = """\
Compiling jit(run_epochs) with global shapes and types (ShapedArray(float32[2]),).
Finished XLA compilation of jit(run_epochs) in 1.5 sec
Finished XLA compilation of jit(add) in 0.02 sec
Finished XLA compilation of jit(run_epochs) in 0.5 sec
Finished tracing add for jit in 0.0001 sec
"""


def _cell(source, start, end):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["execution"] = {"iopub.execute_input": start, "shell.execute_reply": end}
    return cell


def test_compile_seconds_adds_up_each_function():
    assert run_chapter.compile_seconds(LOG) == {"jit(run_epochs)": (2, 2.0), "jit(add)": (1, 0.02)}
    assert run_chapter.compile_seconds("no compiles here") == {}


def test_report_ranks_cells_and_functions():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# prose is not timed"),
        _cell("fast = 1", "2026-01-01T00:00:00.000000Z", "2026-01-01T00:00:00.500000Z"),
        _cell("\nslow = fit(...)", "2026-01-01T00:00:01Z", "2026-01-01T00:00:04Z"),
        nbformat.v4.new_code_cell("never_ran = True"),  # no timings: left out
    ]
    lines = run_chapter.report(nb, LOG, total=4.0).splitlines()
    assert lines[0] == "4.0 s in all, 2 code cells; the slowest:"
    assert lines[1].split() == ["3.00", "s", "cell", "2", "slow", "=", "fit(...)"]
    assert lines[2].split()[:4] == ["0.50", "s", "cell", "1"]
    assert lines[3] == "XLA compiled 3 programs in 2.0 s (50%); the costliest:"
    assert lines[4].split() == ["2.00", "s", "2x", "jit(run_epochs)"]
    assert lines[5].split() == ["0.02", "s", "1x", "jit(add)"]


def test_a_missing_chapter_is_named_and_nothing_runs(tmp_path, capsys):
    missing = tmp_path / "99-nowhere.md"
    try:
        run_chapter.main(str(missing))
    except SystemExit as stop:
        assert stop.code == 2
    else:
        raise AssertionError("a missing chapter must stop the tool")
    assert f"no chapter at {missing}" in capsys.readouterr().err


def test_help_describes_the_tool_without_running_anything(capsys):
    try:
        run_chapter.main("--help")
    except SystemExit as stop:
        assert stop.code == 0
    assert "--profile" in capsys.readouterr().out
