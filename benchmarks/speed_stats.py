"""Bookkeeping of speed measurements: timed calls, medians over runs, real-time factors, speed-ups,
and how far the output of a faster setting deviates from a reference setting's output.

Used by the speed commands in ``tools/speed``. Only the standard library is imported at module level
(their worker processes import this module next to the official SemantiCodec package);
`output_deviation` imports numpy and the suite's mel distance when called.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

__all__ = [
    "compare_to_reference",
    "encode_medians",
    "encode_timings",
    "output_deviation",
    "real_time_factors",
    "snr_db",
    "speedups",
    "timed",
]


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    """(fn(), wall-clock seconds of the call)."""
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def encode_timings(encode: Callable[[], Any], calls: int) -> dict[str, Any]:
    """First call alone, then `calls` more; ``encode_s`` is their median (wall clock), ``encode_cpu_s``
    the median process CPU time, which with one thread is work done, little affected by other jobs.
    ``tokens_out`` is the first call's result."""
    tokens, first_s = timed(encode)
    times, cpu_times = [], []
    for _ in range(max(calls, 1)):
        cpu_start = time.process_time()
        times.append(timed(encode)[1])
        cpu_times.append(time.process_time() - cpu_start)
    return {"tokens_out": tokens, "encode_first_s": first_s, "encode_calls_s": times,
            "encode_s": statistics.median(times), "encode_cpu_calls_s": cpu_times,
            "encode_cpu_s": statistics.median(cpu_times)}


def real_time_factors(result: dict[str, Any], duration_s: float) -> dict[str, Any]:
    """`result` plus ``encode_rtf`` and ``decode_rtf`` (seconds per second of audio); errors pass through."""
    if "error" in result:
        return result
    return {
        **result,
        "encode_rtf": result["encode_s"] / duration_s,
        "decode_rtf": {name: seconds / duration_s for name, seconds in result["decode_s"].items()},
    }


def encode_medians(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per rate and side: the median over runs of each run's encode_s; official / ours as a ratio."""
    out = []
    for rate in sorted({row["rate"] for row in rows}, reverse=True):
        medians = {}
        for impl in ("ours", "official"):
            done = [r for r in rows if r["rate"] == rate and r["impl"] == impl and "error" not in r]
            if done:
                times = [r["encode_s"] for r in done]
                medians[impl] = {"runs": len(times), "median_encode_s": statistics.median(times), "encode_s": times}
                if all("encode_cpu_s" in r for r in done):
                    cpu = [r["encode_cpu_s"] for r in done]
                    medians[impl].update(median_encode_cpu_s=statistics.median(cpu), encode_cpu_s=cpu)
        entry = {"rate": rate, **medians}
        if len(medians) == 2:
            entry["official_over_ours"] = medians["official"]["median_encode_s"] / medians["ours"]["median_encode_s"]
            if "median_encode_cpu_s" in medians["ours"] and "median_encode_cpu_s" in medians["official"]:
                entry["official_over_ours_cpu"] = (medians["official"]["median_encode_cpu_s"]
                                                   / medians["ours"]["median_encode_cpu_s"])
        out.append(entry)
    return out


def speedups(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Official decode time / our decode time, per rate, official setting and our setting."""
    out = []
    for row in rows:
        if row.get("impl") != "ours" or "error" in row:
            continue
        reference = next((r for r in rows if r.get("impl") == "official" and r["rate"] == row["rate"]
                          and "error" not in r), None)
        if reference is None:
            continue
        for official_name, official_s in reference["decode_s"].items():
            for name, seconds in row["decode_s"].items():
                out.append({"rate": row["rate"], "official": official_name, "ours": name,
                            "speedup": official_s / seconds})
    return out


def snr_db(reference: Sequence[float], estimate: Sequence[float]) -> float:
    """10 log10(sum ref^2 / sum (ref - est)^2) over the shorter length, in dB; inf when equal.

    Args:
        reference, estimate: ndarray[T] or Tensor[T] (any float dtype; computed in float64).
    """
    import numpy as np

    n = min(len(reference), len(estimate))
    if n == 0:
        raise ValueError("empty signal: SNR needs at least one sample")
    ref = np.asarray(reference[:n], dtype=np.float64)
    err = ref - np.asarray(estimate[:n], dtype=np.float64)
    noise, signal = float(np.sum(err**2)), float(np.sum(ref**2))
    if noise == 0.0:
        return math.inf
    if signal == 0.0:
        return -math.inf
    return 10.0 * math.log10(signal / noise)


def output_deviation(reference: Any, estimate: Any, sample_rate: int) -> dict[str, Any]:
    """How far `estimate` is from `reference`: waveform SNR (dB) and the paper's mel distance (dB).

    Args:
        reference, estimate: float ndarray[T] or Tensor[T] at `sample_rate` Hz (cropped to the shorter).
    Returns:
        ``{"snr_db", "mel_distance_db"}``; when the mel distance cannot be computed (e.g. a near-silent
        reference) it is NaN and ``mel_distance_error`` says why.
    """
    from benchmarks.metrics.base import MetricError
    from benchmarks.metrics.functional import mel_distance

    out: dict[str, Any] = {"snr_db": snr_db(reference, estimate)}
    try:
        out["mel_distance_db"] = float(mel_distance(estimate, reference, sample_rate))
    except MetricError as exc:
        out["mel_distance_db"] = math.nan
        out["mel_distance_error"] = str(exc)
    return out


def compare_to_reference(rows: list[dict[str, Any]], reference: str) -> list[dict[str, Any]]:
    """Per setting row: decode speed-up and peak-memory ratio over the `reference` setting's row.

    Rows carry ``setting``, ``decode_s`` (seconds) and ``peak_rss_gb``; rows with ``error`` are skipped.
    """
    base = next((r for r in rows if r["setting"] == reference and "error" not in r), None)
    if base is None:
        return []
    return [{"setting": row["setting"], "decode_speedup": base["decode_s"] / row["decode_s"],
             "peak_rss_ratio": row["peak_rss_gb"] / base["peak_rss_gb"]}
            for row in rows if "error" not in row]
