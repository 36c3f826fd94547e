"""The Pareto front of quality against bitrate: the systems no other system beats at the same or a lower rate.

A system *dominates* another when its bitrate is lower or equal and its score is at least as good (in
the metric's direction: higher or lower is better), and one of the two strictly. The front of a metric
in a domain is the set of non-dominated systems, ordered by bitrate; drawn as a step line it is the
best score reachable at each bitrate. Bitrates are the ones the figures use: measured where the codec
ran here, nominal otherwise. Systems without a bitrate (the reference) or without a mean take no part.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.report.escape import write_csv

__all__ = ["pareto_mask", "pareto_front", "pareto_table", "write_pareto_csv", "PARETO_CSV", "PARETO_COLUMNS"]

PARETO_CSV = "pareto_front.csv"
PARETO_COLUMNS = ("domain", "output", "label", "codec", "family", "kbps", "bitrate_source", "mean",
                  "higher_is_better")


def pareto_mask(kbps: np.ndarray, score: np.ndarray, higher_is_better: bool) -> np.ndarray:
    """Boolean ndarray[N]: True for the points no other point dominates.

    Args:
        kbps: ndarray[N] bitrates (lower is better).
        score: ndarray[N] metric values.
        higher_is_better: the metric's direction.

    Equal points do not dominate each other (both stay on the front). NaN points are never on it.
    """
    kbps = np.asarray(kbps, dtype=float)
    quality = np.asarray(score, dtype=float) * (1.0 if higher_is_better else -1.0)
    valid = np.isfinite(kbps) & np.isfinite(quality)
    keep = valid.copy()
    for i in np.flatnonzero(valid):
        others = valid & (kbps <= kbps[i]) & (quality >= quality[i]) & ((kbps < kbps[i]) | (quality > quality[i]))
        keep[i] = not others.any()
    return keep


def pareto_front(points: pd.DataFrame, higher_is_better: bool) -> pd.DataFrame:
    """The rows of `points` (columns kbps, mean, ...) on the front, ordered by bitrate then score."""
    mask = pareto_mask(points["kbps"].to_numpy(), points["mean"].to_numpy(), higher_is_better)
    front = points[mask]
    order = front["mean"] * (-1.0 if higher_is_better else 1.0)
    return front.assign(_order=order).sort_values(["kbps", "_order"]).drop(columns="_order").reset_index(drop=True)


def _bitrates(summary: pd.DataFrame, codecs: pd.DataFrame) -> pd.DataFrame:
    info = codecs.set_index("codec")
    columns = [c for c in ("family", "nominal_bitrate_kbps", "measured_bitrate_kbps") if c in info.columns]
    data = summary.join(info[columns], on="codec")
    measured = data["measured_bitrate_kbps"] if "measured_bitrate_kbps" in data else pd.Series(np.nan, data.index)
    nominal = data["nominal_bitrate_kbps"] if "nominal_bitrate_kbps" in data else pd.Series(np.nan, data.index)
    data["kbps"] = pd.to_numeric(measured, errors="coerce").fillna(pd.to_numeric(nominal, errors="coerce"))
    data["bitrate_source"] = np.where(pd.to_numeric(measured, errors="coerce").notna(), "measured", "nominal")
    if "family" not in data:
        data["family"] = data["codec"]
    return data


def pareto_table(summary: pd.DataFrame, codecs: pd.DataFrame) -> pd.DataFrame:
    """Every front: per (domain, output label) the non-dominated codecs, columns `PARETO_COLUMNS`.

    Args:
        summary: output of `benchmarks.report.summary.summarise` (codec, domain, output, label, mean,
            higher_is_better).
        codecs: one row per codec with family, nominal_bitrate_kbps, measured_bitrate_kbps.
    """
    if summary.empty or codecs.empty:
        return pd.DataFrame(columns=list(PARETO_COLUMNS))
    data = _bitrates(summary, codecs)
    fronts = []
    for (_domain, _label), group in data.groupby(["domain", "label"], sort=False):
        higher = bool(group["higher_is_better"].iloc[0])
        front = pareto_front(group, higher)
        if not front.empty:
            fronts.append(front)
    if not fronts:
        return pd.DataFrame(columns=list(PARETO_COLUMNS))
    return pd.concat(fronts, ignore_index=True)[list(PARETO_COLUMNS)]


def write_pareto_csv(summary: pd.DataFrame, codecs: pd.DataFrame, out_dir: Path) -> Path:
    """Write `PARETO_CSV` under `out_dir` (escaped like every report CSV); returns its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return write_csv(pareto_table(summary, codecs), out_dir / PARETO_CSV)
