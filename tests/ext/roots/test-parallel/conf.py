import sys
from pathlib import Path

from docutils.parsers.rst import Directive

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "docs" / "_ext"))
extensions = ["myst_parser", "nnbook_parallel"]
exclude_patterns = ["_build"]


class CodeCell(Directive):
    """Stands in for myst-nb's ``code-cell``: the pages only need to look like notebooks."""

    has_content = True
    optional_arguments = 1

    def run(self):
        return []


def setup(app):
    app.add_directive("code-cell", CodeCell)
