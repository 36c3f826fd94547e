"""Paired comparison of two systems: "is my checkpoint better?".

    python -m benchmarks.compare results/mine --a opus@6kbps --b semanticodec@1.4kbps
    python -m benchmarks.compare results/old_ckpt results/new_ckpt --a semanticodec@1.4kbps

A system is a codec label in a result folder (the folder ``python -m benchmarks.run`` wrote, with its
``store.sqlite``). With one folder, A and B are two codec labels of that run; with two folders, A is
in the first and B in the second (``--b`` defaults to ``--a``; either may be left out when its folder
holds a single codec).

Only clips that both systems scored successfully are compared: same dataset and clip id, both
reconstructions ok, both values finite, and the same metric fingerprint (metric implementation,
version and settings). Outputs whose settings differ between A and B are listed, never paired. Per
metric output and domain the report gives the number of pairs, each system's mean, the mean
difference B - A with a paired percentile-bootstrap confidence interval, the Wilcoxon signed-rank
p-value (scipy, two-sided, zero differences dropped), win/tie/loss counts of B against A in the
output's own direction, and a plot of the per-clip differences. Files written to the output folder:
``comparison.md``, ``comparison.csv``, ``pairs.csv`` (every pair), ``not_compared.csv`` and
``plots/``. The verdict says "B better" (or "A better") only when the interval excludes 0 and the
Wilcoxon p-value is below 1 - confidence.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import html
import json
import math
import re
import sys
import urllib.parse
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from benchmarks.api import EvaluationError, declared_outputs, open_store, per_clip_scores
from benchmarks.metrics.base import MetricOutput

__all__ = [
    "CompareError",
    "Comparison",
    "System",
    "compare",
    "csv_safe",
    "main",
    "markdown_escape",
    "paired_bootstrap_ci",
    "wilcoxon_p",
    "win_tie_loss",
    "write_comparison",
]

#: Two reconstructions of one clip id are the same clip only if their durations agree this closely.
DURATION_TOLERANCE_S = 1e-3
_PAIR_KEYS = ["dataset", "clip_id", "output", "fingerprint"]


class CompareError(ValueError):
    """The user asked for something that cannot be compared; the message says what and why."""


# -- statistics --------------------------------------------------------------------------------------
def paired_bootstrap_ci(
    a: np.ndarray,
    b: np.ndarray,
    *,
    confidence: float = 0.95,
    resamples: int = 10_000,
    seed: int = 0,
    batch: int | None = None,
) -> tuple[float, float]:
    """Percentile-bootstrap interval of mean(b - a), resampling clips (pairs) with replacement.

    The same draws as ``scipy.stats.bootstrap((a, b), lambda a, b, axis: np.mean(b - a, axis=axis),
    paired=True, method="percentile", n_resamples=resamples, rng=np.random.default_rng(seed))``:
    ``resamples`` rows of n indices from ``default_rng(seed)`` (drawing them in batches does not
    change them), and linear-interpolation quantiles.

    Args:
        a, b: float ndarray[n], paired values (finite).
        confidence: two-sided level, e.g. 0.95.
        resamples: number of bootstrap resamples.
        seed: seed of `numpy.random.default_rng`, so a report can be regenerated exactly.
        batch: resamples drawn at once, to bound memory (None: up to 4 M indices per batch).

    Returns:
        (low, high); (NaN, NaN) for fewer than two pairs.
    """
    diff = np.asarray(b, dtype=float) - np.asarray(a, dtype=float)
    n = diff.size
    if n < 2:
        return math.nan, math.nan
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if resamples < 1:
        raise ValueError(f"resamples must be positive, got {resamples}")
    step = int(batch) if batch else max(1, min(resamples, 4_000_000 // n))
    rng = np.random.default_rng(seed)
    means = []
    for start in range(0, resamples, step):
        rows = min(step, resamples - start)
        index = rng.integers(0, n, (rows, n))
        means.append(diff[index].mean(axis=-1))
    distribution = np.concatenate(means)
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(distribution, [alpha, 1.0 - alpha])
    return float(low), float(high)


def wilcoxon_p(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank p-value of b - a (``scipy.stats.wilcoxon``, zero differences
    dropped, scipy's automatic exact/normal choice). Every difference zero gives 1.0, as scipy does
    (without its division warning); no pair gives NaN."""
    diff = np.asarray(b, dtype=float) - np.asarray(a, dtype=float)
    if diff.size == 0:
        return math.nan
    if not np.any(diff != 0):
        return 1.0
    return float(stats.wilcoxon(diff, zero_method="wilcox", alternative="two-sided").pvalue)


