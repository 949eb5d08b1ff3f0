import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3] / "docs" / "_ext"))
extensions = ["myst_nb", "nnbook_streams", "nnbook_cache", "nnbook_downloads"]
exclude_patterns = ["_build"]
release = "1.2.3"
nnbook_repository = "someone/nnbook"
nb_execution_mode = "cache"
nb_execution_cache_path = str(HERE / "_build" / ".jupyter_cache" / "notebooks")
nb_execution_raise_on_error = True
nb_merge_streams = True
