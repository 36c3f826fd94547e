"""Bitrate-quality curves: one figure per metric output and domain, one curve per codec family.

The x axis is the measured bitrate where the codec ran here (nominal otherwise, marked hollow), on a
log scale; the y axis is the mean with its 95 % interval, and the axis label carries the direction.
Configurations with random weights are labelled as such in the legend. Family names and labels are
data: they are drawn as plain text (``parse_math=False``, no TeX), never as mathtext, and file names are
made of safe characters only. SVGs carry no date, so an unchanged plot is an unchanged file.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from benchmarks.report.escape import file_component

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
    with matplotlib.rc_context({"text.usetex": False}):
        for (label, domain), group in summary.groupby(["label", "domain"], sort=False):
            path = _plot_one(str(label), str(domain), group, info, out_dir)
            if path is not None:
                written.append(path)
    return written


def _plot_one(label: str, domain: str, group: pd.DataFrame, info: pd.DataFrame, out_dir: Path) -> Path | None:
    """One figure for one output label in one domain; None when nothing has a bitrate and a mean."""
    data = group.join(info[["family", "weights", "nominal_bitrate_kbps", "measured_bitrate_kbps"]], on="codec")
    data["measured"] = data["measured_bitrate_kbps"].notna()
    data["kbps"] = data["measured_bitrate_kbps"].fillna(data["nominal_bitrate_kbps"])
    data = data[data["kbps"].notna() & data["mean"].notna()]
    if data.empty:
        return None
    higher = bool(group["higher_is_better"].iloc[0])
    unit = group["unit"].iloc[0] if isinstance(group["unit"].iloc[0], str) else ""
    # The object API with the Agg canvas: the caller's (e.g. a notebook's) backend is never switched.
    fig = Figure(figsize=(6.4, 4.2))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    handles, names = [], []
    for family, fam in data.groupby("family", sort=True):
        fam = fam.sort_values("kbps")
        random = fam["weights"].astype(str).str.startswith("random").any()
        name = f"{family} (RANDOM WEIGHTS)" if random else str(family)
        line = ax.errorbar(fam["kbps"], fam["mean"], yerr=fam["ci"].fillna(0.0), marker="o", capsize=3,
                           linestyle="--" if random else "-")
        handles.append(line)
        names.append(name)
        hollow = fam[~fam["measured"]]
        if not hollow.empty:
            ax.scatter(hollow["kbps"], hollow["mean"], s=60, facecolors="white",
                       edgecolors=line[0].get_color(), zorder=3)
    ax.set_xscale("log")
    ax.set_xlabel("bitrate (kbps; measured, hollow = nominal only)")
    direction = "↑ better" if higher else "↓ better"
    ax.set_ylabel(f"{label}{f' ({unit})' if unit else ''} {direction}", parse_math=False)
    ax.set_title(f"{label} vs bitrate — {domain}", parse_math=False)
    ax.grid(True, which="both", alpha=0.3)
    # Explicit labels: a family name starting with "_" would otherwise be dropped from the legend.
    legend = ax.legend(handles, names, fontsize=8)
    for text in legend.get_texts():
        text.set_parse_math(False)
    fig.tight_layout()
    stem = out_dir / file_component(f"{label}_{domain}")
    fig.savefig(f"{stem}.png", dpi=120)
    fig.savefig(f"{stem}.svg", metadata={"Date": None})
    return Path(f"{stem}.png")
