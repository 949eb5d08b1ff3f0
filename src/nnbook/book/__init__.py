"""The book's runtime: what the chapters call to run, not reference code a reader studies.

Everything else in :mod:`nnbook` is taught by a chapter. This subpackage is not: it is
the machinery the chapters' hidden cells use to build the web book, kept apart so that
a reader who opens the package knows which code is the lesson and which is the stage.

* :mod:`nnbook.book.chapter`: every chapter's setup cell (:func:`setup_chapter`), the
  numbers quoted in the prose (:func:`glue`), timings (:func:`timeit`), and the record
  of what a chapter's results depend on for the build's cache (:func:`record_execution`).
  These are re-exported here, so a chapter writes ``from nnbook.book import glue``.
* :mod:`nnbook.book.tables`: small HTML tables in a chapter's output
  (``from nnbook.book.tables import show_table``).
* :mod:`nnbook.book.widgets`: the data behind the interactive figures of the web book
  (``from nnbook.book.widgets import widget``).

``import nnbook.book`` loads only :mod:`~nnbook.book.chapter`; the other two load when a
chapter imports them, so the execution cache reruns only the chapters that use them
when they change.
"""

from nnbook.book.chapter import RECORD_ENV as RECORD_ENV  # importable, not documented
from nnbook.book.chapter import glue, record_execution, runtime_info, setup_chapter, timeit

__all__ = ["glue", "record_execution", "runtime_info", "setup_chapter", "timeit"]
