"""The SemantiCodec paper's published numbers (arXiv 2405.00233 v2, Tables II and III), shipped as data.

`table2()` returns Table II: objective reconstruction quality on the paper's 1050-clip set;
`paper_row(system, kbps)` finds the row of one system at one bitrate.
Columns: ``{sound,music,speech}_{mel,stft,visqol}``, ``wer_percent``, ``visqol_avg``, ``kbps``.
"""

from __future__ import annotations

import functools
import math
from importlib import resources

import pandas as pd

__all__ = ["table2", "table3", "paper_row", "PAPER_SYSTEM_BY_FAMILY", "PAPER_COLUMN_BY_OUTPUT"]

#: Codec family in this suite -> system name in the paper tables (identity for names already in them).
PAPER_SYSTEM_BY_FAMILY: dict[str, str] = {
    "encodec": "encodec_24khz",
    "dac": "dac_16khz",
    "hificodec": "hificodec_16k_320d",
    "semanticodec": "semanticodec",
    "reference": "ground_truth",
}

#: Metric output in this suite -> Table II column stem (domain prefix added), or a full column name.
PAPER_COLUMN_BY_OUTPUT: dict[str, str] = {
    "mel_distance": "mel",
    "stft_distance": "stft",
    "visqol": "visqol",
    "visqol_paper": "visqol",
    "wer": "wer_percent",
    # Against a pseudo-reference (the ASR's transcript of the original): comparable in ranking only.
    "wer_pseudo": "wer_percent",
}


@functools.lru_cache(maxsize=None)
def table2() -> pd.DataFrame:
    with resources.files(__package__).joinpath("table2_reconstruction.csv").open() as fh:
        return pd.read_csv(fh)


@functools.lru_cache(maxsize=None)
def table3() -> pd.DataFrame:
    with resources.files(__package__).joinpath("table3_semantic.csv").open() as fh:
        return pd.read_csv(fh)


def paper_row(family: str, kbps: float | None, tolerance_kbps: float = 0.03) -> pd.Series | None:
    """Table II row of `family` (suite family or paper system name) at `kbps`, or None.

    A system without a bitrate (the ground truth) matches when `kbps` is None or NaN.
    """
    system = PAPER_SYSTEM_BY_FAMILY.get(family, family)
    rows = table2()[table2()["system"] == system]
    if rows.empty:
        return None
    if kbps is None or math.isnan(float(kbps)):
        no_rate = rows[rows["kbps"].isna()]
        return no_rate.iloc[0] if len(no_rate) == 1 else None
    close = rows[(rows["kbps"] - float(kbps)).abs() <= tolerance_kbps]
    return None if close.empty else close.iloc[0]
