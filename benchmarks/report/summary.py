"""From per-clip rows to per-(codec, domain, output) summaries with clip counts and 95 % intervals.

Means cover only the clips where the metric produced a value; `n` and `n_failed` say how many that
is. Outputs with a ``ratio:NUM/DEN`` aggregate (corpus-level WER) are the ratio of sums. Scores with
different provenance fingerprints are never pooled: each fingerprint gets its own column key.
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pandas as pd
from scipy import stats

from benchmarks.metrics.base import MetricOutput

__all__ = ["summarise", "mean_ci", "column_keys", "ColumnKey"]


def mean_ci(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float]:
    """Mean and half-width of the t-based confidence interval (NaN half-width for n < 2)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return math.nan, math.nan
    mean = float(values.mean())
    if values.size < 2:
        return mean, math.nan
    sem = float(values.std(ddof=1) / math.sqrt(values.size))
    return mean, float(stats.t.ppf(0.5 + confidence / 2, values.size - 1) * sem)


@dataclasses.dataclass(frozen=True)
class ColumnKey:
    """One table column: an output in a domain under one provenance fingerprint."""

    output: str
    domain: str
    fingerprint: str
    label: str  # output name, suffixed with the fingerprint when the output has several


def column_keys(scores: pd.DataFrame) -> list[ColumnKey]:
    """Columns to show; an (output, domain) with several fingerprints gets one column per fingerprint."""
    keys = []
    for (output, domain), group in scores.groupby(["output", "domain"], sort=False):
        fps = list(dict.fromkeys(group["fingerprint"]))
        for fp in fps:
            label = output if len(fps) == 1 else f"{output}[{fp}]"
            keys.append(ColumnKey(output, domain, fp, label))
    return keys


def summarise(
    scores: pd.DataFrame, outputs: dict[str, MetricOutput], confidence: float = 0.95
) -> pd.DataFrame:
    """Summary rows: codec, domain, output, label, fingerprint, mean, ci, n, n_failed, higher_is_better.

    Args:
        scores: store scores joined with the clip domain (columns codec, domain, output, fingerprint,
            value, reason, provenance_json).
        outputs: declared outputs by name (direction, aggregation, hidden).
    """
    rows = []
    keys = column_keys(scores)
    for key in keys:
        spec = outputs.get(key.output)
        if spec is None or spec.hidden:
            continue
        sel = scores[(scores["output"] == key.output) & (scores["domain"] == key.domain) & (scores["fingerprint"] == key.fingerprint)]
        for codec, group in sel.groupby("codec", sort=False):
            values = group["value"].to_numpy(dtype=float)
            n_ok = int(np.isfinite(values).sum())
            if spec.aggregate.startswith("ratio:"):
                num, den = spec.aggregate[len("ratio:"):].split("/")
                sums = {}
                for part in (num, den):
                    part_rows = scores[(scores["codec"] == codec) & (scores["output"] == part) & (scores["domain"] == key.domain) & (scores["fingerprint"] == key.fingerprint)]
                    sums[part] = float(np.nansum(part_rows["value"].to_numpy(dtype=float)))
                mean = sums[num] / sums[den] if sums[den] else math.nan
                if spec.unit == "%":
                    mean *= 100.0
                ci = math.nan
            else:
                mean, ci = mean_ci(values, confidence)
            rows.append(
                dict(
                    codec=codec, domain=key.domain, output=key.output, label=key.label,
                    fingerprint=key.fingerprint, mean=mean, ci=ci, n=n_ok, n_failed=int(len(values) - n_ok),
                    higher_is_better=spec.higher_is_better, unit=spec.unit,
                    provenance=json.loads(group["provenance_json"].iloc[0]),
                )
            )
    return pd.DataFrame(rows)
