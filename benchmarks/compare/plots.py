"""Per-clip difference plots of a comparison (matplotlib's object API on the Agg canvas)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from benchmarks.compare.pairing import Comparison
from benchmarks.compare.render import slug

__all__ = ["plot_differences"]


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
        path = out_dir / f"{slug(stem)}.png"
        fig.savefig(path, dpi=110)
        written[(row["output"], row["domain"], row["fingerprint"])] = path
    return written
