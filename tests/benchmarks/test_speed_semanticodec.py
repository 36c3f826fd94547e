"""The SemantiCodec speed benchmark's bookkeeping (the timing itself is a benchmark command, not a test)."""

from __future__ import annotations

import pytest

from benchmarks.speed_semanticodec import _encode_medians, _encode_timings, _speedups, _summarise, main


def test_speedups_pair_each_of_our_settings_with_the_official_run_of_the_same_rate():
    rows = [
        {"impl": "ours", "rate": 100, "decode_s": {"ddim50": 30.0, "dpmpp_2m10": 10.0}},
        {"impl": "official", "rate": 100, "decode_s": {"ddim50": 60.0}},
        {"impl": "ours", "rate": 50, "decode_s": {"ddim50": 20.0}},
        {"impl": "official", "rate": 50, "error": "out of memory"},
    ]
    got = {(item["rate"], item["ours"]): item["speedup"] for item in _speedups(rows)}
    assert got == {(100, "ddim50"): pytest.approx(2.0), (100, "dpmpp_2m10"): pytest.approx(6.0)}


def test_summary_turns_seconds_into_real_time_factors():
    summary = _summarise({"encode_s": 5.0, "decode_s": {"ddim50": 34.0}}, duration_s=10.0)
    assert summary["encode_rtf"] == pytest.approx(0.5)
    assert summary["decode_rtf"] == {"ddim50": pytest.approx(3.4)}
    assert _summarise({"error": "boom"}, duration_s=10.0) == {"error": "boom"}


def test_official_sampler_step_floor_is_enforced(capsys):
    with pytest.raises(SystemExit):
        main(["--steps", "1", "--rates", "100"])
    assert "fails below 2 steps" in capsys.readouterr().err


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
    (entry,) = _encode_medians(rows)
    assert entry["ours"]["median_encode_s"] == 4.0 and entry["ours"]["runs"] == 3
    assert entry["official"]["median_encode_s"] == 6.0 and entry["official"]["runs"] == 3
    assert entry["official_over_ours"] == pytest.approx(1.5)


def test_encode_timings_report_the_median_of_the_calls_after_the_first():
    ticks = iter([10.0, 1.0, 3.0, 2.0])

    def encode():
        import time

        time.sleep(next(ticks) / 1000)
        return "tokens"

    timings = _encode_timings(encode, 3)
    assert timings["tokens_out"] == "tokens" and len(timings["encode_calls_s"]) == 3
    assert timings["encode_first_s"] >= 0.009
    assert timings["encode_s"] == sorted(timings["encode_calls_s"])[1]
