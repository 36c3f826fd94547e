"""Tables in the layout of the paper's Table II, beside the paper's published numbers.

One row per codec configuration; per domain (general sound, music, speech) one column per metric
output with its mean, 95 % interval and clip count; the paper's value next to ours when the system
and bitrate match a Table II row.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from scipy.stats import spearmanr

from benchmarks.datasets.base import DOMAINS
from benchmarks.paper import PAPER_COLUMN_BY_OUTPUT, paper_row

__all__ = ["table_ii", "write_tables", "bitrate_table", "to_markdown", "frame_to_markdown", "paper_agreement", "DOMAINS_ORDER"]

#: Table II's domain order.
DOMAINS_ORDER: tuple[str, ...] = ("sound", "music", "speech")
assert set(DOMAINS_ORDER) == set(DOMAINS)
_OUTPUT_ORDER = ["mel_distance", "stft_distance", "visqol", "visqol_paper"]


def _output_rank(output: str) -> tuple[int, str]:
    return (_OUTPUT_ORDER.index(output) if output in _OUTPUT_ORDER else len(_OUTPUT_ORDER), output)


def _paper_value(codec_row: pd.Series, domain: str, output: str) -> float:
    column = PAPER_COLUMN_BY_OUTPUT.get(output)
    if column is None:
        return math.nan
    row = paper_row(codec_row["family"], codec_row["nominal_bitrate_kbps"])
    if row is None:
        return math.nan
    name = column if column.startswith("wer") else f"{domain}_{column}"
    if column.startswith("wer") and domain != "speech":
        return math.nan
    value = row.get(name)
    return float(value) if value is not None and pd.notna(value) else math.nan


def table_ii(summary: pd.DataFrame, codecs: pd.DataFrame, with_paper: bool = True) -> pd.DataFrame:
    """Wide table: one row per codec, columns ``<domain>/<label>/{mean,ci95,n,paper}``.

    Args:
        summary: output of `benchmarks.report.summary.summarise`.
        codecs: one row per codec with codec, family, weights, nominal_bitrate_kbps,
            measured_bitrate_kbps (mean over clips, may be NaN), n_clips, n_errors.
        with_paper: fill the ``paper`` columns (only meaningful on the paper's own data).
    """
    table = codecs.set_index("codec").copy()
    if summary.empty:
        return table.reset_index()
    labels = (
        summary[["domain", "label", "output"]].drop_duplicates()
        .assign(d=lambda d: d["domain"].map({k: i for i, k in enumerate(DOMAINS_ORDER)}),
                o=lambda d: d["output"].map(_output_rank))
        .sort_values(["d", "o", "label"])
    )
    for _, lab in labels.iterrows():
        sel = summary[(summary["domain"] == lab["domain"]) & (summary["label"] == lab["label"])].set_index("codec")
        prefix = f"{lab['domain']}/{lab['label']}"
        table[f"{prefix}/mean"] = sel["mean"]
        table[f"{prefix}/ci95"] = sel["ci"]
        table[f"{prefix}/n"] = sel["n"]
        table[f"{prefix}/paper"] = [
            _paper_value(row, lab["domain"], lab["output"]) if with_paper else math.nan
            for _, row in table.reset_index().iterrows()
        ]
    return table.reset_index()


def _fmt(value: float, digits: int = 2) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def to_markdown(table: pd.DataFrame, summary: pd.DataFrame) -> str:
    """Markdown rendering: 'mean ± ci (paper)' per cell, arrows for direction, n in the header."""
    direction = {r["label"]: ("↑" if r["higher_is_better"] else "↓") for _, r in summary.iterrows()} if not summary.empty else {}
    value_cols = [c[: -len("/mean")] for c in table.columns if c.endswith("/mean")]
    header = ["codec", "weights", "kbps nominal", "kbps measured"]
    for col in value_cols:
        domain, label = col.split("/", 1)
        n = table[f"{col}/n"].max()
        header.append(f"{domain} {label} {direction.get(label, '')} (n={int(n) if pd.notna(n) else 0})")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for _, row in table.iterrows():
        cells = [str(row["codec"]), str(row.get("weights", "")), _fmt(row["nominal_bitrate_kbps"]),
                 _fmt(row.get("measured_bitrate_kbps", math.nan), 3)]
        for col in value_cols:
            cell = _fmt(row[f"{col}/mean"])
            if pd.notna(row[f"{col}/ci95"]):
                cell += f" ± {_fmt(row[f'{col}/ci95'])}"
            if pd.notna(row[f"{col}/paper"]):
                cell += f" ({_fmt(row[f'{col}/paper'])})"
            cells.append(cell)
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Cells: our mean ± 95 % CI over the clips scored (n in the header is the largest count in the column), "
                 "the paper's Table II value in parentheses where the system and bitrate match.")
    return "\n".join(lines)


def paper_agreement(table: pd.DataFrame) -> pd.DataFrame:
    """Per column with paper values: systems compared, Spearman rank correlation, mean and max |ours - paper|.

    Only rows where both numbers exist count; the ground-truth row (no bitrate) is left out of the rank
    correlation's systems since it is a ceiling, not a system, but kept in the differences.
    """
    rows = []
    for col in [c[: -len("/mean")] for c in table.columns if c.endswith("/mean")]:
        both = table[[f"{col}/mean", f"{col}/paper", "nominal_bitrate_kbps"]].dropna(subset=[f"{col}/mean", f"{col}/paper"])
        if both.empty:
            continue
        diff = (both[f"{col}/mean"] - both[f"{col}/paper"]).abs()
        systems = both[both["nominal_bitrate_kbps"].notna()]
        rho = spearmanr(systems[f"{col}/mean"], systems[f"{col}/paper"]).statistic if len(systems) >= 3 else math.nan
        rows.append(dict(column=col, systems=int(len(systems)), spearman=float(rho),
                         mean_abs_diff=float(diff.mean()), max_abs_diff=float(diff.max())))
    return pd.DataFrame(rows, columns=["column", "systems", "spearman", "mean_abs_diff", "max_abs_diff"])


def frame_to_markdown(frame: pd.DataFrame, digits: int = 3) -> str:
    """A plain Markdown table of `frame` (floats to `digits` decimals, NaN as a dash)."""
    def cell(v: object) -> str:
        return _fmt(v, digits) if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def bitrate_table(codecs: pd.DataFrame) -> pd.DataFrame:
    """Nominal vs measured (vs entropy) bitrate per codec with a mismatch flag."""
    cols = [c for c in ("codec", "family", "weights", "nominal_bitrate_kbps", "measured_bitrate_kbps",
                        "entropy_bitrate_kbps", "codebook_usage", "bitrate_warning") if c in codecs.columns]
    return codecs[cols]


def write_tables(table: pd.DataFrame, summary: pd.DataFrame, codecs: pd.DataFrame, out_dir: Path) -> dict[str, Path]:
    """Write table_ii.csv/.md, summary.csv, bitrates.csv/.md under `out_dir`; returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "table_csv": out_dir / "table_ii.csv",
        "table_md": out_dir / "table_ii.md",
        "summary_csv": out_dir / "summary.csv",
        "bitrates_csv": out_dir / "bitrates.csv",
        "bitrates_md": out_dir / "bitrates.md",
    }
    table.to_csv(paths["table_csv"], index=False, float_format="%.4f")
    paths["table_md"].write_text(to_markdown(table, summary) + "\n")
    if not summary.empty:
        summary.drop(columns=["provenance"]).to_csv(paths["summary_csv"], index=False, float_format="%.4f")
    else:
        paths["summary_csv"].write_text("")
    agreement = paper_agreement(table)
    if not agreement.empty:
        paths["paper_agreement_csv"] = out_dir / "paper_agreement.csv"
        agreement.to_csv(paths["paper_agreement_csv"], index=False, float_format="%.4f")
        with open(paths["table_md"], "a") as fh:
            fh.write("\nAgreement with the paper's Table II (systems with a bitrate; Spearman over them):\n\n")
            fh.write(frame_to_markdown(agreement) + "\n")
    bitrates = bitrate_table(codecs)
    bitrates.to_csv(paths["bitrates_csv"], index=False, float_format="%.4f")
    paths["bitrates_md"].write_text(frame_to_markdown(bitrates) + "\n")
    return paths