def win_tie_loss(
    a: np.ndarray, b: np.ndarray, higher_is_better: bool, tie_tolerance: float = 0.0
) -> tuple[int, int, int]:
    """(wins, ties, losses) of B against A, clip by clip, in the metric's direction.

    A tie is ``|b - a| <= tie_tolerance``; otherwise B wins when its value is better (higher for a
    higher-is-better output, lower for a lower-is-better one).
    """
    diff = np.asarray(b, dtype=float) - np.asarray(a, dtype=float)
    tie = np.abs(diff) <= tie_tolerance
    better = diff > 0 if higher_is_better else diff < 0
    wins = int(np.sum(better & ~tie))
    ties = int(np.sum(tie))
    return wins, ties, int(diff.size - wins - ties)


# -- systems and pairing -----------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class System:
    """One side of a comparison: a codec label in a result folder."""

    folder: Path
    codec: str

    def label(self, with_folder: bool) -> str:
        return f"{self.folder.name}/{self.codec}" if with_folder else self.codec


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


def _system_scores(system: System) -> pd.DataFrame:
    with contextlib.closing(open_store(system.folder)) as store:
        frame = per_clip_scores(store)
        codecs = sorted(set(store.reconstructions()["codec"]))
    if system.codec not in codecs:
        listed = ", ".join(codecs) if codecs else "none"
        raise CompareError(f"codec {system.codec!r} is not in {system.folder} (it holds: {listed})")
    return frame[frame["codec"] == system.codec].reset_index(drop=True)


def _codecs_in(folder: Path) -> list[str]:
    with contextlib.closing(open_store(folder)) as store:
        return sorted(set(store.reconstructions()["codec"]))


def resolve_systems(
    folders: Sequence[str | Path], codec_a: str | None, codec_b: str | None
) -> tuple[System, System]:
    """The two systems named on the command line (see the module docstring)."""
    paths = [Path(f) for f in folders]
    if len(paths) not in (1, 2):
        raise CompareError("give one result folder (two codecs in it) or two result folders")
    for path in paths:
        open_store(path).close()  # raises a one-line error for a missing folder or store
    if len(paths) == 1:
        if not codec_a or not codec_b:
            raise CompareError(
                f"name both systems in {paths[0]} with --a and --b "
                f"(it holds: {', '.join(_codecs_in(paths[0]))})"
            )
        if codec_a == codec_b:
            raise CompareError(f"--a and --b are the same codec ({codec_a}); compare two different systems")
        return System(paths[0], codec_a), System(paths[0], codec_b)

    def pick(folder: Path, given: str | None, flag: str) -> str:
        if given:
            return given
        held = _codecs_in(folder)
        if len(held) == 1:
            return held[0]
        raise CompareError(
            f"{folder} holds {len(held)} codecs ({', '.join(held) or 'none'}); choose one with {flag}"
        )

    a = pick(paths[0], codec_a, "--a")
    b = pick(paths[1], codec_b or codec_a, "--b")
    if paths[0].resolve() == paths[1].resolve() and a == b:
        raise CompareError(f"A and B are the same system ({paths[0]} / {a})")
    return System(paths[0], a), System(paths[1], b)


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
    frame_a, frame_b = _system_scores(a), _system_scores(b)
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
                    verdict=_verdict(low, high, row["wilcoxon_p"], spec.higher_is_better, confidence),
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


def _verdict(low: float, high: float, p_value: float, higher_is_better: bool, confidence: float) -> str:
    """ "B better" / "A better" only when the interval excludes 0 and Wilcoxon agrees (p < 1 - confidence)."""
    if math.isnan(low) or math.isnan(high):
        return "too few pairs"
    if (low > 0 or high < 0) and p_value < 1.0 - confidence:
        return "B better" if (low > 0) == higher_is_better else "A better"
    return "no clear difference"


