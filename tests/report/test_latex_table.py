"""Table II in LaTeX (booktabs): hostile data strings escaped, best value per column in bold by direction."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from benchmarks.report.latex import latex_escape, table_ii_latex
from tests.report.latex_check import latex_text, table_rows

HOSTILE = ["&%$#_{}~^\\", "a & b", "50% off", "x_1^2", r"\textbf{evil}", "{unbalanced", "tab\there\nnl",
           "pipe|<less>"]


@pytest.mark.parametrize("name", HOSTILE)
def test_latex_escape_reads_back_as_the_same_text(name):
    assert latex_text(latex_escape(name)) == name.replace("\t", " ").replace("\n", " ")


def _table(
    codecs: list[str], mel: list[float], visqol: list[float], kbps: list[float]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    table = pd.DataFrame({
        "codec": codecs, "family": "fam", "weights": "none", "nominal_bitrate_kbps": kbps,
        "measured_bitrate_kbps": math.nan,
        "speech/mel_distance/mean": mel, "speech/mel_distance/ci95": 0.1, "speech/mel_distance/n": 30,
        "speech/mel_distance/paper": math.nan,
        "speech/visqol_paper/mean": visqol, "speech/visqol_paper/ci95": 0.05, "speech/visqol_paper/n": 30,
        "speech/visqol_paper/paper": math.nan,
    })
    summary = pd.DataFrame([
        dict(codec=c, domain="speech", output=o, label=o, higher_is_better=h, unit=u, provenance={})
        for c in codecs for o, h, u in (("mel_distance", False, "dB"), ("visqol_paper", True, "MOS"))])
    return table, summary


def test_hostile_system_names_keep_the_table_structure():
    kbps = [math.nan] + [1.0 + i for i in range(len(HOSTILE) - 1)]
    table, summary = _table(HOSTILE, [0.0] + [3.0 + i for i in range(len(HOSTILE) - 1)],
                            [5.0] + [4.0 - 0.1 * i for i in range(len(HOSTILE) - 1)], kbps)
    tex = table_ii_latex(table, summary)
    assert tex.count("\\toprule") == tex.count("\\midrule") == tex.count("\\bottomrule") == 1
    rows = table_rows(tex)
    assert len(rows) == len(HOSTILE)
    for name, cells in zip(HOSTILE, rows):
        assert len(cells) == 6, cells  # a raw & would have added a column
        assert latex_text(cells[0]) == name.replace("\t", " ").replace("\n", " ")


def test_best_value_per_column_is_bold_in_the_metrics_direction():
    codecs = ["original", "sys_a", "sys_b", "sys_c"]
    # The reference row (no bitrate) is a ceiling, not a system: it is never the bold one.
    table, summary = _table(codecs, [0.0, 4.2, 2.7, 3.9], [5.0, 3.1, 3.4, 4.4], [math.nan, 1.0, 2.0, 6.0])
    rows = {latex_text(r[0]): r for r in table_rows(table_ii_latex(table, summary))}
    bold_mel = [c for c, r in rows.items() if r[4].startswith("\\textbf{")]
    bold_visqol = [c for c, r in rows.items() if r[5].startswith("\\textbf{")]
    assert bold_mel == ["sys_b"]  # lower is better
    assert bold_visqol == ["sys_c"]  # higher is better
    assert rows["sys_b"][4] == "\\textbf{2.70} $\\pm$ 0.10"
    header = table_ii_latex(table, summary).split("\\toprule\n", 1)[1].split("\n", 1)[0]
    assert "Mel distance (dB) $\\downarrow$" in header
    assert "ViSQOL (paper profile) (MOS) $\\uparrow$" in header
