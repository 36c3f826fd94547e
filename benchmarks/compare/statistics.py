"""The paired statistics of a comparison: bootstrap interval of the mean difference, Wilcoxon
signed-rank p-value, win/tie/loss counts and the verdict they give together."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

__all__ = ["paired_bootstrap_ci", "verdict", "wilcoxon_p", "win_tie_loss"]


def paired_bootstrap_ci(
    a: np.ndarray,
    b: np.ndarray,
    *,
    confidence: float = 0.95,
    resamples: int = 10_000,
    seed: int = 0,
    batch: int | None = None,
) -> tuple[float, float]:
    """Percentile-bootstrap interval of mean(b - a), resampling clips (pairs) with replacement.

    The same draws as ``scipy.stats.bootstrap((a, b), lambda a, b, axis: np.mean(b - a, axis=axis),
    paired=True, method="percentile", n_resamples=resamples, rng=np.random.default_rng(seed))``:
    ``resamples`` rows of n indices from ``default_rng(seed)`` (drawing them in batches does not
    change them), and linear-interpolation quantiles.

    Args:
        a, b: float ndarray[n], paired values (finite).
        confidence: two-sided level, e.g. 0.95.
        resamples: number of bootstrap resamples.
        seed: seed of `numpy.random.default_rng`, so a report can be regenerated exactly.
        batch: resamples drawn at once, to bound memory (None: up to 4 M indices per batch).

    Returns:
        (low, high); (NaN, NaN) for fewer than two pairs.
    """
    diff = np.asarray(b, dtype=float) - np.asarray(a, dtype=float)
    n = diff.size
    if n < 2:
        return math.nan, math.nan
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if resamples < 1:
        raise ValueError(f"resamples must be positive, got {resamples}")
    step = int(batch) if batch else max(1, min(resamples, 4_000_000 // n))
    rng = np.random.default_rng(seed)
    means = []
    for start in range(0, resamples, step):
        rows = min(step, resamples - start)
        index = rng.integers(0, n, (rows, n))
        means.append(diff[index].mean(axis=-1))
    distribution = np.concatenate(means)
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(distribution, [alpha, 1.0 - alpha])
    return float(low), float(high)


def wilcoxon_p(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank p-value of b - a (``scipy.stats.wilcoxon``, zero differences
    dropped, scipy's automatic exact/normal choice). Every difference zero gives 1.0, as scipy does
    (without its division warning); no pair gives NaN."""
    diff = np.asarray(b, dtype=float) - np.asarray(a, dtype=float)
    if diff.size == 0:
        return math.nan
    if not np.any(diff != 0):
        return 1.0
    return float(stats.wilcoxon(diff, zero_method="wilcox", alternative="two-sided").pvalue)


def win_tie_loss(
    a: np.ndarray, b: np.ndarray, higher_is_better: bool, tie_tolerance: float = 0.0
) -> tuple[int, int, int]:
    """(wins, ties, losses) of B against A, clip by clip, in the metric's direction.

    A tie is ``|b - a| <= tie_tolerance``; otherwise B wins when its value is better (higher for a
    higher-is-better output, lower for a lower-is-better one).
    """
    diff = np.asarray(b, dtype=float) - np.asarray(a, dtype=float)
    tie = np.abs(diff) <= tie_tolerance
    better = diff > 0 if higher_is_better else diff < 0
    wins = int(np.sum(better & ~tie))
    ties = int(np.sum(tie))
    return wins, ties, int(diff.size - wins - ties)


def verdict(low: float, high: float, p_value: float, higher_is_better: bool, confidence: float) -> str:
    """ "B better" / "A better" only when the interval excludes 0 and Wilcoxon agrees (p < 1 - confidence)."""
    if math.isnan(low) or math.isnan(high):
        return "too few pairs"
    if (low > 0 or high < 0) and p_value < 1.0 - confidence:
        return "B better" if (low > 0) == higher_is_better else "A better"
    return "no clear difference"
