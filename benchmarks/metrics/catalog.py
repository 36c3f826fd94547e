"""The built-in metrics as data: ``benchmarks/conf/metric/<name>.yaml`` (``_target_`` + constructor arguments).

This module only reads the files; the registry (`benchmarks.metrics.registry`) imports it, never the reverse.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from baselines.catalog import read_entries, split_target

__all__ = ["BUILTIN_CONFIG_DIR", "builtin_metrics"]

BUILTIN_CONFIG_DIR = Path(__file__).resolve().parents[1] / "conf" / "metric"


def builtin_metrics() -> dict[str, tuple[str, dict[str, Any]]]:
    """name -> (target class path, constructor keyword arguments), in catalogue order."""
    return {name: split_target(name, entry) for name, entry in read_entries(BUILTIN_CONFIG_DIR).items()}

