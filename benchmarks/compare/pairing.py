"""Pairing: the clips A and B both scored under the same metric settings, and the statistics per
metric output and domain (see `benchmarks.compare`)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence

import numpy as np
import pandas as pd

from benchmarks.api import declared_outputs
from benchmarks.compare.statistics import paired_bootstrap_ci, verdict, wilcoxon_p, win_tie_loss
from benchmarks.compare.systems import CompareError, System, system_scores
from benchmarks.metrics.base import MetricOutput

__all__ = ["DURATION_TOLERANCE_S", "Comparison", "compare"]


#: Two reconstructions of one clip id are the same clip only if their durations agree this closely.
DURATION_TOLERANCE_S = 1e-3


_PAIR_KEYS = ["dataset", "clip_id", "output", "fingerprint"]


@dataclasses.dataclass
class Comparison:
    """The comparison of B against A.

    Attributes:
        rows: one row per output, domain and fingerprint (see `_ROW_COLUMNS`).
        pairs: one row per compared clip: dataset, clip_id, domain, output, fingerprint, value_a,
            value_b, difference (B - A).
        not_compared: outputs/domains or clips left out, with the reason.
        settings: resamples, seed, confidence, tie tolerance.
        codec_fingerprints: per side ("A", "B"), the codec fingerprints (resolved configuration and
            weight contents) of the compared rows, where the store records them.
    """

    a: System
    b: System
    rows: pd.DataFrame
    pairs: pd.DataFrame
    not_compared: pd.DataFrame
    settings: dict[str, float]
    codec_fingerprints: dict[str, list[str]] = dataclasses.field(default_factory=dict)


_ROW_COLUMNS = [
    "output",
    "domain",
    "fingerprint",
    "unit",
    "higher_is_better",
    "n_pairs",
    "mean_a",
    "mean_b",
    "mean_difference",
    "ci_low",
    "ci_high",
    "wilcoxon_p",
    "wins",
    "ties",
    "losses",
    "verdict",
    "n_only_a",
    "n_only_b",
    "n_failed",
]


def _provenance_difference(prov_a: str, prov_b: str) -> str:
    """Which provenance keys differ, as ``key: A value vs B value`` (short)."""
    try:
        left, right = json.loads(prov_a), json.loads(prov_b)
    except (TypeError, ValueError):
        return "provenance differs"
    keys = sorted(k for k in set(left) | set(right) if left.get(k) != right.get(k))
    return "; ".join(f"{k}: {left.get(k)!r} vs {right.get(k)!r}" for k in keys) or "provenance differs"


def compare(
    a: System,
    b: System,
    *,
    outputs: Sequence[str] | None = None,
    resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
    tie_tolerance: float = 0.0,
) -> Comparison:
    """Pair the clips A and B both scored and compute the statistics (see the module docstring).

    Args:
        a, b: the two systems.
        outputs: metric outputs to compare (None: every visible output both have).
        resamples, seed, confidence: of the paired bootstrap.
        tie_tolerance: |B - A| up to this counts as a tie.

    Raises:
        CompareError: unknown codec or output, or no clip scored by both under the same settings.
    """
    frame_a, frame_b = system_scores(a), system_scores(b)
    declared = declared_outputs(
        pd.concat([frame_a["metric"], frame_b["metric"]]).unique(), [a.folder, b.folder]
    )
    available = set(frame_a["output"]) | set(frame_b["output"])
    if outputs:
        unknown = [o for o in outputs if o not in available]
        if unknown:
            raise CompareError(
                f"output(s) {', '.join(unknown)} not scored for either system "
                f"(scored: {', '.join(sorted(available))})"
            )
        keep = set(outputs)
    else:
        keep = {o for o in available if not (o in declared and declared[o].hidden)}
    not_compared: list[dict[str, object]] = []
    for name in sorted(keep):
        spec = declared.get(name)
        if spec is not None and spec.aggregate != "mean":
            not_compared.append(
                {
                    "output": name,
                    "domain": "",
                    "reason": (
                        f"corpus-level output ({spec.aggregate}); its per-clip values are compared under the "
                        "per-clip output"
                    ),
                }
            )
    keep = {o for o in keep if o not in declared or declared[o].aggregate == "mean"}
    frame_a = frame_a[frame_a["output"].isin(keep)]
    frame_b = frame_b[frame_b["output"].isin(keep)]

    merged = frame_a.merge(frame_b, on=_PAIR_KEYS, how="outer", suffixes=("_a", "_b"), indicator=True)
    merged["domain"] = merged["domain_a"].fillna(merged["domain_b"])
    keep_rows, clashes = _same_audio(merged)
    not_compared.extend(clashes)
    merged = merged[keep_rows]

    rows, pair_frames = [], []
    for (output, domain), group in merged.groupby(["output", "domain"], sort=True):
        spec: MetricOutput | None = declared.get(output)
        fps_a = set(group.loc[group["_merge"] != "right_only", "fingerprint"])
        fps_b = set(group.loc[group["_merge"] != "left_only", "fingerprint"])
        shared = sorted(fps_a & fps_b)
        if not fps_a or not fps_b:
            side = "A" if fps_a else "B"
            not_compared.append(
                {"output": output, "domain": domain, "reason": f"scored for {side} only; nothing to pair"}
            )
            continue
        if not shared:
            prov_a = group.loc[group["_merge"] == "left_only", "provenance_json_a"].iloc[0]
            prov_b = group.loc[group["_merge"] == "right_only", "provenance_json_b"].iloc[0]
            not_compared.append(
                {
                    "output": output,
                    "domain": domain,
                    "reason": (
                        f"metric settings differ (A {', '.join(sorted(fps_a))}, "
                        f"B {', '.join(sorted(fps_b))}): " + _provenance_difference(prov_a, prov_b)
                    ),
                }
            )
            continue
        for fp in sorted(fps_a ^ fps_b):
            side = "A" if fp in fps_a else "B"
            not_compared.append(
                {
                    "output": output,
                    "domain": domain,
                    "reason": (
                        f"scores under fingerprint {fp} exist for {side} only "
                        "(other metric settings); not paired"
                    ),
                }
            )
        for fp in shared:
            sel = group[group["fingerprint"] == fp]
            paired = sel[sel["_merge"] == "both"]
            finite = np.isfinite(paired["value_a"].astype(float)) & np.isfinite(
                paired["value_b"].astype(float)
            )
            good = paired[finite]
            va = good["value_a"].to_numpy(dtype=float)
            vb = good["value_b"].to_numpy(dtype=float)
            row: dict[str, object] = {
                "output": output,
                "domain": domain,
                "fingerprint": fp,
                "unit": spec.unit if spec else "",
                "higher_is_better": spec.higher_is_better if spec else None,
                "n_pairs": int(va.size),
                "n_only_a": int((sel["_merge"] == "left_only").sum()),
                "n_only_b": int((sel["_merge"] == "right_only").sum()),
                "n_failed": int((~finite).sum()),
            }
            if va.size == 0:
                not_compared.append(
                    {
                        "output": output,
                        "domain": domain,
                        "reason": (f"no clip with a finite value for both (fingerprint {fp})"),
                    }
                )
                continue
            low, high = paired_bootstrap_ci(va, vb, confidence=confidence, resamples=resamples, seed=seed)
            row.update(
                mean_a=float(va.mean()),
                mean_b=float(vb.mean()),
                mean_difference=float((vb - va).mean()),
                ci_low=low,
                ci_high=high,
                wilcoxon_p=wilcoxon_p(va, vb),
            )
            if spec is not None:
                wins, ties, losses = win_tie_loss(va, vb, spec.higher_is_better, tie_tolerance)
                row.update(
                    wins=wins,
                    ties=ties,
                    losses=losses,
                    verdict=verdict(low, high, row["wilcoxon_p"], spec.higher_is_better, confidence),
                )
            else:
                row.update(wins=None, ties=None, losses=None, verdict="direction unknown")
            rows.append(row)
            pair_frames.append(
                pd.DataFrame(
                    {
                        "dataset": good["dataset"].to_numpy(),
                        "clip_id": good["clip_id"].to_numpy(),
                        "domain": domain,
                        "output": output,
                        "fingerprint": fp,
                        "value_a": va,
                        "value_b": vb,
                        "difference": vb - va,
                    }
                )
            )
    if not rows:
        reasons = "; ".join(str(r["reason"]) for r in not_compared[:3])
        raise CompareError(
            f"{a.label(a.folder != b.folder)} and {b.label(a.folder != b.folder)} have no clip that both "
            "scored successfully under the same metric settings" + (f" ({reasons})" if reasons else "")
        )
    pairs = pd.concat(pair_frames, ignore_index=True)
    return Comparison(
        a=a,
        b=b,
        rows=pd.DataFrame(rows, columns=_ROW_COLUMNS),
        pairs=pairs,
        not_compared=pd.DataFrame(not_compared, columns=["output", "domain", "reason"]),
        settings={
            "resamples": resamples,
            "seed": seed,
            "confidence": confidence,
            "tie_tolerance": tie_tolerance,
        },
        codec_fingerprints={"A": _codec_fingerprints(frame_a), "B": _codec_fingerprints(frame_b)},
    )


def _codec_fingerprints(frame: pd.DataFrame) -> list[str]:
    if "codec_fingerprint" not in frame.columns:
        return []
    return sorted(set(frame["codec_fingerprint"].dropna().astype(str)))


def _same_audio(merged: pd.DataFrame) -> tuple[pd.Series, list[dict[str, object]]]:
    """Mask of merged rows whose A and B sides describe the same clip audio, and the clashes found.

    The same dataset and clip id is not enough across result folders (a dataset root may have
    changed): the domain, the duration and, where the store records it, the clip fingerprint
    (content, segment, evaluation rate) must agree.
    """
    both = merged["_merge"] == "both"
    checks = [(merged["domain_a"] != merged["domain_b"], "same clip id, different domain")]
    duration = (merged["duration_s_a"].astype(float) - merged["duration_s_b"].astype(float)).abs()
    checks.append((duration > DURATION_TOLERANCE_S, "same clip id, different duration: not the same audio"))
    # The input audio's fingerprint where the store records it (`clip_fingerprint` also covers a
    # stored-output system's own file, so it differs between two such systems on the same clip).
    columns = set(merged.columns)
    if {"clip_fingerprint_a", "clip_fingerprint_b"} <= columns:
        side_a, side_b = merged["clip_fingerprint_a"], merged["clip_fingerprint_b"]
        if {"input_fingerprint_a", "input_fingerprint_b"} <= columns:
            known = merged["input_fingerprint_a"].notna() & merged["input_fingerprint_b"].notna()
            side_a = side_a.where(~known, merged["input_fingerprint_a"])
            side_b = side_b.where(~known, merged["input_fingerprint_b"])
        differs = side_a.astype(str) != side_b.astype(str)
        checks.append((differs, "same clip id, different clip fingerprint: other content or evaluation rate"))
    bad = pd.Series(False, index=merged.index)
    clashes: list[dict[str, object]] = []
    for mask, why in checks:
        new = both & mask & ~bad
        for _, row in merged[new].drop_duplicates(["dataset", "clip_id"]).iterrows():
            clashes.append(
                {"output": "", "domain": row["domain"], "reason": f"{row['dataset']}/{row['clip_id']}: {why}"}
            )
        bad |= new
    return ~bad, clashes
