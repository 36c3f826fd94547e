"""Paired comparison of two systems: "is my checkpoint better?".

    python -m benchmarks.compare results/mine --a opus@6kbps --b semanticodec@1.4kbps
    python -m benchmarks.compare results/old_ckpt results/new_ckpt --a semanticodec@1.4kbps

A system is a codec label in a result folder (the folder ``python -m benchmarks.run`` wrote, with its
``store.sqlite``). With one folder, A and B are two codec labels of that run; with two folders, A is
in the first and B in the second (``--b`` defaults to ``--a``; either may be left out when its folder
holds a single codec).

Only clips that both systems scored successfully are compared: same dataset and clip id, both
reconstructions ok, both values finite, and the same metric fingerprint (metric implementation,
version and settings). Outputs whose settings differ between A and B are listed, never paired. Per
metric output and domain the report gives the number of pairs, each system's mean, the mean
difference B - A with a paired percentile-bootstrap confidence interval, the Wilcoxon signed-rank
p-value (scipy, two-sided, zero differences dropped), win/tie/loss counts of B against A in the
output's own direction, and a plot of the per-clip differences. Files written to the output folder:
``comparison.md``, ``comparison.csv``, ``pairs.csv`` (every pair), ``not_compared.csv`` and
``plots/``. The verdict says "B better" (or "A better") only when the interval excludes 0 and the
Wilcoxon p-value is below 1 - confidence.
"""

from benchmarks.compare.cli import main, write_comparison
from benchmarks.compare.pairing import DURATION_TOLERANCE_S, Comparison, compare
from benchmarks.compare.plots import plot_differences
from benchmarks.compare.render import csv_safe, markdown_escape, to_markdown
from benchmarks.compare.statistics import paired_bootstrap_ci, wilcoxon_p, win_tie_loss
from benchmarks.compare.systems import CompareError, System, resolve_systems

__all__ = [
    "DURATION_TOLERANCE_S",
    "CompareError",
    "Comparison",
    "System",
    "compare",
    "csv_safe",
    "main",
    "markdown_escape",
    "paired_bootstrap_ci",
    "plot_differences",
    "resolve_systems",
    "to_markdown",
    "wilcoxon_p",
    "win_tie_loss",
    "write_comparison",
]
