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

from benchmarks.datasets.base import TABLE_II_DOMAIN_ORDER as DOMAINS_ORDER
from benchmarks.paper import PAPER_COLUMN_BY_OUTPUT, paper_row
from benchmarks.report.escape import markdown_cell, write_csv
from benchmarks.report.paper_notes import SUPERSCRIPTS, PaperCaveat, caveat_for

__all__ = [
    "table_ii", "write_tables", "bitrate_table", "to_markdown", "frame_to_markdown", "markdown_table",
    "paper_agreement",
    "column_caveats", "DOMAINS_ORDER",
]

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


def column_caveats(summary: pd.DataFrame) -> dict[str, PaperCaveat | None]:
    """Per table column ``<domain>/<label>``: the caveat on its paper values, or None (comparable values)."""
    out: dict[str, PaperCaveat | None] = {}
    if summary.empty:
        return out
    for _, row in summary.drop_duplicates(["domain", "label"]).iterrows():
        provenance = row.get("provenance")
        out[f"{row['domain']}/{row['label']}"] = caveat_for(
            row["output"], provenance if isinstance(provenance, dict) else None)
    return out


def _value_columns(table: pd.DataFrame) -> list[str]:
    return [c[: -len("/mean")] for c in table.columns if c.endswith("/mean")]


def _footnotes(
    table: pd.DataFrame, caveats: dict[str, PaperCaveat | None]
) -> dict[str, tuple[str, PaperCaveat]]:
    """Column -> (marker, caveat) for the columns that show paper values under a caveat."""
    notes: dict[str, tuple[str, PaperCaveat]] = {}
    for col in _value_columns(table):
        caveat = caveats.get(col)
        if caveat is not None and table[f"{col}/paper"].notna().any():
            notes[col] = (SUPERSCRIPTS[len(notes) % len(SUPERSCRIPTS)], caveat)
    return notes


def to_markdown(table: pd.DataFrame, summary: pd.DataFrame) -> str:
    """Markdown rendering: 'mean ± ci (paper)' per cell, arrows for direction, n in the header.

    A paper value whose convention differs from ours carries a footnote marker, explained under the table.
    Every data string is escaped (`benchmarks.report.escape.markdown_cell`).
    """
    direction = {r["label"]: ("↑" if r["higher_is_better"] else "↓") for _, r in summary.iterrows()} if not summary.empty else {}
    value_cols = _value_columns(table)
    notes = _footnotes(table, column_caveats(summary))
    header = ["codec", "weights", "kbps nominal", "kbps measured"]
    for col in value_cols:
        domain, label = col.split("/", 1)
        n = table[f"{col}/n"].max()
        count = int(n) if pd.notna(n) else 0
        header.append(markdown_cell(f"{domain} {label} {direction.get(label, '')} (n={count})"))
    rows = []
    for _, row in table.iterrows():
        cells = [markdown_cell(row["codec"]), markdown_cell(row.get("weights", "")),
                 _fmt(row["nominal_bitrate_kbps"]), _fmt(row.get("measured_bitrate_kbps", math.nan), 3)]
        for col in value_cols:
            cell = _fmt(row[f"{col}/mean"])
            if pd.notna(row[f"{col}/ci95"]):
                cell += f" ± {_fmt(row[f'{col}/ci95'])}"
            if pd.notna(row[f"{col}/paper"]):
                marker = notes[col][0] if col in notes else ""
                cell += f" ({_fmt(row[f'{col}/paper'])}{marker})"
            cells.append(cell)
        rows.append(cells)
    lines = [markdown_table(header, rows), ""]
    lines.append("Cells: our mean ± 95 % CI over the clips scored (n in the header is the largest count in the column), "
                 "the paper's Table II value in parentheses where the system and bitrate match.")
    if notes:
        lines.append("")
        lines.append("Paper values marked with a superscript were measured under a convention that differs "
                     "from ours:")
        lines.append("")
        for col, (marker, caveat) in notes.items():
            lines.append(f"- {marker} {markdown_cell(col)} ({caveat.comparable}): {caveat.note}")
    return "\n".join(lines)


