"""Bitrate-quality curves: one figure per metric output and domain, one curve per codec family.

The x axis is the measured bitrate where the codec ran here (nominal otherwise, marked hollow), on a
log scale; the y axis is the mean with its 95 % interval, clipped to the metric's value range, and the
axis label carries the unit and the direction. Colours, markers and readable names come from
`benchmarks.report.style`, so a family looks the same in every figure of every run. The paper's
Table II points are overlaid (open stars, dotted) where the family is one of the paper's systems and
the paper's values are comparable with ours (no caveat in `benchmarks.report.paper_notes`: a
"ranking only" value on the same axis would read as a measurement of the same thing).
Configurations with random weights are labelled as such in the legend, which sits below the axes.

Family names and labels are data: they are drawn as plain text (``parse_math=False``, no TeX), and file
names are made of safe characters only. Each figure is written as PNG (300 dpi), PDF and SVG with real
text (``svg.fonttype: none``); no file carries a date, so an unchanged plot is an unchanged file. A
rerun removes figure files in the folder that it did not write (metrics no longer selected).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator

from benchmarks.metrics.base import MetricOutput
from benchmarks.paper import PAPER_COLUMN_BY_OUTPUT, PAPER_SYSTEM_BY_FAMILY, table2
from benchmarks.report.escape import file_component
from benchmarks.report.paper_notes import caveat_for
from benchmarks.report.pareto import pareto_front
from benchmarks.report.style import (
    HIGHLIGHT_LINE_WIDTH,
    family_style,
    figure_title,
    highlighted_families,
    metric_axis_label,
    metric_style,
)
from benchmarks.report.tables import DOMAINS_ORDER

__all__ = ["plot_bitrate_quality", "bitrate_quality_figure", "panel_figure", "clipped_error", "paper_points",
           "remove_stale_plots", "FIGURE_SUFFIXES", "PRINT_DPI", "PANELS_STEM", "PARETO_LEGEND"]

FIGURE_SUFFIXES: tuple[str, ...] = (".png", ".pdf", ".svg")
PRINT_DPI = 300
#: The multi-panel figure (outputs x domains); a name no ``<label>_<domain>`` figure can take (no "_").
PANELS_STEM = "panels"
_RC = {"text.usetex": False, "svg.fonttype": "none", "pdf.fonttype": 42, "svg.hashsalt": "codec-bench"}


def clipped_error(mean: np.ndarray, ci: np.ndarray, lower: float | None, upper: float | None) -> np.ndarray:
    """Asymmetric error-bar lengths, shape [2, N], so that mean - below >= lower and mean + above <= upper.

    A missing interval (NaN) draws no bar.
    """
    mean = np.asarray(mean, dtype=float)
    ci = np.nan_to_num(np.asarray(ci, dtype=float), nan=0.0)
    low = mean - ci if lower is None else np.maximum(mean - ci, lower)
    high = mean + ci if upper is None else np.minimum(mean + ci, upper)
    # A mean outside the range (a metric bug, reported elsewhere) keeps a zero-length bar, not a negative one.
    return np.vstack([np.maximum(mean - low, 0.0), np.maximum(high - mean, 0.0)])


def paper_points(family: str, output: str, domain: str) -> pd.DataFrame:
    """The paper's Table II points (columns kbps, value) of `family` for `output` in `domain`, or none."""
    column = PAPER_COLUMN_BY_OUTPUT.get(output)
    empty = pd.DataFrame(columns=["kbps", "value"])
    if column is None:
        return empty
    if column.startswith("wer"):
        if domain != "speech":
            return empty
        name = column
    else:
        name = f"{domain}_{column}"
    system = PAPER_SYSTEM_BY_FAMILY.get(str(family), str(family))
    rows = table2()[(table2()["system"] == system) & table2()["kbps"].notna()]
    if rows.empty or name not in rows:
        return empty
    out = pd.DataFrame({"kbps": rows["kbps"].astype(float), "value": rows[name].astype(float)})
    return out.dropna().sort_values("kbps").reset_index(drop=True)


