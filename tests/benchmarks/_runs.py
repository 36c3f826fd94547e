"""Shared by the run tests: the command line of a run over a folder of clips, and a store table."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd


def folder_run_args(tmp_path: Path, clips: Path, name: str, *extra: str, codecs: str, metrics: str,
                    cache_dir: Path | None = None) -> list[str]:
    """`benchmarks.run` arguments for the speech clips in `clips`, writing under `tmp_path`.

    The reconstruction cache is ``cache_<name>`` unless `cache_dir` is given (runs that share one)."""
    return [
        "--codecs", codecs, "--datasets", "folder", "--metrics", metrics, f"dataset.folder.root={clips}",
        "dataset.folder.domain=speech", f"output_root={tmp_path / 'results'}",
        f"cache_dir={cache_dir or tmp_path / f'cache_{name}'}", f"name={name}", "progress=false",
        "report.plots=false", *extra,
    ]


def read_table(db: Path, table: str) -> pd.DataFrame:
    """Every row of `table` in the SQLite store `db`."""
    with sqlite3.connect(db) as con:
        return pd.read_sql_query(f"SELECT * FROM {table}", con)
