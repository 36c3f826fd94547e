"""The SemantiCodec speed command's bookkeeping (`benchmarks.speed_stats`) and its argument checks.

The timing itself is a command (``python -m tools.speed.speed_semanticodec``), not a test; the command
is run here only to check that it refuses bad arguments.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks.speed_stats import (
    compare_to_reference,
    encode_medians,
    encode_timings,
    output_deviation,
    real_time_factors,
    snr_db,
    speedups,
)
from tests.conftest import harmonic_tone

REPO_ROOT = Path(__file__).resolve().parents[2]


def _speed_command(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tools.speed.speed_semanticodec", *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120, check=False)


def test_speedups_pair_each_of_our_settings_with_the_official_run_of_the_same_rate():
    rows = [
        {"impl": "ours", "rate": 100, "decode_s": {"ddim50": 30.0, "dpmpp_2m10": 10.0}},
        {"impl": "official", "rate": 100, "decode_s": {"ddim50": 60.0}},
        {"impl": "ours", "rate": 50, "decode_s": {"ddim50": 20.0}},
        {"impl": "official", "rate": 50, "error": "out of memory"},
    ]
    got = {(item["rate"], item["ours"]): item["speedup"] for item in speedups(rows)}
    assert got == {(100, "ddim50"): pytest.approx(2.0), (100, "dpmpp_2m10"): pytest.approx(6.0)}


def test_summary_turns_seconds_into_real_time_factors():
    summary = real_time_factors({"encode_s": 5.0, "decode_s": {"ddim50": 34.0}}, duration_s=10.0)
    assert summary["encode_rtf"] == pytest.approx(0.5)
    assert summary["decode_rtf"] == {"ddim50": pytest.approx(3.4)}
    assert real_time_factors({"error": "boom"}, duration_s=10.0) == {"error": "boom"}


def test_official_sampler_step_floor_is_enforced():
    done = _speed_command("--steps", "1", "--rates", "100")
    assert done.returncode == 2
    assert "fails below 2 steps" in done.stderr


def test_bad_fast_setting_is_one_line_and_no_traceback():
    done = _speed_command("--compare-settings", "float32:ddim:50,bfloat16:euler:10")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "'bfloat16:euler:10': sampler must be one of ddim, dpmpp_2m" in done.stderr


def test_encode_medians_take_the_median_over_runs_per_side():
    rows = [
        {"impl": "ours", "rate": 100, "encode_s": 5.0},
        {"impl": "official", "rate": 100, "encode_s": 4.0},
        {"impl": "ours", "rate": 100, "encode_s": 3.0},
        {"impl": "official", "rate": 100, "encode_s": 9.0},
        {"impl": "ours", "rate": 100, "encode_s": 4.0},
        {"impl": "official", "rate": 100, "encode_s": 6.0},
        {"impl": "official", "rate": 100, "error": "killed"},
    ]
    (entry,) = encode_medians(rows)
    assert entry["ours"]["median_encode_s"] == 4.0 and entry["ours"]["runs"] == 3
    assert entry["official"]["median_encode_s"] == 6.0 and entry["official"]["runs"] == 3
    assert entry["official_over_ours"] == pytest.approx(1.5)


def test_encode_timings_report_the_median_of_the_calls_after_the_first():
    ticks = iter([10.0, 1.0, 3.0, 2.0])

    def encode():
        import time

        time.sleep(next(ticks) / 1000)
        return "tokens"

    timings = encode_timings(encode, 3)
    assert timings["tokens_out"] == "tokens" and len(timings["encode_calls_s"]) == 3
    assert timings["encode_first_s"] >= 0.009
    assert timings["encode_s"] == sorted(timings["encode_calls_s"])[1]


# ------------------------------------------------------------------ fast settings: output deviation

def test_snr_of_a_known_error_and_of_identical_signals():
    rng = np.random.default_rng(0)
    reference = rng.standard_normal(16_000)
    error = rng.standard_normal(16_000)
    error *= np.sqrt(np.sum(reference**2) / np.sum(error**2)) / 10.0  # error energy = reference / 100
    assert snr_db(reference, reference + error) == pytest.approx(20.0, abs=1e-9)
    assert snr_db(reference, reference) == math.inf
    assert snr_db(np.zeros(8), np.ones(8)) == -math.inf
    # the longer signal is cropped: extra samples do not count
    assert snr_db(reference, np.concatenate([reference + error, np.ones(100)])) == pytest.approx(20.0, abs=1e-9)
    with pytest.raises(ValueError, match="empty"):
        snr_db([], [1.0])


def test_deviation_grows_with_the_error_and_uses_the_suites_mel_distance():
    reference = harmonic_tone(1.0, 16_000, seed=1)
    noise = np.random.default_rng(2).standard_normal(reference.size).astype(np.float32)
    small = output_deviation(reference, reference + 0.001 * noise, 16_000)
    large = output_deviation(reference, reference + 0.05 * noise, 16_000)
    assert large["snr_db"] < small["snr_db"] - 30  # 50 x the noise amplitude: 34 dB less
    assert 0.0 < small["mel_distance_db"] < large["mel_distance_db"]
    assert output_deviation(reference, reference, 16_000) == {"snr_db": math.inf, "mel_distance_db": 0.0}


def test_deviation_of_a_silent_reference_says_why_the_mel_distance_is_missing():
    silent = np.zeros(16_000, dtype=np.float32)
    deviation = output_deviation(silent, silent + 0.01, 16_000)
    assert deviation["snr_db"] == -math.inf
    assert math.isnan(deviation["mel_distance_db"]) and "silence" in deviation["mel_distance_error"]


def test_settings_are_compared_with_the_reference_row():
    rows = [
        {"setting": "float32 ddim-50", "decode_s": 60.0, "peak_rss_gb": 4.0},
        {"setting": "bfloat16 ddim-50", "decode_s": 40.0, "peak_rss_gb": 2.5},
        {"setting": "float32 dpmpp_2m-10", "decode_s": 12.0, "peak_rss_gb": 4.0},
        {"setting": "bfloat16 dpmpp_2m-10", "error": "killed"},
    ]
    got = {item["setting"]: item for item in compare_to_reference(rows, "float32 ddim-50")}
    assert set(got) == {"float32 ddim-50", "bfloat16 ddim-50", "float32 dpmpp_2m-10"}
    assert got["float32 ddim-50"]["decode_speedup"] == 1.0
    assert got["bfloat16 ddim-50"]["decode_speedup"] == pytest.approx(1.5)
    assert got["bfloat16 ddim-50"]["peak_rss_ratio"] == pytest.approx(0.625)
    assert got["float32 dpmpp_2m-10"]["decode_speedup"] == pytest.approx(5.0)
    assert compare_to_reference(rows[1:], "float32 ddim-50") == []  # no reference row, no ratios
