"""Bitrate-quality curves: one figure per metric output and domain, one curve per codec family.

The x axis is the measured bitrate where the codec ran here (nominal otherwise, marked hollow), on a
log scale; the y axis is the mean with its 95 % interval, and the axis label carries the direction.
Configurations with random weights are labelled as such in the legend.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

__all__ = ["plot_bitrate_quality"]


def plot_bitrate_quality(summary: pd.DataFrame, codecs: pd.DataFrame, out_dir: Path) -> list[Path]:
    """Write ``<label>_<domain>.{png,svg}`` under `out_dir`; returns the PNG paths.

    Args:
        summary: output of `benchmarks.report.summary.summarise`.
        codecs: one row per codec with family, weights, nominal_bitrate_kbps, measured_bitrate_kbps.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    if summary.empty:
        return []
    info = codecs.set_index("codec")
    written = []
    for (label, domain), group in summary.groupby(["label", "domain"], sort=False):
        data = group.join(info[["family", "weights", "nominal_bitrate_kbps", "measured_bitrate_kbps"]], on="codec")
        data["measured"] = data["measured_bitrate_kbps"].notna()
        data["kbps"] = data["measured_bitrate_kbps"].fillna(data["nominal_bitrate_kbps"])
        data = data[data["kbps"].notna() & data["mean"].notna()]
        if data.empty:
            continue
        higher = bool(group["higher_is_better"].iloc[0])
        unit = group["unit"].iloc[0]
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        for family, fam in data.groupby("family", sort=True):
            fam = fam.sort_values("kbps")
            random = fam["weights"].astype(str).str.startswith("random").any()
            name = f"{family} (RANDOM WEIGHTS)" if random else family
            line = ax.errorbar(fam["kbps"], fam["mean"], yerr=fam["ci"].fillna(0.0), marker="o", capsize=3, label=name,
                               linestyle="--" if random else "-")
            hollow = fam[~fam["measured"]]
            if not hollow.empty:
                ax.scatter(hollow["kbps"], hollow["mean"], s=60, facecolors="white",
                           edgecolors=line[0].get_color(), zorder=3)
        ax.set_xscale("log")
        ax.set_xlabel("bitrate (kbps; measured, hollow = nominal only)")
        ax.set_ylabel(f"{label}{f' ({unit})' if unit else ''} {'↑ better' if higher else '↓ better'}")
        ax.set_title(f"{label} vs bitrate — {domain}")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        stem = out_dir / f"{label.replace('/', '_')}_{domain}"
        fig.savefig(stem.with_suffix(".png"), dpi=120)
        fig.savefig(stem.with_suffix(".svg"))
        plt.close(fig)
        written.append(stem.with_suffix(".png"))
    return written
