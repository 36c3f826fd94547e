"""Build every report of an experiment from its store: tables, bitrates, per-clip scores, plots, provenance.

Every data string (system, clip, family, dataset names, error messages) is escaped for the format it
is written in (`benchmarks.report.escape`); docs/reliability.md states the promise and its test.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from baselines.token_stats import CodeStatistics, bitrate_mismatch
from benchmarks.datasets.base import Clip
from benchmarks.metrics.base import MetricOutput
from benchmarks.report.escape import file_component, write_csv
from benchmarks.report.latex import write_table_latex
from benchmarks.report.pareto import write_pareto_csv
from benchmarks.report.per_clip import per_clip_frame, write_per_clip
from benchmarks.report.plots import plot_bitrate_quality, remove_stale_plots
from benchmarks.report.summary import summarise
from benchmarks.report.tables import table_ii, to_markdown, write_tables
from benchmarks.store import ResultStore

__all__ = ["Report", "build_report", "codec_table", "PAPER_DATASETS"]

#: Datasets drawn from the paper's evaluation data; the paper's numbers are shown only beside these.
PAPER_DATASETS = frozenset({"demo", "evalset", "libritts", "audioset", "musdb18"})


@dataclasses.dataclass
class Report:
    table: pd.DataFrame
    summary: pd.DataFrame
    codecs: pd.DataFrame
    markdown: str
    paths: dict[str, Path]


def _selection(frame: pd.DataFrame, clips: Sequence[Clip], codecs: Sequence[str]) -> pd.DataFrame:
    keys = {(c.dataset, c.clip_id) for c in clips}
    mask = [(d, c) in keys for d, c in zip(frame["dataset"], frame["clip_id"])]
    return frame[np.asarray(mask, dtype=bool) & frame["codec"].isin(list(codecs)).to_numpy()]


def codec_table(recons: pd.DataFrame, codec_order: Sequence[str]) -> pd.DataFrame:
    """One row per codec: family, weights, nominal/measured bitrate, clip and error counts, token stats."""
    rows = []
    for codec in codec_order:
        group = recons[recons["codec"] == codec]
        if group.empty:
            continue
        info = json.loads(group["codec_info_json"].iloc[0] or "{}")
        ok = group[group["status"] == "ok"]
        measured = ok["measured_bitrate_kbps"].astype(float)
        row = dict(
            codec=codec,
            family=info.get("family", codec.split("@")[0]),
            weights=info.get("weights", ""),
            nominal_bitrate_kbps=float(info.get("nominal_bitrate_kbps", math.nan) or math.nan),
            measured_bitrate_kbps=float(measured.mean()) if measured.notna().any() else math.nan,
            n_clips=int(len(group)),
            n_errors=int((group["status"] != "ok").sum()),
        )
        row.update(_token_statistics(ok, info))
        rows.append(row)
    return pd.DataFrame(rows)


def _token_statistics(ok: pd.DataFrame, info: dict) -> dict:
    """Entropy bitrate and codebook usage from the cached codes, plus a nominal/measured mismatch flag."""
    out: dict = {}
    sizes = info.get("codebook_sizes") or []
    with_codes = ok[ok["codes_path"].notna()] if "codes_path" in ok else ok.iloc[0:0]
    if sizes and not with_codes.empty:
        stats = CodeStatistics(codebook_sizes=[int(s) for s in sizes])
        for path, duration_s in zip(with_codes["codes_path"], with_codes["duration_s"]):
            stats.update(np.load(path, allow_pickle=False), float(duration_s))
        out["entropy_bitrate_kbps"] = stats.entropy_bitrate_kbps()
        out["codebook_usage"] = " ".join(f"{b.usage_fraction:.2f}" for b in stats.per_codebook())
    measured = ok["measured_bitrate_kbps"].astype(float)
    if measured.notna().any():
        warning = bitrate_mismatch(float(info.get("nominal_bitrate_kbps", math.nan)), float(measured.mean()))
        out["bitrate_warning"] = warning or ""
    return out


def build_report(
    store: ResultStore,
    clips: Sequence[Clip],
    codecs: Sequence[str],
    outputs: dict[str, MetricOutput],
    out_dir: Path,
    confidence: float = 0.95,
    plots: bool = True,
    highlight: Sequence[str] = (),
) -> Report:
    """Summarise the selected codecs on the selected clips and write everything under `out_dir`.

    The paper's Table II values are put beside ours only when every clip comes from the paper's data
    (`PAPER_DATASETS`); on other corpora they would invite a comparison that means nothing.
    `highlight` names codecs or families (globs allowed) that the figures emphasise.
    """
    recons = store.reconstructions()
    recons = _selection(recons, clips, codecs) if not recons.empty else recons
    scores = store.scores()
    if not scores.empty:
        scores = _selection(scores, clips, codecs)
        domain_of = {(c.dataset, c.clip_id): c.domain for c in clips}
        scores = scores.assign(domain=[domain_of[(d, c)] for d, c in zip(scores["dataset"], scores["clip_id"])])
        scores = scores[scores["output"].isin(list(outputs))]
    summary = summarise(scores, outputs, confidence) if not scores.empty else pd.DataFrame()
    codec_rows = codec_table(recons, codecs) if not recons.empty else pd.DataFrame(
        columns=["codec", "family", "weights", "nominal_bitrate_kbps", "measured_bitrate_kbps"])
    with_paper = all(c.dataset in PAPER_DATASETS for c in clips)
    table = table_ii(summary, codec_rows, with_paper=with_paper)
    paths = write_tables(table, summary, codec_rows, out_dir)
    paths["table_tex"] = write_table_latex(table, summary, out_dir / "table_ii.tex")
    paths["pareto_csv"] = write_pareto_csv(summary, codec_rows, out_dir)
    errors = recons[recons["status"] != "ok"] if not recons.empty else recons
    errors_cols = ["codec", "dataset", "clip_id", "error"]
    errors = errors[errors_cols] if not errors.empty else pd.DataFrame(columns=errors_cols)
    paths["errors_csv"] = write_csv(errors, out_dir / "errors.csv")
    if not scores.empty:
        failed = scores[scores["value"].isna()][["codec", "dataset", "clip_id", "output", "reason"]]
        paths["metric_failures_csv"] = write_csv(failed, out_dir / "metric_failures.csv")
        prov_cols = ["output", "domain", "fingerprint", "provenance_json"]
        prov = scores.drop_duplicates(["output", "domain", "fingerprint"])[prov_cols]
        paths["provenance_csv"] = write_csv(prov, out_dir / "provenance.csv")
        paths.update(write_per_clip(per_clip_frame(scores, recons), out_dir))
    if plots:
        paths["plots"] = out_dir / "plots"
        plot_bitrate_quality(summary, codec_rows, paths["plots"], outputs, with_paper=with_paper, highlight=highlight)
    else:
        # Figures of an earlier run would sit beside tables they no longer match.
        remove_stale_plots(out_dir / "plots", set())
    datasets = sorted({c.dataset for c in clips})
    if len(datasets) > 1:
        # The pooled table mixes datasets of one domain; each dataset also gets its own report.
        for name in datasets:
            subset = [c for c in clips if c.dataset == name]
            folder = out_dir / "by_dataset" / file_component(name)
            build_report(store, subset, codecs, outputs, folder, confidence, plots, highlight)
        paths["by_dataset"] = out_dir / "by_dataset"
    return Report(table, summary, codec_rows, to_markdown(table, summary), paths)
