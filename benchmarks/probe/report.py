"""Probe outputs: the Table III layout, the reconstruction-survival table and an accuracy-vs-bitrate figure.

Written to one folder (``<output_root>/<name>/probe/``):

* ``table_iii.csv`` / ``table_iii.md``: tasks as columns and the average last; sections "reference"
  (reference extractors on the original clips), "all layers" and "first layer"; one row per codec
  configuration; accuracy in % with its confidence interval; the paper's value beside ours where the
  system and task match (`benchmarks.probe.paper`). Systems without a representation say
  ``not applicable``; systems that cannot run here say ``unavailable`` (never a zero). ``kbps`` is the
  configuration's nominal bitrate in every section (the first layer alone carries less).
* ``survival.csv`` / ``survival.md``: accuracy of the reference probe on each system's
  reconstructions and the drop against the original clips.
* ``unavailable.csv``: systems and references that could not run, with the reason.
* ``accuracy_vs_bitrate.{png,pdf,svg}``: average accuracy per configuration against its bitrate.

All data strings go through `benchmarks.report.escape`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.probe.paper import paper_table3_row, paper_task_column
from benchmarks.probe.task import ProbeTask
from benchmarks.report.escape import markdown_cell, write_csv

__all__ = ["SECTIONS", "ProbeReport", "survival_table", "table_iii", "write_probe_report"]

#: Table III sections: (kind, layers) -> title.
SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("reference", "-", "reference"),
    ("representation", "all", "all layers"),
    ("representation", "first", "first layer"),
)


@dataclasses.dataclass
class ProbeReport:
    table_iii: pd.DataFrame
    survival: pd.DataFrame
    markdown: str
    files: list[Path]


def _pct(value: Any) -> float:
    return float(value) * 100.0 if value is not None and not _nan(value) else float("nan")


def _nan(value: Any) -> bool:
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return True


def _status_text(row: dict[str, Any], width: int = 100) -> str:
    """Status and the first clause of its reason (the full reason is in unavailable.csv / the store)."""
    if row["status"] == "ok":
        return ""
    reason = " ".join(str(row.get("error") or "").split())
    for cut in (" (looked in", " (remedy"):
        reason = reason.split(cut)[0]
    if len(reason) > width:
        reason = reason[: width - 1] + "…"
    return f"{row['status']}: {reason}".strip(": ")


def table_iii(rows: Sequence[dict[str, Any]], tasks: Sequence[ProbeTask], systems: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """One row per (section, system): per task accuracy %, interval, paper value; then the average."""
    extra = {s["system"]: s for s in systems}
    records = []
    for kind, layers, title in SECTIONS:
        names = list(dict.fromkeys(r["system"] for r in rows if r["kind"] == kind and r["layers"] == layers))
        for name in names:
            mine = {r["task"]: r for r in rows if r["kind"] == kind and r["layers"] == layers and r["system"] == name}
            first = next(iter(mine.values()))
            info = extra.get(name, {})
            paper = None
            if kind == "representation":
                paper = paper_table3_row(first.get("family", ""), first.get("nominal_bitrate_kbps"), layers,
                                         info.get("extra"))
            record: dict[str, Any] = {
                "section": title, "system": name, "family": first.get("family", ""),
                "kbps": first.get("nominal_bitrate_kbps"), "weights": info.get("weights") or "",
            }
            accuracies, paper_values, notes = [], [], []
            for task in tasks:
                row = mine.get(task.name)
                column = paper_task_column(task.mirrors)
                value = _pct(row.get("accuracy")) if row and row["status"] == "ok" else float("nan")
                record[task.name] = value
                record[f"{task.name}_ci_low"] = _pct(row.get("ci_low")) if row and row["status"] == "ok" else float("nan")
                record[f"{task.name}_ci_high"] = _pct(row.get("ci_high")) if row and row["status"] == "ok" else float("nan")
                record[f"{task.name}_paper"] = float(paper[column]) if paper is not None and column else float("nan")
                accuracies.append(value)
                paper_values.append(record[f"{task.name}_paper"])
                if row is None:
                    notes.append(f"{task.name}: not run")
                elif row["status"] != "ok":
                    notes.append(_status_text(row))
            record["average"] = float(np.mean(accuracies)) if accuracies and not any(map(_nan, accuracies)) else float("nan")
            record["average_paper"] = (float(np.mean(paper_values)) if paper_values and not any(map(_nan, paper_values))
                                       else float("nan"))
            record["status"] = "; ".join(dict.fromkeys(notes))
            records.append(record)
    return pd.DataFrame.from_records(records)


def survival_table(rows: Sequence[dict[str, Any]], tasks: Sequence[ProbeTask]) -> pd.DataFrame:
    """One row per system: accuracy % of the reference probe on its reconstructions, drop in points."""
    survival = [r for r in rows if r["kind"] == "survival"]
    records = []
    reference_name = next((r["layers"] for r in survival), "")
    original = {r["task"]: r for r in rows if r["kind"] == "reference" and r["system"] == reference_name}
    if original:
        record = {"system": f"original clips ({reference_name})", "family": "original", "kbps": float("nan"), "status": ""}
        for task in tasks:
            row = original.get(task.name)
            record[task.name] = _pct(row.get("accuracy")) if row and row["status"] == "ok" else float("nan")
            record[f"{task.name}_drop"] = 0.0 if row and row["status"] == "ok" else float("nan")
        records.append(record)
    for name in dict.fromkeys(r["system"] for r in survival):
        mine = {r["task"]: r for r in survival if r["system"] == name}
        first = next(iter(mine.values()))
        record = {"system": name, "family": first.get("family", ""), "kbps": first.get("nominal_bitrate_kbps")}
        notes = []
        for task in tasks:
            row = mine.get(task.name)
            ok = row is not None and row["status"] == "ok"
            record[task.name] = _pct(row.get("accuracy")) if ok else float("nan")
            record[f"{task.name}_ci_low"] = _pct(row.get("ci_low")) if ok else float("nan")
            record[f"{task.name}_ci_high"] = _pct(row.get("ci_high")) if ok else float("nan")
            record[f"{task.name}_drop"] = _pct(row.get("drop")) if ok and row.get("drop") is not None else float("nan")
            if row is not None and not ok:
                notes.append(_status_text(row))
        records.append({**record, "status": "; ".join(dict.fromkeys(notes))})
    frame = pd.DataFrame.from_records(records)
    if not frame.empty:
        task_cols = [t.name for t in tasks]
        drops = [f"{t.name}_drop" for t in tasks]
        frame["average"] = frame[task_cols].mean(axis=1, skipna=False)
        frame["average_drop"] = frame[drops].mean(axis=1, skipna=False)
    return frame


def _cell(value: float, low: float = float("nan"), high: float = float("nan"), paper: float = float("nan")) -> str:
    if _nan(value):
        return "–"
    text = f"{value:.1f}"
    if not _nan(low) and not _nan(high):
        text += f" [{low:.1f}, {high:.1f}]"
    if not _nan(paper):
        text += f" (paper {paper:.1f})"
    return text


def _drop_text(drop: float) -> str:
    """Accuracy change in points: a drop is shown as −x, a gain as +x."""
    return f" (−{drop:.1f})" if drop >= 0 else f" (+{-drop:.1f})"


def _markdown(frame: pd.DataFrame, tasks: Sequence[ProbeTask], title: str, survival: bool = False) -> str:
    columns = ["section"] if "section" in frame else []
    header = columns + ["system", "kbps"] + [t.name for t in tasks] + ["average", "note"]
    lines = [f"### {title}", "", "| " + " | ".join(markdown_cell(h) for h in header) + " |",
             "|" + "---|" * len(header)]
    for _, row in frame.iterrows():
        label = str(row["system"])
        if str(row.get("weights") or "").startswith("random"):
            label += " (RANDOM weights: not a codec's numbers)"
        cells = [markdown_cell(row[c]) for c in columns] + [markdown_cell(label),
                                                          "" if _nan(row["kbps"]) else f"{float(row['kbps']):.2f}"]
        for task in tasks:
            name = task.name
            if survival:
                drop = row.get(f"{name}_drop", float("nan"))
                text = _cell(row[name], row.get(f"{name}_ci_low", float("nan")), row.get(f"{name}_ci_high", float("nan")))
                original = row.get("family") == "original"
                cells.append(text + ("" if original or _nan(drop) or _nan(row[name]) else _drop_text(drop)))
            else:
                cells.append(_cell(row[name], row[f"{name}_ci_low"], row[f"{name}_ci_high"], row[f"{name}_paper"]))
        average = _cell(row["average"], paper=row.get("average_paper", float("nan")))
        if survival and row.get("family") != "original" and not _nan(row.get("average_drop", float("nan"))) \
                and not _nan(row["average"]):
            average += _drop_text(float(row["average_drop"]))
        cells += [average, markdown_cell(row.get("status", "") or "")]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_probe_report(
    rows: Sequence[dict[str, Any]], tasks: Sequence[ProbeTask], systems: Sequence[dict[str, Any]], out_dir: str | Path,
    *, plot: bool = True,
) -> ProbeReport:
    """Write the tables (CSV + Markdown), the unavailable list and the figure; returns what was written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    table = table_iii(rows, tasks, systems)
    survival = survival_table(rows, tasks)
    files = [write_csv(table, out / "table_iii.csv"), write_csv(survival, out / "survival.csv")]
    task_notes = "\n".join(
        f"- {markdown_cell(t.name)}: {len(t.label_names)} classes, {len(t.clips)} clips, evaluated on {t.evaluation}"
        + (f"; mirrors {markdown_cell(t.mirrors)}" if t.mirrors else "") for t in tasks
    )
    intro = ("Accuracy (%) of a probe on mean-pooled clip features, with its confidence interval; the paper's "
             "value in parentheses where the system and the mirrored task match (its tasks are the HEAR "
             "originals: compare rankings, not values).")
    markdown = "\n\n".join([
        "## Semantic probe (Table III layout)", intro, task_notes,
        _markdown(table, tasks, "Table III: codec representations"),
    ])
    if not survival.empty:
        markdown += "\n\n" + _markdown(
            survival, tasks, "Meaning that survives reconstruction (reference probe on each system's output; drop "
            "in points against the original clips)", survival=True)
    (out / "table_iii.md").write_text(markdown + "\n", encoding="utf-8")
    (out / "survival.md").write_text(
        (_markdown(survival, tasks, "Reconstruction survival", survival=True) if not survival.empty else "") + "\n",
        encoding="utf-8",
    )
    files += [out / "table_iii.md", out / "survival.md"]
    missing = pd.DataFrame.from_records(
        [{"kind": "system", "name": s["system"], "reason": s["unavailable"]} for s in systems if s.get("unavailable")]
        + [{"kind": "reference", "name": r["system"], "reason": r.get("error", "")}
           for r in rows if r["kind"] == "reference" and r["status"] == "unavailable"],
        columns=["kind", "name", "reason"],
    ).drop_duplicates()
    files.append(write_csv(missing, out / "unavailable.csv"))
    if plot:
        from benchmarks.probe.plot import plot_accuracy_vs_bitrate

        files += plot_accuracy_vs_bitrate(table, survival, out / "accuracy_vs_bitrate")
    return ProbeReport(table, survival, markdown, files)
