"""``nnbook_parallel``: the chapters that execute are shared by the ``-j`` readers.

Sphinx cuts the sorted document list into consecutive chunks, one reader process per
chunk. Sorted, a book's appendix pages come before its chapters, so one reader got the
light pages and the other most of the notebooks. ``balanced_order`` reorders the list
so that the chunks the readers start with share the notebooks by cost (greedy, longest
first). The pure function is tested on the case that motivated it and on random cases;
one in-process ``-j 2`` build checks which process really read which page.
"""

from __future__ import annotations

import os
from collections import defaultdict
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nnbook_parallel import balanced_order, on_env_before_read_docs
from sphinx.util.parallel import make_chunks, parallel_available

APPENDIX = [f"appendix/a{i}" for i in range(1, 7)]
SECONDS = {"01": 10, "02": 20, "03": 5, "04": 30, "05": 15, "06": 25, "07": 8, "08": 12}
TIMINGS = {f"chapters/{n}": float(s) for n, s in SECONDS.items()}


def _chunks(order: list[str], nproc: int) -> list[list[str]]:
    return [list(c) for c in make_chunks(order, nproc)]


def _load(chunk: list[str], heavy: dict[str, float]) -> float:
    return sum(heavy.get(d, 0.0) for d in chunk)


def test_sorted_order_is_the_problem_it_solves():
    docs = sorted(APPENDIX + list(TIMINGS))
    first, second = _chunks(docs, 2)
    assert _load(first, TIMINGS) == 10  # six appendix pages and one chapter
    assert _load(second, TIMINGS) == 125 - 10  # the other seven chapters, one after another


def test_two_readers_share_eight_chapters_by_their_last_timings():
    docs = sorted(APPENDIX + list(TIMINGS))
    order = balanced_order(docs, TIMINGS, 2)
    assert sorted(order) == docs  # a reordering, nothing added or lost
    first, second = _chunks(order, 2)
    assert first == ["chapters/04", "chapters/05", "chapters/08", "chapters/03", *APPENDIX[:3]]
    assert second == ["chapters/06", "chapters/02", "chapters/01", "chapters/07", *APPENDIX[3:]]
    assert (_load(first, TIMINGS), _load(second, TIMINGS)) == (62, 63)


def test_heavy_documents_overflow_to_later_chunks_only_when_the_first_are_full():
    # 3 documents on 2 readers: chunks of 1, so the third chapter waits for a reader.
    heavy = {"c1": 5.0, "c2": 3.0, "c3": 1.0}
    order = balanced_order(["c1", "c2", "c3"], heavy, 2)
    assert order == ["c1", "c2", "c3"]
    # 25 documents on 2 readers: chunks of 11, 11, 3; the 3 longest-running chapters
    # must be in the first two, the light pages keep their sorted order.
    docs = [f"p{i:02d}" for i in range(22)] + ["x1", "x2", "x3"]
    heavy = {"x1": 1.0, "x2": 9.0, "x3": 4.0}
    chunks = _chunks(balanced_order(docs, heavy, 2), 2)
    assert [len(c) for c in chunks] == [11, 11, 3]
    assert chunks[0][0] == "x2" and chunks[1][:2] == ["x3", "x1"]
    assert [d for c in chunks for d in c if d.startswith("p")] == docs[:22]


@settings(max_examples=60, deadline=None)
@given(
    costs=st.lists(st.floats(0.1, 100.0, allow_nan=False), min_size=1, max_size=8),
    extra=st.integers(0, 30),
    nproc=st.integers(2, 4),
)
def test_balanced_chunks_differ_by_at_most_the_longest_chapter(costs, extra, nproc):
    # With at least nproc * len(costs) light pages, every starting chunk has room for
    # all the notebooks, so the greedy bound holds: loads differ by at most one notebook.
    n_light = nproc * len(costs) + extra
    heavy = {f"nb/{i}": c for i, c in enumerate(costs)}
    docs = sorted([f"light/{i:02d}" for i in range(n_light)] + list(heavy))
    order = balanced_order(docs, heavy, nproc)
    assert sorted(order) == docs
    chunks = _chunks(order, nproc)
    assert [len(c) for c in chunks] == [len(c) for c in make_chunks(docs, nproc)]
    starting = chunks[:nproc]
    assert set(heavy) <= {d for c in starting for d in c}  # no notebook waits for a reader
    loads = [_load(c, heavy) for c in starting]
    assert max(loads) - min(loads) <= max(costs) + 1e-9
    light = [d for d in order if d not in heavy]
    assert light == [d for d in docs if d not in heavy]  # light pages keep their order


def _fake_app(tmp_path, parallel: int, pages: dict[str, str]):
    for name, text in pages.items():
        (tmp_path / f"{name}.md").parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f"{name}.md").write_text(text, encoding="utf-8")
    env = SimpleNamespace(doc2path=lambda d: tmp_path / f"{d}.md", nnbook_meta={})
    return SimpleNamespace(parallel=parallel, env=env)


def test_the_event_leaves_the_order_alone_when_there_is_nothing_to_balance(tmp_path):
    notebook, page = "```{code-cell} ipython3\nx = 1\n```\n", "# Plain\n"
    pages = {"a": page, "b": page, "c": page, "y": notebook, "z": notebook}
    docs = sorted(pages)
    serial = _fake_app(tmp_path, 1, pages)
    order = list(docs)
    on_env_before_read_docs(serial, serial.env, order)
    assert order == docs  # no -j: Sphinx reads in one process
    one = _fake_app(tmp_path, 2, {**pages, "y": page})
    order = list(docs)
    on_env_before_read_docs(one, one.env, order)
    assert order == docs  # a single notebook: nothing to share
    two = _fake_app(tmp_path, 2, pages)
    order = list(docs)
    on_env_before_read_docs(two, two.env, order)
    assert order != docs and sorted(order) == docs
    assert {order[0], order[2]} == {"y", "z"}  # chunks of 2: one notebook each


@pytest.mark.skipif(not parallel_available, reason="Sphinx reads in parallel only on POSIX")
def test_a_parallel_build_reads_the_chapters_in_both_processes(copy_root, make_app, tmp_path):
    src = copy_root("parallel")
    app = make_app("html", srcdir=src, parallel=2)
    app.env.nnbook_meta = {d: {"seconds": s} for d, s in TIMINGS.items()}  # "last build"
    log = tmp_path / "reads.log"

    def note_reader(app, docname, source):
        with log.open("a", encoding="utf-8") as f:
            f.write(f"{os.getpid()} {docname}\n")

    app.connect("source-read", note_reader)
    app.build()
    by_process = defaultdict(list)
    for line in log.read_text(encoding="utf-8").split("\n"):
        if line:
            pid, docname = line.split()
            by_process[pid].append(docname)
    assert os.getpid() not in {int(p) for p in by_process}, "the pages were read serially"
    loads = sorted(_load(docs, TIMINGS) for docs in by_process.values())
    assert loads == [0, 62, 63]  # two readers share the chapters; index.md reads alone
