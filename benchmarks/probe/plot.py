"""Accuracy vs bitrate for the probe: one panel per Table III section with codec rows, plus survival.

Each configuration is a point at its nominal bitrate (log axis) and its average accuracy over the
tasks, coloured and marked by family (`benchmarks.report.style`); reference extractors are dashed
horizontal lines. Data strings are drawn as plain text (no mathtext).
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from benchmarks.report.style import family_style

__all__ = ["plot_accuracy_vs_bitrate"]

_RC = {"text.usetex": False, "svg.fonttype": "none", "pdf.fonttype": 42, "svg.hashsalt": "codec-bench"}
SUFFIXES = (".png", ".pdf", ".svg")


def _finite(value: object) -> bool:
    try:
        return math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _panel(ax, points: pd.DataFrame, references: pd.DataFrame, title: str, ylabel: str) -> bool:
    drawn = False
    for family, group in points.groupby("family", sort=False):
        group = group[group["kbps"].map(_finite) & group["average"].map(_finite)].sort_values("kbps")
        if group.empty:
            continue
        style = family_style(str(family))
        ax.plot(group["kbps"].astype(float), group["average"].astype(float), marker=style.marker, color=style.colour,
                label=style.display, linewidth=1.2)
        drawn = True
    for _, row in references.iterrows():
        if _finite(row["average"]):
            ax.axhline(float(row["average"]), linestyle="--", color="#555555", linewidth=0.9)
            ax.annotate(str(row["system"]), (0.01, float(row["average"])), xycoords=("axes fraction", "data"),
                        fontsize=7, va="bottom", annotation_clip=False).set_parse_math(False)
    ax.set_xscale("log")
    ax.set_xlabel("nominal bitrate (kbps)")
    ax.set_ylabel(ylabel)
    ax.set_title(title, parse_math=False)
    ax.grid(True, which="both", alpha=0.3)
    return drawn


def plot_accuracy_vs_bitrate(table: pd.DataFrame, survival: pd.DataFrame, stem: str | Path) -> list[Path]:
    """Write ``<stem>.{png,pdf,svg}``; returns the files (none when no point has a bitrate and an average)."""
    panels = []
    references = table[table["section"] == "reference"] if not table.empty else table
    for section in ("all layers", "first layer"):
        if not table.empty and (table["section"] == section).any():
            panels.append((table[table["section"] == section], references, f"Codec representation — {section}",
                           "average probe accuracy (%) — higher is better ↑"))
    if not survival.empty:
        systems = survival[survival["family"] != "original"]
        originals = survival[survival["family"] == "original"]
        panels.append((systems, originals, "Meaning that survives reconstruction",
                       "reference-probe accuracy on reconstructions (%) ↑"))
    if not panels:
        return []
    stem = Path(stem)
    with matplotlib.rc_context(_RC):
        figure = Figure(figsize=(4.6 * len(panels), 3.8))
        FigureCanvasAgg(figure)
        axes = figure.subplots(1, len(panels), squeeze=False)[0]
        drawn = [_panel(ax, *panel) for ax, panel in zip(axes, panels)]
        if not any(drawn):
            return []
        handles, labels = {}, {}
        for ax in axes:
            for handle, label in zip(*ax.get_legend_handles_labels()):
                handles.setdefault(label, handle)
                labels.setdefault(label, label)
        if handles:
            legend = figure.legend(list(handles.values()), list(labels.values()), loc="lower center",
                                   ncol=min(4, len(handles)), bbox_to_anchor=(0.5, -0.02), frameon=False)
            for text in legend.get_texts():
                text.set_parse_math(False)
        figure.tight_layout(rect=(0, 0.1, 1, 1))
        files = []
        for suffix in SUFFIXES:
            path = stem.with_suffix(suffix)
            metadata = {"CreationDate": None} if suffix == ".pdf" else {"Date": None} if suffix == ".svg" else None
            figure.savefig(path, dpi=200, bbox_inches="tight", metadata=metadata)
            files.append(path)
    return files