def remove_stale_plots(out_dir: Path, keep: set[Path]) -> list[Path]:
    """Delete figure files directly in `out_dir` that are not in `keep`; returns the removed paths."""
    removed = []
    if not out_dir.is_dir():
        return removed
    keep_resolved = {p.resolve() for p in keep}
    for path in sorted(out_dir.iterdir()):
        if path.is_file() and path.suffix.lower() in FIGURE_SUFFIXES and path.resolve() not in keep_resolved:
            path.unlink()
            removed.append(path)
    return removed


def plot_bitrate_quality(
    summary: pd.DataFrame,
    codecs: pd.DataFrame,
    out_dir: Path,
    outputs: Mapping[str, MetricOutput] | None = None,
    with_paper: bool = False,
    highlight: Sequence[str] = (),
) -> list[Path]:
    """Write ``<label>_<domain>.{png,pdf,svg}`` under `out_dir`, and ``panels.{png,pdf,svg}`` (every
    curve in one figure, outputs x domains) when there is more than one; remove stale figures.
    Returns the PNG paths.

    Args:
        summary: output of `benchmarks.report.summary.summarise`.
        codecs: one row per codec with family, weights, nominal_bitrate_kbps, measured_bitrate_kbps.
        outputs: declared outputs by name; their range clips the error bars (the style table otherwise).
        with_paper: overlay the paper's Table II points (only meaningful on the paper's own data).
        highlight: codec or family names (globs allowed, e.g. ``mycodec@*``) drawn thicker, outlined,
            and listed first in the legend (`benchmarks.report.style.highlighted_families`).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if not summary.empty:
        info = codecs.set_index("codec")
        with matplotlib.rc_context(_RC):
            for (label, domain), group in summary.groupby(["label", "domain"], sort=False):
                spec = (outputs or {}).get(str(group["output"].iloc[0]))
                fig = bitrate_quality_figure(str(label), str(domain), group, info, spec, with_paper, highlight)
                if fig is None:
                    continue
                stem = out_dir / file_component(f"{label}_{domain}")
                fig.savefig(f"{stem}.png", dpi=PRINT_DPI, bbox_inches="tight")
                fig.savefig(f"{stem}.pdf", bbox_inches="tight", metadata={"CreationDate": None})
                fig.savefig(f"{stem}.svg", bbox_inches="tight", metadata={"Date": None})
                written.append(Path(f"{stem}.png"))
            panels = panel_figure(summary, codecs, outputs, with_paper, highlight)
            if panels is not None and len(written) > 1:
                stem = out_dir / PANELS_STEM
                panels.savefig(f"{stem}.png", dpi=PRINT_DPI, bbox_inches="tight")
                panels.savefig(f"{stem}.pdf", bbox_inches="tight", metadata={"CreationDate": None})
                panels.savefig(f"{stem}.svg", bbox_inches="tight", metadata={"Date": None})
                written.append(Path(f"{stem}.png"))
    remove_stale_plots(out_dir, {p.with_suffix(s) for p in written for s in FIGURE_SUFFIXES})
    return written


def _curve_data(group: pd.DataFrame, info: pd.DataFrame) -> pd.DataFrame:
    columns = ["family", "weights", "nominal_bitrate_kbps", "measured_bitrate_kbps"]
    data = group.join(info[columns], on="codec")
    data["measured"] = data["measured_bitrate_kbps"].notna()
    data["kbps"] = data["measured_bitrate_kbps"].fillna(data["nominal_bitrate_kbps"])
    return data[data["kbps"].notna() & data["mean"].notna()]


#: Legend name of the Pareto front's step line.
PARETO_LEGEND = "Pareto front (non-dominated systems)"


def _draw_pareto(ax, data: pd.DataFrame, higher: bool) -> object | None:
    """The front of `data` as a step line (best score reachable at each bitrate); None under 2 points."""
    front = pareto_front(data[["codec", "kbps", "mean"]], higher)
    if len(front) < 2:
        return None
    (line,) = ax.step(front["kbps"], front["mean"], where="post", color="0.2", linewidth=1.0,
                      linestyle=(0, (4, 2)), alpha=0.8, zorder=1, gid="pareto")
    return line


def _draw_curves(
    ax, label: str, domain: str, data: pd.DataFrame, group: pd.DataFrame, spec: MetricOutput | None,
    with_paper: bool, highlight: Sequence[str] = (),
) -> tuple[dict[str, object], set[str]]:
    """Draw one label's curves on `ax`; returns (legend name -> handle in legend order, highlighted names).

    Highlighted families come first in the legend and are drawn thicker with an outline on top.
    """
    output = str(group["output"].iloc[0])
    higher = bool(group["higher_is_better"].iloc[0])
    unit = group["unit"].iloc[0] if isinstance(group["unit"].iloc[0], str) else ""
    style = metric_style(output, unit, spec.lower if spec else None, spec.upper if spec else None)
    provenance = group["provenance"].iloc[0] if "provenance" in group else None
    overlay = with_paper and caveat_for(output, provenance if isinstance(provenance, dict) else None) is None
    legend: dict[str, object] = {}
    chosen = highlighted_families(data[["codec", "family"]].astype(str).itertuples(index=False, name=None), highlight)
    families = sorted(data["family"].astype(str).unique(),
                      key=lambda f: (f not in chosen, family_style(f).display, f))
    marked: set[str] = set()
    for family in families:
        fam = data[data["family"].astype(str) == family].sort_values("kbps")
        look = family_style(family)
        random = fam["weights"].astype(str).str.startswith("random").any()
        name = f"{look.display} (RANDOM WEIGHTS)" if random else look.display
        yerr = clipped_error(fam["mean"].to_numpy(), fam["ci"].to_numpy(), style.lower, style.upper)
        emphasis = dict(linewidth=HIGHLIGHT_LINE_WIDTH, markersize=9, markeredgecolor="black",
                        markeredgewidth=1.2, zorder=4) if family in chosen else {}
        legend[name] = ax.errorbar(fam["kbps"], fam["mean"], yerr=yerr, marker=look.marker, color=look.colour,
                                   capsize=3, linestyle="--" if random else "-", gid=f"ours:{family}", **emphasis)
        if family in chosen:
            marked.add(name)
        hollow = fam[~fam["measured"]]
        if not hollow.empty:
            ax.scatter(hollow["kbps"], hollow["mean"], s=60, marker=look.marker, facecolors="white",
                       edgecolors=look.colour, zorder=5 if family in chosen else 3)
        paper = paper_points(family, output, domain) if overlay else pd.DataFrame()
        if not paper.empty:
            (pline,) = ax.plot(paper["kbps"], paper["value"], linestyle=":", marker="*", markersize=11,
                               markerfacecolor="none", color=look.colour, gid=f"paper:{family}")
            legend[f"{look.display} — paper Table II"] = pline
    front = _draw_pareto(ax, data, higher)
    if front is not None:
        legend[PARETO_LEGEND] = front
    ax.set_xscale("log")
    # Plain numbers (0.7, 1, 2, 5, 10 kbps) instead of powers of ten.
    ax.xaxis.set_major_formatter(FuncFormatter(_kbps_tick))
    ax.xaxis.set_minor_locator(LogLocator(subs=(2.0, 5.0)))
    ax.xaxis.set_minor_formatter(FuncFormatter(_kbps_tick))
    ax.set_ylabel(metric_axis_label(style, higher, label[len(output):]), parse_math=False)
    ax.set_title(figure_title(output, label, domain), parse_math=False)
    ax.grid(True, which="both", alpha=0.3)
    return legend, marked


def _kbps_tick(value: float, _position: int) -> str:
    return f"{value:g}"


def _plain_legend(legend, bold: set[str] = frozenset()) -> None:
    for text in legend.get_texts():
        text.set_parse_math(False)
        if text.get_text() in bold:
            text.set_fontweight("bold")


_X_LABEL = "Bitrate (kbps; measured, hollow = nominal only)"


def bitrate_quality_figure(
    label: str,
    domain: str,
    group: pd.DataFrame,
    info: pd.DataFrame,
    spec: MetricOutput | None = None,
    with_paper: bool = False,
    highlight: Sequence[str] = (),
) -> Figure | None:
    """One figure for one output label in one domain; None when nothing has a bitrate and a mean.

    Args:
        group: the summary rows of this label and domain (codec, output, mean, ci, higher_is_better, unit).
        info: codec table indexed by codec (family, weights, nominal/measured bitrate).
        highlight: codec or family names (globs allowed) to emphasise.
    """
    data = _curve_data(group, info)
    if data.empty:
        return None
    # The object API with the Agg canvas: the caller's (e.g. a notebook's) backend is never switched.
    fig = Figure(figsize=(6.4, 4.8))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    handles, marked = _draw_curves(ax, label, domain, data, group, spec, with_paper, highlight)
    ax.set_xlabel(_X_LABEL)
    # Explicit labels: a family name starting with "_" would otherwise be dropped from the legend.
    _plain_legend(ax.legend(list(handles.values()), list(handles), fontsize=8, loc="upper center",
                            bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False), marked)
    return fig


def panel_figure(
    summary: pd.DataFrame,
    codecs: pd.DataFrame,
    outputs: Mapping[str, MetricOutput] | None = None,
    with_paper: bool = False,
    highlight: Sequence[str] = (),
) -> Figure | None:
    """All curves in one figure: one row per output label, one column per domain, one legend below.

    None when no label has a curve. Rows follow the summary's label order, columns Table II's domain order.
    """
    if summary.empty:
        return None
    info = codecs.set_index("codec")
    labels = list(dict.fromkeys(summary["label"]))
    present = set(summary["domain"])
    domains = [d for d in DOMAINS_ORDER if d in present] + sorted(present - set(DOMAINS_ORDER))
    cells = {}
    for (label, domain), group in summary.groupby(["label", "domain"], sort=False):
        data = _curve_data(group, info)
        if not data.empty:
            cells[(str(label), str(domain))] = (group, data)
    labels = [lab for lab in labels if any((lab, d) in cells for d in domains)]
    if not labels:
        return None
    fig = Figure(figsize=(4.2 * len(domains), 3.2 * len(labels) + 1.2))
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(labels), len(domains), squeeze=False)
    handles: dict[str, object] = {}
    marked: set[str] = set()
    for r, label in enumerate(labels):
        for c, domain in enumerate(domains):
            ax = axes[r][c]
            if (label, domain) not in cells:
                ax.set_axis_off()
                continue
            group, data = cells[(label, domain)]
            spec = (outputs or {}).get(str(group["output"].iloc[0]))
            cell_handles, cell_marked = _draw_curves(ax, label, domain, data, group, spec, with_paper, highlight)
            marked |= cell_marked
            handles.update(cell_handles)
            ax.title.set_fontsize(9)
            ax.yaxis.label.set_fontsize(8)
            if r == len(labels) - 1 or (labels[r + 1], domain) not in cells:  # bottom of its column
                ax.set_xlabel(_X_LABEL, fontsize=8)
    fig.tight_layout()
    # Highlighted systems lead the shared legend as they lead each axes' own.
    handles = {**{k: v for k, v in handles.items() if k in marked}, **handles}
    ncol = max(1, min(len(handles), 2 * len(domains), 4))
    _plain_legend(fig.legend(list(handles.values()), list(handles), fontsize=8, loc="upper center",
                             bbox_to_anchor=(0.5, 0.0), ncol=ncol, frameon=False), marked)
    return fig
