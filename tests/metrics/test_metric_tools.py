"""The metric throughput command and the ViSQOL profile check against the paper's Table II.

Both are commands in tools/ (not imported by the tests): they run here as a user runs them.
"""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT


def _command(module: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *args], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=3600, check=False)


def test_throughput_writes_csv_and_table(tmp_path):
    out = tmp_path / "throughput.csv"
    done = _command("tools.speed.metric_throughput", "--metrics", "si_sdr,pesq_wb", "--clips", "2",
                    "--duration-s", "2", "--out", str(out))
    assert done.returncode == 0, done.stderr[-2000:]
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert [r["metric"] for r in rows] == ["si_sdr", "pesq_wb"]
    for row in rows:
        assert row["status"] == "ok" and float(row["seconds_per_clip"]) >= 0 and row["clips"] == "2"
        assert row["fingerprint"] and "cores" in row["machine"]
    assert "| si_sdr | speech |" in done.stdout


def test_throughput_reports_unknown_metric():
    done = _command("tools.speed.metric_throughput", "--metrics", "visqoll")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "Unknown metric" in done.stderr


def test_profile_check_on_a_few_demo_clips(demo_dir, tmp_path):
    """Two clips of three systems: the `paper` profile must already sit near Table II's speech column."""
    out = tmp_path / "profiles"
    systems = "groundtruth,descript_codec_6kbps,descript_codec_0_47kbps"
    done = _command("tools.parity.verify_visqol_profiles", str(demo_dir), "--settings", "paper", "--limit", "2",
                    "--systems", systems, "--tolerance", "0.25", "--out", str(out))
    rows = list(csv.DictReader(out.with_suffix(".csv").read_text().splitlines()))
    assert [r["system"] for r in rows] == systems.split(",") and all(r["n"] == "2" for r in rows)
    assert done.returncode == 0, done.stderr[-2000:]
    gt = next(r for r in rows if r["system"] == "groundtruth")
    assert float(gt["mean"]) == pytest.approx(5.0, abs=0.01)
    assert "3/3 systems within 0.25 MOS of Table II" in out.with_suffix(".md").read_text()


@pytest.mark.slow
def test_paper_profile_matches_table2_on_all_demo_speech(demo_dir, tmp_path):
    """All 30 clips x 11 systems: every system's `paper` mean within 0.1 MOS of Table II (~3-10 min)."""
    out = tmp_path / "profiles"
    done = _command("tools.parity.verify_visqol_profiles", str(demo_dir), "--settings", "paper", "--out", str(out))
    assert done.returncode == 0, done.stderr[-2000:]


MY_METRICS = ("visqol", "visqol_paper", "wer", "wer_pseudo", "pesq_wb", "pesq_nb", "stoi", "estoi", "si_sdr",
              "speaker_similarity", "dnsmos")


def test_registered_metrics_declare_outputs_and_provenance():
    import json

    from benchmarks.metrics.registry import build_metric, metric_names

    assert set(MY_METRICS) <= set(metric_names())
    seen: dict[str, str] = {}
    for name in MY_METRICS:
        metric = build_metric(name)
        for out in metric.outputs:
            assert out.name not in seen, f"{out.name} declared by {seen.get(out.name)} and {name}"
            seen[out.name] = name
            assert out.aggregate == "mean" or out.aggregate.startswith("ratio:")
        for domain in metric.domains:
            prov = metric.provenance(domain)
            assert {"implementation", "version", "mode", "model", "sample_rate"} <= set(prov), name
            json.dumps(prov)  # storable
            assert metric.fingerprint(domain) == build_metric(name).fingerprint(domain)