# -- output ------------------------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#])")


def markdown_escape(value: object) -> str:
    """`value` as text safe inside a Markdown table cell: HTML characters as entities, Markdown
    punctuation and pipes backslash-escaped, line breaks as spaces."""
    text = html.escape(str(value), quote=False)
    text = re.sub(r"[\r\n\t\v\f]+", " ", text)
    return _MD_SPECIAL.sub(r"\\\1", text)


_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def csv_safe(value: object) -> object:
    """Guard one CSV cell against formula injection: text starting with ``= + - @`` (or a tab / CR)
    gets a leading apostrophe unless it is a plain number; numbers stay numbers."""
    if not isinstance(value, str) or not value:
        return value
    if value[0] in "=+-@\t\r" and not _NUMBER.match(value):
        return "'" + value
    return value


def _safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with `csv_safe` applied to every text cell (numeric columns untouched)."""
    out = frame.copy()
    for column in out.columns:
        dtype = out[column].dtype
        if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
            out[column] = out[column].map(csv_safe).astype(object)
    return out


def _fmt(value: object, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return (
        f"{float(value):.{digits}g}"
        if abs(float(value)) < 1e-3 and value != 0
        else f"{float(value):.{digits}f}"
    )


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "x"


def plot_differences(comparison: Comparison, out_dir: Path) -> dict[tuple[str, str, str], Path]:
    """One PNG per output, domain and fingerprint: per-clip B - A sorted, the mean and its interval.

    Uses matplotlib's object API with the Agg canvas, so the caller's backend is left alone.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    out_dir.mkdir(parents=True, exist_ok=True)
    several = comparison.rows.groupby(["output", "domain"])["fingerprint"].transform("nunique") > 1
    written: dict[tuple[str, str, str], Path] = {}
    for (_, row), multi in zip(comparison.rows.iterrows(), several, strict=True):
        sel = comparison.pairs[
            (comparison.pairs["output"] == row["output"])
            & (comparison.pairs["domain"] == row["domain"])
            & (comparison.pairs["fingerprint"] == row["fingerprint"])
        ]
        diff = np.sort(sel["difference"].to_numpy(dtype=float))
        fig = Figure(figsize=(6.4, 3.8))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        direction = row["higher_is_better"]
        colours = (
            ["0.6"] * diff.size
            if direction is None
            else [
                "tab:green" if (d > 0) == bool(direction) and d != 0 else "tab:red" if d != 0 else "0.6"
                for d in diff
            ]
        )
        ax.bar(np.arange(diff.size), diff, color=colours, width=0.85)
        ax.axhline(0.0, color="black", linewidth=0.8)
        ax.axhline(row["mean_difference"], color="tab:blue", linewidth=1.2, label="mean B - A")
        if not math.isnan(row["ci_low"]):
            ax.axhspan(
                row["ci_low"],
                row["ci_high"],
                color="tab:blue",
                alpha=0.15,
                label=f"{comparison.settings['confidence']:.0%} bootstrap CI",
            )
        better = "" if direction is None else (" (> 0: B better)" if direction else " (< 0: B better)")
        unit = f" [{row['unit']}]" if row["unit"] else ""
        ax.set_ylabel(f"B - A{unit}{better}")
        colour_key = "" if direction is None else "; green: B better, red: A better"
        ax.set_xlabel(f"clips, sorted by difference (n = {diff.size}{colour_key})")
        title = f"{row['output']}, {row['domain']}: B = {comparison.b.codec} vs A = {comparison.a.codec}"
        ax.set_title(title.replace("$", r"\$"), fontsize=9)  # labels are text, never mathtext
        ax.legend(fontsize=8)
        ax.grid(True, axis="y", alpha=0.3)
        fig.tight_layout()
        stem = f"{row['output']}_{row['domain']}" + (f"_{row['fingerprint']}" if multi else "")
        path = out_dir / f"{_slug(stem)}.png"
        fig.savefig(path, dpi=110)
        written[(row["output"], row["domain"], row["fingerprint"])] = path
    return written


def _fp_note(comparison: Comparison, side: str) -> str:
    found = comparison.codec_fingerprints.get(side) or []
    return f" (codec fingerprint {markdown_escape(', '.join(found))})" if found else ""


