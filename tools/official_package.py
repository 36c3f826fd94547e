"""Running the OFFICIAL SemantiCodec package in this process.

The official package is also called ``semanticodec``. A tool that runs it is started with the official
checkout (and its dependencies) on PYTHONPATH; `use_official_semanticodec` then removes this checkout's
root from ``sys.path`` (``python -m`` puts it first) so that ``import semanticodec`` finds the official
code, and `load_random_weights` loads the shared weights recipe by its file path, without importing
our packages.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO_ROOT = Path(__file__).resolve().parents[1]
RANDOM_WEIGHTS_FILE = REPO_ROOT / "baselines" / "random_weights.py"


def use_official_semanticodec() -> None:
    """Make ``import semanticodec`` find the official package, or exit with what to set."""
    if "semanticodec" in sys.modules:
        raise RuntimeError("semanticodec was imported before the official package could be selected")
    sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != REPO_ROOT]
    spec = importlib.util.find_spec("semanticodec")
    origin = Path(spec.origin).resolve().parent if spec is not None and spec.origin else None
    if origin is None or (origin / "codec.py").exists():
        raise SystemExit("the official SemantiCodec package was not found: set PYTHONPATH to "
                         "'<official SemantiCodec-inference checkout>:<its dependencies>'")


def load_random_weights() -> ModuleType:
    """`baselines/random_weights.py` as a stand-alone module (it imports only numpy and torch)."""
    spec = importlib.util.spec_from_file_location("random_weights", RANDOM_WEIGHTS_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
