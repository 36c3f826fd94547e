"""Built-in dataset loaders. Importing this module registers them (no heavy import here)."""

from __future__ import annotations

from benchmarks.datasets.base import register_dataset

# name -> "module:function(**config) -> list[Clip]"