def to_markdown(
    comparison: Comparison,
    plots: dict[tuple[str, str, str], Path] | None = None,
    relative_to: Path | None = None,
) -> str:
    """The comparison as a Markdown report (every data string escaped)."""
    a, b = comparison.a, comparison.b
    with_folder = a.folder != b.folder
    s = comparison.settings
    lines = [
        (
            f"# Paired comparison: B = {markdown_escape(b.label(with_folder))} "
            f"vs A = {markdown_escape(a.label(with_folder))}"
        ),
        "",
        f"- A: codec {markdown_escape(a.codec)} in {markdown_escape(a.folder)}{_fp_note(comparison, 'A')}",
        f"- B: codec {markdown_escape(b.codec)} in {markdown_escape(b.folder)}{_fp_note(comparison, 'B')}",
        (
            "- Clips: those both systems scored successfully (same dataset and clip id, finite values, same "
            "metric fingerprint)."
        ),
        (
            "- Differences are B - A. Interval: paired percentile bootstrap of the mean, "
            f"{int(s['resamples'])} resamples, seed {int(s['seed'])}, {s['confidence']:.0%}. "
            "p: Wilcoxon signed-rank (scipy), two-sided, zero differences dropped."
        ),
        (
            f"- Wins / ties / losses: clips where B is better / within {s['tie_tolerance']:g} / worse, "
            "in each output's direction (↑ higher is better, ↓ lower is better)."
        ),
        (
            "- Verdict: B better (or A better) only when the interval excludes 0 and "
            f"p < {1 - s['confidence']:.2g}; otherwise no clear difference."
        ),
        "",
        (
            "| output | domain | n | mean A | mean B | B - A | CI | p | B wins / ties / losses | verdict "
            "| plot |"
        ),
        "|---|---|---:|---:|---:|---:|---|---:|---|---|---|",
    ]
    fps = comparison.codec_fingerprints
    if fps.get("A") and fps.get("A") == fps.get("B"):
        lines.insert(
            4,
            "- A and B ran the same codec configuration and weights (same codec fingerprint); "
            "any difference comes from elsewhere (clips, metric settings, randomness).",
        )
    several = comparison.rows.groupby(["output", "domain"])["fingerprint"].transform("nunique") > 1
    for (_, row), multi in zip(comparison.rows.iterrows(), several, strict=True):
        arrow = {True: " ↑", False: " ↓"}.get(row["higher_is_better"], " (direction unknown)")
        name = f"{row['output']}[{row['fingerprint']}]" if multi else row["output"]
        unit = f" {row['unit']}" if row["unit"] else ""
        wtl = (
            "n/a"
            if row["wins"] is None or pd.isna(row["wins"])
            else f"{int(row['wins'])} / {int(row['ties'])} / {int(row['losses'])}"
        )
        plot = ""
        if plots and (row["output"], row["domain"], row["fingerprint"]) in plots:
            path = plots[(row["output"], row["domain"], row["fingerprint"])]
            target = path.relative_to(relative_to) if relative_to else path
            plot = f"[plot]({urllib.parse.quote(target.as_posix())})"
        lines.append(
            f"| {markdown_escape(name)}{arrow}{markdown_escape(unit)} | {markdown_escape(row['domain'])} | "
            f"{int(row['n_pairs'])} | {_fmt(row['mean_a'])} | {_fmt(row['mean_b'])} | "
            f"{_fmt(row['mean_difference'])} | [{_fmt(row['ci_low'])}, {_fmt(row['ci_high'])}] | "
            f"{_fmt(row['wilcoxon_p'], 3)} | {wtl} | {markdown_escape(row['verdict'])} | {plot} |"
        )
    dropped = comparison.rows[["n_only_a", "n_only_b", "n_failed"]].sum()
    lines += [
        "",
        (
            f"Left out of the pairs: {int(dropped['n_only_a'])} scores of A only, "
            f"{int(dropped['n_only_b'])} of B only, "
            f"{int(dropped['n_failed'])} where a metric failed for A or B (counted per output and domain)."
        ),
    ]
    if not comparison.not_compared.empty:
        lines += ["", "## Not compared", "", "| output | domain | reason |", "|---|---|---|"]
        for _, row in comparison.not_compared.iterrows():
            lines.append(
                f"| {markdown_escape(row['output'])} | {markdown_escape(row['domain'])} | "
                f"{markdown_escape(row['reason'])} |"
            )
    return "\n".join(lines) + "\n"


