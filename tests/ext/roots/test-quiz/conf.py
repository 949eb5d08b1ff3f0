import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "docs" / "_ext"))
extensions = ["myst_parser", "nnbook_quiz"]
exclude_patterns = ["_build"]
