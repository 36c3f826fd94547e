"""Re-render a result folder's tables from its own CSVs, without the store and without rerunning anything.

``python -m benchmarks.report.rebuild results/demo_speech --paper --plots --html``

Reads ``summary.csv`` (per-system means), the codec columns of ``table_ii.csv`` and ``provenance.csv``,
and writes ``table_ii.{csv,md,tex}``, ``paper_agreement.csv``, ``summary.csv``, ``bitrates.{csv,md}`` and
``pareto_front.csv`` again with the current report code (``--plots`` also redraws ``plots/``, with
``--highlight NAME`` systems emphasised; ``--html`` also rewrites the listening page ``report/index.html``). Use it when the report code
changed but the scores did not. Numbers are re-rounded from the CSVs' four decimals, so a value whose
fourth decimal is 5 may print one unit off in its last shown digit. Per-clip files, errors and metric
failures need the store (a rerun of ``python -m benchmarks.run`` with the same ``name=``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from benchmarks.report.escape import csv_cell_unescape
from benchmarks.report.latex import write_table_latex
from benchmarks.report.pareto import write_pareto_csv
from benchmarks.report.plots import plot_bitrate_quality
from benchmarks.report.tables import table_ii, write_tables

__all__ = ["rebuild", "main"]

_SUMMARY_NUMBERS = ("mean", "ci", "n", "n_failed")
_CODEC_NUMBERS = (
    "nominal_bitrate_kbps", "measured_bitrate_kbps", "entropy_bitrate_kbps", "n_clips", "n_errors",
)


class RebuildError(ValueError):
    """The folder lacks a file the rebuild needs, or a file is not what the report writes."""


def _read_csv(path: Path) -> pd.DataFrame:
    """A report CSV with its strings exactly as they were before `csv_cell` escaping."""
    if not path.is_file() or path.stat().st_size == 0:
        raise RebuildError(f"{path}: missing or empty; it is written by python -m benchmarks.run")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.columns = [csv_cell_unescape(c) for c in frame.columns]
    return frame.map(csv_cell_unescape)


def _numbers(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    for column in columns:
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column].replace("", None), errors="raise")
    return frame


def _summary(folder: Path) -> pd.DataFrame:
    summary = _numbers(_read_csv(folder / "summary.csv"), _SUMMARY_NUMBERS)
    missing = {"codec", "domain", "output", "label", "fingerprint", "higher_is_better"} - set(summary.columns)
    if missing:
        raise RebuildError(f"{folder / 'summary.csv'}: no column(s) {sorted(missing)}")
    summary["higher_is_better"] = summary["higher_is_better"].map({"True": True, "False": False})
    provenance: dict[tuple[str, str, str], dict] = {}
    if (folder / "provenance.csv").is_file():
        for row in _read_csv(folder / "provenance.csv").itertuples(index=False):
            provenance[(row.output, row.domain, row.fingerprint)] = json.loads(row.provenance_json)
    summary["provenance"] = [provenance.get((o, d, f), {}) for o, d, f in
                             zip(summary["output"], summary["domain"], summary["fingerprint"])]
    return summary


def _codecs(folder: Path) -> pd.DataFrame:
    table = _read_csv(folder / "table_ii.csv")
    codecs = table[[c for c in table.columns if "/" not in c]].copy()
    for column in codecs.columns:
        if column != "codec":
            codecs[column] = codecs[column].replace("", None)
    codecs = _numbers(codecs, _CODEC_NUMBERS)
    if "bitrate_warning" in codecs.columns and "measured_bitrate_kbps" in codecs.columns:
        # Checked without a warning ("") where a bitrate was measured; not checked (NaN) elsewhere.
        checked = codecs["measured_bitrate_kbps"].notna() & codecs["bitrate_warning"].isna()
        codecs.loc[checked, "bitrate_warning"] = ""
    return codecs


def rebuild(
    folder: Path, with_paper: bool, plots: bool = False, highlight: Sequence[str] = (), html: bool = False,
) -> dict[str, Path]:
    """Rewrite the tables of `folder` from its summary.csv, table_ii.csv and provenance.csv (and its
    figures with `plots`, its listening page with `html`)."""
    summary, codecs = _summary(folder), _codecs(folder)
    table = table_ii(summary, codecs, with_paper=with_paper)
    paths = write_tables(table, summary, codecs, folder)
    paths["table_tex"] = write_table_latex(table, summary, folder / "table_ii.tex")
    paths["pareto_csv"] = write_pareto_csv(summary, codecs, folder)
    if plots:
        paths["plots"] = folder / "plots"
        plot_bitrate_quality(summary, codecs, paths["plots"], with_paper=with_paper, highlight=highlight)
    if html:
        from benchmarks.report.listening import write_listening_page

        paths["html"] = write_listening_page(folder, highlight=highlight)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.report.rebuild", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="a result folder, e.g. results/demo_speech")
    parser.add_argument("--paper", action="store_true",
                        help="show the paper's Table II values (only for clips of the paper's own datasets)")
    parser.add_argument("--plots", action="store_true", help="redraw plots/ too")
    parser.add_argument("--highlight", action="append", default=[], metavar="NAME",
                        help="draw this codec or family (glob allowed) thicker and first in the legend; repeatable")
    parser.add_argument("--html", action="store_true", help="rewrite the listening page report/index.html too")
    args = parser.parse_args(argv)
    try:
        paths = rebuild(args.folder, args.paper, args.plots, args.highlight, args.html)
    except (RebuildError, ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("rewrote " + ", ".join(str(p) for p in paths.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
