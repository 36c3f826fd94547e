"""What a run folder holds, read back for the listening page: its CSVs, its store and its run's clips.

A run folder (``results/<name>/``) has the report CSVs written by `benchmarks.report.build`, and, when
it was written by ``python -m benchmarks.run``, the store (``store.sqlite``) with per-clip results and
the configuration of every run. Reconstructions live in the cache folder the run used; a relative cache
path is resolved against the folder the run was started from (derived from ``output_root`` and
``name``) or the current folder.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.datasets.base import Clip
from benchmarks.report.escape import csv_cell_unescape
from benchmarks.store import ResultStore

__all__ = ["RunFolder", "read_report_csv", "open_run_folder", "clips_of_run", "STORE_NAME"]

log = logging.getLogger(__name__)

STORE_NAME = "store.sqlite"


def read_report_csv(path: Path) -> pd.DataFrame | None:
    """A CSV written by the report (strings exactly as before escaping), or None when absent or empty."""
    if not path.is_file() or path.stat().st_size == 0:
        return None
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.columns = [csv_cell_unescape(c) for c in frame.columns]
    return frame.map(csv_cell_unescape)


@dataclasses.dataclass
class RunFolder:
    """The parts of a run folder the page shows.

    Attributes:
        path: the run folder.
        config: the configuration of the newest run in the store ({} without a store).
        reconstructions / scores: the store's current rows (empty frames without a store).
        has_store: whether the folder holds a store.
        origins: folders a relative cache path may be relative to, in the order tried.
    """

    path: Path
    config: dict[str, Any]
    reconstructions: pd.DataFrame
    scores: pd.DataFrame
    has_store: bool
    origins: list[Path]

    def csv(self, name: str) -> pd.DataFrame | None:
        return read_report_csv(self.path / name)

    def resolve(self, stored_path: str) -> Path:
        """The file a store row's path names (absolute, or relative to the folder the run started in)."""
        path = Path(stored_path)
        if path.is_absolute():
            return path
        for origin in self.origins:
            if (origin / path).exists():
                return origin / path
        return self.origins[0] / path


def _run_origin(folder: Path, config: dict[str, Any]) -> Path | None:
    """The working folder of the run: `folder` minus its ``output_root/name`` tail (relative roots only)."""
    root, name = config.get("output_root"), config.get("name")
    if not root or not name or Path(str(root)).is_absolute():
        return None
    tail = Path(str(root), str(name)).parts
    parts = folder.resolve().parts
    if len(parts) > len(tail) and parts[-len(tail):] == tail:
        return Path(*parts[: -len(tail)])
    return None


def open_run_folder(folder: Path) -> RunFolder:
    """Read `folder`'s store (if any): newest run configuration, current reconstructions and scores."""
    store_path = folder / STORE_NAME
    config: dict[str, Any] = {}
    recons, scores = pd.DataFrame(), pd.DataFrame()
    has_store = store_path.is_file()
    if has_store:
        with ResultStore(store_path) as store:
            runs = store.runs()
            if not runs.empty:
                config = json.loads(runs["config_json"].iloc[-1] or "{}")
            recons = store.reconstructions()
            scores = store.scores()
    origins = [Path.cwd()]
    origin = _run_origin(folder, config)
    if origin is not None and origin != Path.cwd():
        origins.insert(0, origin)
    return RunFolder(folder, config, recons, scores, has_store, origins)


def clips_of_run(run: RunFolder) -> tuple[list[Clip], str]:
    """The clips of the newest run, loaded again from its configuration; ([], reason) when they cannot be.

    Only the clips that the store holds reconstructions of are kept (a dataset may have grown since).
    """
    if not run.config:
        return [], "the folder has no run configuration (no store)"
    from omegaconf import OmegaConf

    from benchmarks.run import load_clips

    try:
        clips = load_clips(OmegaConf.create(run.config))
    except Exception as exc:  # noqa: BLE001 - the page still shows the reconstructions
        return [], f"the run's datasets could not be read again ({type(exc).__name__}: {exc})"
    if not run.reconstructions.empty:
        keys = set(zip(run.reconstructions["dataset"], run.reconstructions["clip_id"]))
        clips = [c for c in clips if (c.dataset, c.clip_id) in keys]
    return clips, ""


def stand_in_clips(recons: pd.DataFrame, known: Sequence[Clip]) -> list[Clip]:
    """Clips the store has reconstructions of but `known` lacks, as records without an audio file."""
    have = {(c.dataset, c.clip_id) for c in known}
    out = []
    if recons.empty:
        return out
    for row in recons.drop_duplicates(["dataset", "clip_id"]).itertuples(index=False):
        if (row.dataset, row.clip_id) not in have:
            out.append(Clip(clip_id=row.clip_id, path="", domain=row.domain, dataset=row.dataset,
                            duration_s=row.duration_s if pd.notna(row.duration_s) else None,
                            error="the original clip is not available to this report"))
    return out
