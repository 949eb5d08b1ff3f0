"""A downloaded notebook runs on its own: top to bottom, in a fresh kernel, away from docs/.

Every chapter's *clean* notebook (the download without outputs) is copied into an empty
folder and executed there with nbclient, as a reader who downloaded it would run it.
Its first cell is the install cell added at export; in this environment nnbook is
installed, so that cell must find it and install nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from .conftest import CHAPTERS, HTML

pytestmark = pytest.mark.site

NOTEBOOKS = HTML / "notebooks" / "chapters"
WORKERS = max(1, min(2, os.cpu_count() or 1))


def _run(chapter: str, workdir: Path) -> str | None:
    """Execute ``chapter``'s clean download in ``workdir``; None on success, else the error."""
    import nbclient

    src = NOTEBOOKS / f"{chapter}.clean.ipynb"
    if not src.is_file():
        return f"{src} is missing"
    workdir.mkdir(parents=True, exist_ok=True)
    nb_path = workdir / src.name
    shutil.copy2(src, nb_path)
    nb = nbformat.read(nb_path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(workdir)}},
    )
    try:
        client.execute()
    except Exception as err:  # noqa: BLE001 - reported with the chapter's name
        return f"{type(err).__name__}: {err}"
    nbformat.write(nb, nb_path)
    errors = [
        f"cell {c.get('id')}: {o.get('ename')}: {o.get('evalue')}"
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    return "; ".join(errors) or None


@pytest.fixture(scope="session")
def standalone_runs(html_dir, tmp_path_factory) -> dict[str, str | None]:
    """Run every chapter's notebook, two kernels at a time (each is its own process)."""
    root = tmp_path_factory.mktemp("downloaded")
    with ThreadPoolExecutor(WORKERS) as pool:
        futures = {c: pool.submit(_run, c, root / c) for c in CHAPTERS}
        return {c: f.result() for c, f in futures.items()}


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_downloaded_notebook_runs_standalone(standalone_runs, chapter):
    problem = standalone_runs[chapter]
    assert problem is None, f"{chapter}.clean.ipynb did not run on its own: {problem}"


def test_install_cell_installs_nnbook_only_when_missing(html_dir, tmp_path):
    """The first cell asks pip for the matching release, and only when nnbook is absent."""
    nb = nbformat.read(NOTEBOOKS / f"{CHAPTERS[0]}.clean.ipynb", as_version=4)
    first = nb.cells[0]
    assert first.metadata.get("tags") == ["nnbook-install"], "the install cell must come first"
    source = first.source
    import nnbook

    assert f"@v{nnbook.__version__}" in source, f"install cell pins another release:\n{source}"

    # Run the cell's code with nnbook hidden and pip replaced by a recorder.
    fake_bin = tmp_path / "pip-recorder.py"
    record = tmp_path / "calls.txt"
    fake_bin.write_text(
        f"import sys, pathlib\npathlib.Path({str(record)!r}).write_text(' '.join(sys.argv[1:]))\n"
    )
    harness = (
        "import importlib.util, subprocess, sys\n"
        "real_find_spec = importlib.util.find_spec\n"
        "importlib.util.find_spec = (\n"
        "    lambda n, *a: None if n == 'nnbook' else real_find_spec(n, *a))\n"
        f"subprocess.check_call = lambda cmd: subprocess.run([sys.executable, {str(fake_bin)!r},"
        " *cmd[1:]], check=True)\n" + source
    )
    subprocess.run([sys.executable, "-c", harness], check=True, cwd=tmp_path)
    call = record.read_text()
    assert call.startswith("-m pip install"), call
    assert "install -q nnbook @ git+https://github.com/" in call, call
    assert call.endswith(f"@v{nnbook.__version__}"), call