def paper_agreement(
    table: pd.DataFrame, caveats: dict[str, PaperCaveat | None] | None = None
) -> pd.DataFrame:
    """Per column with paper values, over the systems (rows with a bitrate) that have both numbers:
    their count, Spearman rank correlation, mean and max |ours - paper|, and what is comparable.

    The ground-truth row (no bitrate) is a ceiling, not a system: it is left out of every figure, so the
    count and the averages cover the same rows. ``comparable`` is ``values`` where our convention is the
    paper's and the caveat's ``ranking only`` otherwise (see `benchmarks.report.paper_notes`).
    """
    caveats = caveats or {}
    columns = ["column", "systems", "spearman", "mean_abs_diff", "max_abs_diff", "comparable"]
    rows = []
    for col in _value_columns(table):
        pair = [f"{col}/mean", f"{col}/paper"]
        both = table[[*pair, "nominal_bitrate_kbps"]].dropna(subset=pair)
        systems = both[both["nominal_bitrate_kbps"].notna()]
        if systems.empty:
            continue
        diff = (systems[f"{col}/mean"] - systems[f"{col}/paper"]).abs()
        rho = spearmanr(*(systems[c] for c in pair)).statistic if len(systems) >= 3 else math.nan
        caveat = caveats.get(col)
        rows.append(dict(column=col, systems=int(len(systems)), spearman=float(rho),
                         mean_abs_diff=float(diff.mean()), max_abs_diff=float(diff.max()),
                         comparable=caveat.comparable if caveat is not None else "values"))
    return pd.DataFrame(rows, columns=columns)


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub-flavoured Markdown table (pandas `to_markdown`) of cells that are already text.

    Cells are written as given (no number parsing, reformatting or padding): escape data strings with
    `markdown_cell` first.
    """
    frame = pd.DataFrame(rows, columns=header)
    return frame.to_markdown(index=False, disable_numparse=True, stralign=None, numalign=None)


def frame_to_markdown(frame: pd.DataFrame, digits: int = 3) -> str:
    """A plain Markdown table of `frame` (floats to `digits` decimals, NaN as a dash, strings escaped)."""
    def cell(v: object) -> str:
        return _fmt(v, digits) if isinstance(v, float) else markdown_cell(v)

    rows = [[cell(v) for v in row] for row in frame.itertuples(index=False)]
    return markdown_table([markdown_cell(c) for c in frame.columns], rows)


def bitrate_table(codecs: pd.DataFrame) -> pd.DataFrame:
    """Nominal vs measured (vs entropy) bitrate per codec with a mismatch flag."""
    cols = [c for c in ("codec", "family", "weights", "nominal_bitrate_kbps", "measured_bitrate_kbps",
                        "entropy_bitrate_kbps", "codebook_usage", "bitrate_warning") if c in codecs.columns]
    return codecs[cols]


def write_tables(
    table: pd.DataFrame, summary: pd.DataFrame, codecs: pd.DataFrame, out_dir: Path
) -> dict[str, Path]:
    """Write table_ii.csv/.md, summary.csv, bitrates.csv/.md (and paper_agreement.csv) under `out_dir`.

    Every CSV goes through `benchmarks.report.escape.write_csv`, every Markdown cell through
    `markdown_cell`. Returns the paths.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "table_csv": out_dir / "table_ii.csv",
        "table_md": out_dir / "table_ii.md",
        "summary_csv": out_dir / "summary.csv",
        "bitrates_csv": out_dir / "bitrates.csv",
        "bitrates_md": out_dir / "bitrates.md",
    }
    write_csv(table, paths["table_csv"])
    markdown = to_markdown(table, summary) + "\n"
    if not summary.empty:
        write_csv(summary.drop(columns=["provenance"], errors="ignore"), paths["summary_csv"])
    else:
        paths["summary_csv"].write_text("")
    agreement = paper_agreement(table, column_caveats(summary))
    if not agreement.empty:
        paths["paper_agreement_csv"] = out_dir / "paper_agreement.csv"
        write_csv(agreement, paths["paper_agreement_csv"])
        markdown += ("\nAgreement with the paper's Table II over the systems with a bitrate "
                     "(the ground-truth row is left out of every figure); `comparable` says "
                     "whether values or only ranks can be compared:\n\n")
        markdown += frame_to_markdown(agreement) + "\n"
    paths["table_md"].write_text(markdown)
    bitrates = bitrate_table(codecs)
    write_csv(bitrates, paths["bitrates_csv"])
    paths["bitrates_md"].write_text(frame_to_markdown(bitrates) + "\n")
    return paths
