"""A comparison as text: the Markdown report, and CSV cells guarded against formula injection."""

from __future__ import annotations

import html
import math
import re
import urllib.parse
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.compare.pairing import Comparison

__all__ = ["csv_safe", "markdown_escape", "safe_frame", "slug", "to_markdown"]


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#])")


def markdown_escape(value: object) -> str:
    """`value` as text safe inside a Markdown table cell: HTML characters as entities, Markdown
    punctuation and pipes backslash-escaped, line breaks as spaces."""
    text = html.escape(str(value), quote=False)
    text = re.sub(r"[\r\n\t\v\f]+", " ", text)
    return _MD_SPECIAL.sub(r"\\\1", text)


_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def csv_safe(value: object) -> object:
    """Guard one CSV cell against formula injection: text starting with ``= + - @`` (or a tab / CR)
    gets a leading apostrophe unless it is a plain number; numbers stay numbers."""
    if not isinstance(value, str) or not value:
        return value
    if value[0] in "=+-@\t\r" and not _NUMBER.match(value):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with `csv_safe` applied to every text cell (numeric columns untouched)."""
    out = frame.copy()
    for column in out.columns:
        dtype = out[column].dtype
        if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
            out[column] = out[column].map(csv_safe).astype(object)
    return out


def _fmt(value: object, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return (
        f"{float(value):.{digits}g}"
        if abs(float(value)) < 1e-3 and value != 0
        else f"{float(value):.{digits}f}"
    )


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "x"


def _fp_note(comparison: Comparison, side: str) -> str:
    found = comparison.codec_fingerprints.get(side) or []
    return f" (codec fingerprint {markdown_escape(', '.join(found))})" if found else ""


def to_markdown(
    comparison: Comparison,
    plots: dict[tuple[str, str, str], Path] | None = None,
    relative_to: Path | None = None,
) -> str:
    """The comparison as a Markdown report (every data string escaped)."""
    a, b = comparison.a, comparison.b
    with_folder = a.folder != b.folder
    s = comparison.settings
    lines = [
        (
            f"# Paired comparison: B = {markdown_escape(b.label(with_folder))} "
            f"vs A = {markdown_escape(a.label(with_folder))}"
        ),
        "",
        f"- A: codec {markdown_escape(a.codec)} in {markdown_escape(a.folder)}{_fp_note(comparison, 'A')}",
        f"- B: codec {markdown_escape(b.codec)} in {markdown_escape(b.folder)}{_fp_note(comparison, 'B')}",
        (
            "- Clips: those both systems scored successfully (same dataset and clip id, finite values, same "
            "metric fingerprint)."
        ),
        (
            "- Differences are B - A. Interval: paired percentile bootstrap of the mean, "
            f"{int(s['resamples'])} resamples, seed {int(s['seed'])}, {s['confidence']:.0%}. "
            "p: Wilcoxon signed-rank (scipy), two-sided, zero differences dropped."
        ),
        (
            f"- Wins / ties / losses: clips where B is better / within {s['tie_tolerance']:g} / worse, "
            "in each output's direction (↑ higher is better, ↓ lower is better)."
        ),
        (
            "- Verdict: B better (or A better) only when the interval excludes 0 and "
            f"p < {1 - s['confidence']:.2g}; otherwise no clear difference."
        ),
        "",
        (
            "| output | domain | n | mean A | mean B | B - A | CI | p | B wins / ties / losses | verdict "
            "| plot |"
        ),
        "|---|---|---:|---:|---:|---:|---|---:|---|---|---|",
    ]
    fps = comparison.codec_fingerprints
    if fps.get("A") and fps.get("A") == fps.get("B"):
        lines.insert(
            4,
            "- A and B ran the same codec configuration and weights (same codec fingerprint); "
            "any difference comes from elsewhere (clips, metric settings, randomness).",
        )
    several = comparison.rows.groupby(["output", "domain"])["fingerprint"].transform("nunique") > 1
    for (_, row), multi in zip(comparison.rows.iterrows(), several, strict=True):
        arrow = {True: " ↑", False: " ↓"}.get(row["higher_is_better"], " (direction unknown)")
        name = f"{row['output']}[{row['fingerprint']}]" if multi else row["output"]
        unit = f" {row['unit']}" if row["unit"] else ""
        wtl = (
            "n/a"
            if row["wins"] is None or pd.isna(row["wins"])
            else f"{int(row['wins'])} / {int(row['ties'])} / {int(row['losses'])}"
        )
        plot = ""
        if plots and (row["output"], row["domain"], row["fingerprint"]) in plots:
            path = plots[(row["output"], row["domain"], row["fingerprint"])]
            target = path.relative_to(relative_to) if relative_to else path
            plot = f"[plot]({urllib.parse.quote(target.as_posix())})"
        lines.append(
            f"| {markdown_escape(name)}{arrow}{markdown_escape(unit)} | {markdown_escape(row['domain'])} | "
            f"{int(row['n_pairs'])} | {_fmt(row['mean_a'])} | {_fmt(row['mean_b'])} | "
            f"{_fmt(row['mean_difference'])} | [{_fmt(row['ci_low'])}, {_fmt(row['ci_high'])}] | "
            f"{_fmt(row['wilcoxon_p'], 3)} | {wtl} | {markdown_escape(row['verdict'])} | {plot} |"
        )
    dropped = comparison.rows[["n_only_a", "n_only_b", "n_failed"]].sum()
    lines += [
        "",
        (
            f"Left out of the pairs: {int(dropped['n_only_a'])} scores of A only, "
            f"{int(dropped['n_only_b'])} of B only, "
            f"{int(dropped['n_failed'])} where a metric failed for A or B (counted per output and domain)."
        ),
    ]
    if not comparison.not_compared.empty:
        lines += ["", "## Not compared", "", "| output | domain | reason |", "|---|---|---|"]
        for _, row in comparison.not_compared.iterrows():
            lines.append(
                f"| {markdown_escape(row['output'])} | {markdown_escape(row['domain'])} | "
                f"{markdown_escape(row['reason'])} |"
            )
    return "\n".join(lines) + "\n"
