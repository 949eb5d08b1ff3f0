import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "docs" / "_ext"))
extensions = ["myst_parser", "nnbook_renumber", "nnbook_numref"]
myst_enable_extensions = ["dollarmath"]
numfig = True
numfig_secnum_depth = 1
exclude_patterns = ["_build"]
