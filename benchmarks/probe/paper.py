"""Which Table III value of the paper stands beside one of our probe results.

A value is shown only where both sides match: the task mirrors one of the paper's six HEAR tasks
(`ProbeTask.mirrors`), and the system is the paper's system at the paper's bitrate (the "first layer"
rows of the paper belong to the configuration of its "all layers" row: EnCodec 6 kbps, DAC 16 kHz
6 kbps, HiFi-Codec 2 kbps, SemantiCodec at each token rate with the 32768 vocabulary). The offline
tasks only mirror the paper's; their numbers compare in ranking, not in value.
"""

from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd

from benchmarks.paper import PAPER_SYSTEM_BY_FAMILY, table3

__all__ = ["PAPER_TASK_COLUMNS", "paper_table3_row", "paper_task_column"]

#: The paper's Table III task columns.
PAPER_TASK_COLUMNS: tuple[str, ...] = (
    "esc50", "nsynth_pitch", "speech_commands", "libricount", "crema_d", "vocal_imitation",
)
_ALIASES = {"esc_50": "esc50", "vocal_imitations": "vocal_imitation", "nsynth": "nsynth_pitch",
            "speechcommands": "speech_commands", "cremad": "crema_d"}


def paper_task_column(mirrors: str | None) -> str | None:
    """Table III column of a mirrored HEAR task name (``speech_commands_5h`` -> ``speech_commands``), or None."""
    if not mirrors:
        return None
    name = re.sub(r"[^a-z0-9]+", "_", str(mirrors).lower()).strip("_")
    name = re.sub(r"^hear_", "", name)
    name = re.sub(r"_(5h|50h|full|v\d+(_\d+)*)$", "", name)
    name = _ALIASES.get(name, name)
    return name if name in PAPER_TASK_COLUMNS else None


def paper_table3_row(family: str, kbps: float, section: str, extra: dict[str, Any] | None = None,
                     tolerance_kbps: float = 0.03) -> pd.Series | None:
    """The paper's row for our system in `section` (``all`` / ``first``), or None when nothing matches."""
    if kbps is None or (isinstance(kbps, float) and math.isnan(kbps)):
        return None
    system = PAPER_SYSTEM_BY_FAMILY.get(family)
    if system is None:
        return None
    table = table3()
    full = table[(table["vq_setting"] == "all") & (table["system"] == system)]
    full = full[(full["kbps"] - float(kbps)).abs() <= tolerance_kbps]
    if full.empty:
        return None
    if section == "all":
        return full.iloc[0]
    first_name = system
    if system == "semanticodec":
        first_name = f"semanticodec_{int(full.iloc[0]['tokens_per_s'])}"
    first = table[(table["vq_setting"] == "first") & (table["system"] == first_name)]
    return None if first.empty else first.iloc[0]
