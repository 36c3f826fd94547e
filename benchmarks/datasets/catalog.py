"""The built-in dataset loaders as data: ``benchmarks/conf/dataset/<name>.yaml`` (``_target_`` + arguments).

Each ``_target_`` is a function ``(**arguments) -> list[Clip]``. This module only reads the files; the
registry (`benchmarks.datasets.base`) imports it, never the reverse.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from baselines.catalog import read_entries, split_target

__all__ = ["BUILTIN_CONFIG_DIR", "builtin_datasets"]

BUILTIN_CONFIG_DIR = Path(__file__).resolve().parents[1] / "conf" / "dataset"


def builtin_datasets() -> dict[str, tuple[str, dict[str, Any]]]:
    """name -> (loader function path, its keyword arguments), in catalogue order."""
    return {name: split_target(name, entry) for name, entry in read_entries(BUILTIN_CONFIG_DIR).items()}
