"""Built-in dataset loaders. Importing this module registers them (no heavy import here)."""

from __future__ import annotations

from benchmarks.datasets.base import register_dataset

# name -> "module:function(**config) -> list[Clip]"
register_dataset("embedded", "benchmarks.datasets.embedded:load_embedded")
register_dataset("libritts", "benchmarks.datasets.libritts:load_libritts")
register_dataset("audioset", "benchmarks.datasets.audioset:load_audioset")
register_dataset("musdb18", "benchmarks.datasets.musdb:load_musdb18")
register_dataset("evalset", "benchmarks.datasets.evalset:load_evalset")
register_dataset("demo", "benchmarks.datasets.demo:load_demo")
register_dataset("folder", "benchmarks.datasets.folder:load_folder")
