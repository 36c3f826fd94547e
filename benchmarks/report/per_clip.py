"""Per-clip export beside the tables: every per-clip score with the fingerprints that identify it.

One row per (codec, dataset, clip, metric output): the value (empty/null when the metric could not
score the clip, with the reason), the metric's provenance fingerprint (the key into provenance.csv),
every fingerprint the store keeps for the reconstruction, and the reconstruction's duration, measured
bitrate and handling notes. Written as ``per_clip.csv`` (escaped for spreadsheets) and
``per_clip.jsonl`` (one JSON object per line, exact strings).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from benchmarks.report.escape import jsonl_line, write_csv

__all__ = ["per_clip_frame", "write_per_clip", "PER_CLIP_COLUMNS"]

#: Leading columns, always present; fingerprint columns of the reconstructions follow `metric_fingerprint`.
PER_CLIP_COLUMNS = (
    "dataset", "clip_id", "domain", "codec", "metric", "output", "value", "reason", "metric_fingerprint",
)
_RECONSTRUCTION_COLUMNS = ("duration_s", "measured_bitrate_kbps", "notes")
_KEY = ["codec", "dataset", "clip_id"]


def _fingerprint_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if "fingerprint" in c]


def per_clip_frame(scores: pd.DataFrame, recons: pd.DataFrame) -> pd.DataFrame:
    """Scores joined with their reconstruction rows.

    Args:
        scores: rows of `ResultStore.scores()` (with a ``domain`` column added), already selected.
        recons: rows of `ResultStore.reconstructions()`.

    The scores' ``fingerprint`` (the metric provenance) becomes ``metric_fingerprint``; a reconstruction
    ``fingerprint`` column becomes ``codec_fingerprint``. Fingerprint columns that both tables hold are
    part of the join key; otherwise the newest reconstruction row of a (codec, dataset, clip) is used.
    """
    scores = scores.rename(columns={"fingerprint": "metric_fingerprint"})
    if "domain" not in scores.columns:
        scores = scores.assign(domain="")
    if recons.empty:
        recons = pd.DataFrame(columns=_KEY)
    recons = recons.rename(columns={"fingerprint": "codec_fingerprint"})
    shared = [c for c in _fingerprint_columns(recons) if c in scores.columns]
    keep = _KEY + shared + [c for c in _fingerprint_columns(recons) if c not in shared] + [
        c for c in _RECONSTRUCTION_COLUMNS if c in recons.columns]
    if "created_at" in recons.columns:
        recons = recons.sort_values("created_at")
    recons = recons.drop_duplicates(_KEY + shared, keep="last")[keep]
    merged = scores.merge(recons, on=_KEY + shared, how="left", suffixes=("", "_reconstruction"))
    fingerprints = [c for c in _fingerprint_columns(merged) if c != "metric_fingerprint"]
    extra = [c for c in _RECONSTRUCTION_COLUMNS if c in merged.columns]
    columns = [c for c in PER_CLIP_COLUMNS if c in merged.columns] + fingerprints + extra
    if "run_id" in merged.columns:
        columns.append("run_id")
    out = merged[columns].sort_values(["dataset", "clip_id", "codec", "output"], kind="stable")
    return out.reset_index(drop=True)


def write_per_clip(frame: pd.DataFrame, out_dir: Path) -> dict[str, Path]:
    """Write ``per_clip.csv`` and ``per_clip.jsonl`` under `out_dir`; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"per_clip_csv": out_dir / "per_clip.csv", "per_clip_jsonl": out_dir / "per_clip.jsonl"}
    # Full precision: these are the numbers others recompute means and tests from.
    write_csv(frame, paths["per_clip_csv"], float_format=None)
    with open(paths["per_clip_jsonl"], "w", encoding="utf-8", newline="\n") as fh:
        for record in frame.to_dict(orient="records"):
            fh.write(jsonl_line(record) + "\n")
    return paths