def write_comparison(comparison: Comparison, out_dir: Path, plots: bool = True) -> dict[str, Path]:
    """Write comparison.md, comparison.csv, pairs.csv, not_compared.csv and plots/ under `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        name: out_dir / name for name in ("comparison.md", "comparison.csv", "pairs.csv", "not_compared.csv")
    }
    figures = plot_differences(comparison, out_dir / "plots") if plots else {}
    rows = comparison.rows.assign(
        system_a=comparison.a.label(comparison.a.folder != comparison.b.folder),
        system_b=comparison.b.label(comparison.a.folder != comparison.b.folder),
        confidence=comparison.settings["confidence"],
        resamples=int(comparison.settings["resamples"]),
        seed=int(comparison.settings["seed"]),
        codec_fingerprint_a=";".join(comparison.codec_fingerprints.get("A") or []),
        codec_fingerprint_b=";".join(comparison.codec_fingerprints.get("B") or []),
    )
    _safe_frame(rows).to_csv(paths["comparison.csv"], index=False)
    _safe_frame(comparison.pairs).to_csv(paths["pairs.csv"], index=False)
    _safe_frame(comparison.not_compared).to_csv(paths["not_compared.csv"], index=False)
    paths["comparison.md"].write_text(to_markdown(comparison, figures, relative_to=out_dir), encoding="utf-8")
    if figures:
        paths["plots"] = out_dir / "plots"
    return paths


def _default_out(a: System, b: System) -> Path:
    if a.folder == b.folder:
        return a.folder / "compare" / f"{_slug(b.codec)}_vs_{_slug(a.codec)}"
    return b.folder / "compare" / f"{_slug(b.codec)}_vs_{_slug(a.folder.name)}-{_slug(a.codec)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.compare",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("folders", nargs="+", metavar="RESULTS", help="one result folder, or two (A then B)")
    parser.add_argument("--a", dest="codec_a", help="codec label of system A")
    parser.add_argument("--b", dest="codec_b", help="codec label of system B (two folders: defaults to --a)")
    parser.add_argument("--metrics", help="comma list of metric outputs to compare (default: all visible)")
    parser.add_argument("--resamples", type=int, default=10_000, help="bootstrap resamples (default 10000)")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    parser.add_argument("--confidence", type=float, default=0.95, help="interval level (default 0.95)")
    parser.add_argument(
        "--tie-tolerance", type=float, default=0.0, help="|B - A| counted as a tie (default 0)"
    )
    parser.add_argument("--out", type=Path, help="output folder (default: <folder of B>/compare/<B>_vs_<A>)")
    parser.add_argument("--no-plots", action="store_true", help="skip the per-clip difference plots")
    args = parser.parse_args(argv)
    try:
        if args.resamples < 1:
            raise CompareError(f"--resamples must be at least 1, got {args.resamples}")
        if not 0.0 < args.confidence < 1.0:
            raise CompareError(f"--confidence must be between 0 and 1, got {args.confidence}")
        if args.tie_tolerance < 0:
            raise CompareError(f"--tie-tolerance must not be negative, got {args.tie_tolerance}")
        a, b = resolve_systems(args.folders, args.codec_a, args.codec_b)
        outputs = [o.strip() for o in args.metrics.split(",") if o.strip()] if args.metrics else None
        comparison = compare(
            a,
            b,
            outputs=outputs,
            resamples=args.resamples,
            seed=args.seed,
            confidence=args.confidence,
            tie_tolerance=args.tie_tolerance,
        )
        out_dir = args.out or _default_out(a, b)
        paths = write_comparison(comparison, out_dir, plots=not args.no_plots)
    except (CompareError, EvaluationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(paths["comparison.md"].read_text(encoding="utf-8"))
    print(
        f"Written: {out_dir}/ (comparison.md, comparison.csv, pairs.csv, not_compared.csv"
        + (", plots/)" if not args.no_plots else ")")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
