"""`python -m benchmarks.compare`: the paired statistics against scipy and hand-computed values, the
pairing rules (only clips both systems scored, same metric settings, same audio), the report files,
and one-line errors for user mistakes."""

from __future__ import annotations

import csv
import inspect
import math
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from scipy import stats

from benchmarks.compare import (
    csv_safe,
    main,
    markdown_escape,
    paired_bootstrap_ci,
    wilcoxon_p,
    win_tie_loss,
)
from benchmarks.metrics.base import fingerprint
from benchmarks.metrics.intrusive import SISDR
from benchmarks.metrics.spectral import MelDistance
from benchmarks.store import ResultStore
from tests.conftest import REPO_ROOT, require_shared


def _mean_difference(a, b, axis=-1):
    return np.mean(b - a, axis=axis)


# -- statistics ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("n", "seed", "batch"), [(7, 0, None), (40, 1, None), (123, 5, 317), (2, 9, None), (501, 2, 7)]
)
def test_bootstrap_interval_equals_scipy_paired_percentile(n, seed, batch):
    """Same seed, same draws, same interval as scipy (which draws all resamples at once here)."""
    rng = np.random.default_rng(100 + n)
    a = rng.normal(3.0, 1.0, n)
    b = a + rng.normal(0.2, 0.5, n)
    for confidence in (0.95, 0.9):
        ours = paired_bootstrap_ci(a, b, confidence=confidence, resamples=3000, seed=seed, batch=batch)
        ref = stats.bootstrap(
            (a, b),
            _mean_difference,
            paired=True,
            method="percentile",
            confidence_level=confidence,
            n_resamples=3000,
            vectorized=True,
            rng=np.random.default_rng(seed),
        ).confidence_interval
        np.testing.assert_allclose(ours, (ref.low, ref.high), rtol=1e-12, atol=1e-12)


def test_bootstrap_interval_matches_hand_computed_distribution():
    # Two pairs with differences 0 and 1: a resample's mean is 0 (p 1/4), 0.5 (p 1/2) or 1 (p 1/4).
    a, b = np.array([1.0, 2.0]), np.array([1.0, 3.0])
    assert paired_bootstrap_ci(a, b, confidence=0.95, resamples=20_000, seed=3) == (0.0, 1.0)
    # The 30 % and 70 % quantiles both fall inside the 0.5 mass.
    assert paired_bootstrap_ci(a, b, confidence=0.4, resamples=20_000, seed=3) == (0.5, 0.5)
    # Identical differences: no spread at all.
    assert paired_bootstrap_ci(a, a + 0.25, resamples=500) == (0.25, 0.25)
    # One pair has no interval.
    assert all(math.isnan(v) for v in paired_bootstrap_ci(a[:1], b[:1]))
    # The same seed gives the same interval; another seed a (slightly) different one.
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=30), rng.normal(size=30)
    assert paired_bootstrap_ci(x, y, seed=4) == paired_bootstrap_ci(x, y, seed=4)
    assert paired_bootstrap_ci(x, y, seed=4) != paired_bootstrap_ci(x, y, seed=5)


def test_wilcoxon_p_equals_scipy_and_hand_computed_values():
    rng = np.random.default_rng(2)
    for n in (6, 15, 60):  # exact distribution for small n, normal approximation for large n
        a = rng.normal(size=n)
        b = a + rng.normal(0.3, 1.0, n)
        b[:2] = a[:2]  # zero differences are dropped, as scipy's default does
        assert wilcoxon_p(a, b) == stats.wilcoxon(b, a).pvalue
    # Tied absolute differences too.
    a = np.zeros(9)
    b = np.array([1, -1, 2, 2, -2, 3, 3, 3, 4], dtype=float)
    assert wilcoxon_p(a, b) == stats.wilcoxon(b, a).pvalue
    # By hand: d = 1..5 all positive: two-sided exact p = 2 / 2^5.
    assert wilcoxon_p(np.zeros(5), np.arange(1.0, 6.0)) == pytest.approx(0.0625)
    # d = 1, 2, 3, 4, -5: W- = 5; 10 of the 32 sign patterns have W- <= 5, so p = 2 x 10/32.
    assert wilcoxon_p(np.zeros(5), np.array([1.0, 2, 3, 4, -5])) == pytest.approx(0.625)
    # No difference at all: scipy says p = 1.
    assert wilcoxon_p(np.ones(4), np.ones(4)) == 1.0


def test_win_tie_loss_follows_the_metric_direction():
    a = np.array([1.0, 2.0, 3.0, 4.0])
    b = np.array([2.0, 2.0, 1.0, 4.05])
    assert win_tie_loss(a, b, higher_is_better=True) == (2, 1, 1)
    assert win_tie_loss(a, b, higher_is_better=False) == (1, 1, 2)
    assert win_tie_loss(a, b, higher_is_better=True, tie_tolerance=0.1) == (1, 2, 1)
    assert win_tie_loss(a, b, higher_is_better=False, tie_tolerance=0.1) == (1, 2, 1)


def test_markdown_escape_and_csv_guard():
    text = markdown_escape("a|b\nc <script>&_x_ `y` [z]")
    assert "|" not in text.replace("\\|", "")
    assert "\n" not in text and "<script>" not in text
    assert "&lt;script&gt;" in text and "&amp;" in text and "\\_x\\_" in text and "\\`y\\`" in text
    assert csv_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert csv_safe("+1+2") == "'+1+2"
    assert csv_safe("@SUM(A1)") == "'@SUM(A1)"
    assert csv_safe("-cmd|' /C calc'!A0") == "'-cmd|' /C calc'!A0"
    assert csv_safe("-3.5") == "-3.5" and csv_safe("-1e-3") == "-1e-3"
    assert csv_safe(-3.5) == -3.5 and csv_safe("opus@6kbps") == "opus@6kbps"


# -- stores built row by row ---------------------------------------------------------------------------
MEL = MelDistance()
SISDR_METRIC = SISDR()


# Stores that key rows by codec and clip fingerprints need them on every row; older ones take none.
_VERSIONED = "codec_fingerprint" in inspect.signature(ResultStore.add_scores).parameters


def _add(
    store: ResultStore,
    codec: str,
    clip_id: str,
    *,
    mel: float | None,
    si_sdr: float | None = None,
    domain: str = "speech",
    duration_s: float = 2.0,
    mel_metric: MelDistance = MEL,
    status: str = "ok",
    codec_fingerprint: str = "cfg0",
) -> None:
    """One clip of one system: its reconstruction row and its mel distance (and SI-SDR) scores."""
    key = {"codec": codec, "dataset": "ds", "clip_id": clip_id}
    if _VERSIONED:
        key.update(codec_fingerprint=f"{codec_fingerprint}", clip_fingerprint=f"{clip_id}-{duration_s}")
    store.add_reconstruction(
        **key,
        domain=domain,
        duration_s=duration_s,
        status=status,
        error=None if status == "ok" else "RuntimeError: boom",
    )
    if status != "ok":
        return
    prov = mel_metric.provenance(domain)
    store.add_scores(
        **key,
        metric="mel_distance",
        fingerprint=fingerprint(prov),
        provenance=prov,
        values={"mel_distance": mel, "mel_distance_log10": None if mel is None else mel / 20},
        reason=None if mel is not None else "MetricError: too short",
    )
    if si_sdr is not None:
        prov = SISDR_METRIC.provenance(domain)
        store.add_scores(
            **key, metric="si_sdr", fingerprint=fingerprint(prov), provenance=prov, values={"si_sdr": si_sdr}
        )


A_MEL = [5.0, 6.0, 4.5, 7.0, 5.5, 6.5, 5.2, 4.9]
B_MEL = [4.0, 6.5, 4.5, 6.0, 5.0, 5.5, 4.2, 4.0]
A_SDR = [1.0, 2.0, 0.5, 3.0, 1.5, 2.5, 1.2, 0.9]
B_SDR = [2.0, 1.5, 0.5, 3.5, 2.5, 3.0, 2.0, 2.0]


@pytest.fixture
def one_run(tmp_path: Path) -> Path:
    """A result folder with systems `old` and `new|<b>` on 10 clips; clips 8 and 9 are not usable pairs."""
    folder = tmp_path / "results" / "run"
    with ResultStore(folder / "store.sqlite") as store:
        for i in range(8):
            _add(store, "old", f"c{i}", mel=A_MEL[i], si_sdr=A_SDR[i])
            _add(store, "new|<b>", f"c{i}", mel=B_MEL[i], si_sdr=B_SDR[i])
        _add(store, "old", "c8", mel=3.0, si_sdr=1.0)
        _add(store, "new|<b>", "c8", mel=None, si_sdr=None)  # the metric failed for B
        _add(store, "old", "c9", mel=3.0, si_sdr=1.0)
        _add(store, "new|<b>", "c9", mel=None, status="error")  # B could not code the clip
        _add(store, "old", "only_a", mel=1.0)
    return folder


def _read(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "comparison.csv").set_index("output")


def test_one_run_two_codecs_statistics_and_files(one_run, tmp_path, capsys):
    out = tmp_path / "cmp"
    before = matplotlib.get_backend()
    assert main([str(one_run), "--a", "old", "--b", "new|<b>", "--out", str(out), "--resamples", "4000"]) == 0
    assert matplotlib.get_backend() == before  # the caller's backend is left alone
    table = _read(out)
    assert set(table.index) == {"mel_distance", "si_sdr"}  # the hidden log10 output is not compared
    a, b = np.array(A_MEL), np.array(B_MEL)
    mel = table.loc["mel_distance"]
    assert mel["n_pairs"] == 8 and mel["n_failed"] == 1 and mel["n_only_a"] == 2  # c8 failed; c9, only_a
    assert mel["mean_a"] == pytest.approx(a.mean()) and mel["mean_b"] == pytest.approx(b.mean())
    assert mel["mean_difference"] == pytest.approx((b - a).mean())
    low, high = paired_bootstrap_ci(a, b, resamples=4000, seed=0)
    assert (mel["ci_low"], mel["ci_high"]) == (pytest.approx(low), pytest.approx(high))
    assert mel["wilcoxon_p"] == pytest.approx(stats.wilcoxon(b, a).pvalue)
    # mel distance: lower is better, so B wins where its distance is smaller.
    assert (mel["wins"], mel["ties"], mel["losses"]) == (6, 1, 1)
    assert not mel["higher_is_better"] and mel["verdict"] == "B better"
    sdr = table.loc["si_sdr"]
    # SI-SDR: higher is better; c8 has a finite SI-SDR for A but none for B.
    assert (sdr["wins"], sdr["ties"], sdr["losses"]) == (6, 1, 1) and bool(sdr["higher_is_better"])
    assert sdr["mean_difference"] == pytest.approx(np.mean(np.array(B_SDR) - np.array(A_SDR)))
    # Its interval excludes 0 but p = 0.0625 > 0.05: no verdict either way.
    assert sdr["ci_low"] > 0 and sdr["wilcoxon_p"] > 0.05 and sdr["verdict"] == "no clear difference"
    pairs = pd.read_csv(out / "pairs.csv", keep_default_na=False)
    assert sorted(pairs[pairs["output"] == "mel_distance"]["clip_id"]) == [f"c{i}" for i in range(8)]
    for name in ("mel_distance_speech.png", "si_sdr_speech.png"):
        assert (out / "plots" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = (out / "comparison.md").read_text()
    assert "new\\|&lt;b&gt;" in md and "<b>" not in md  # the codec label is escaped
    (line,) = [line for line in md.splitlines() if line.startswith("| mel")]
    assert len(line.replace("\\|", "").split("|")) == 13  # 11 columns: no stray pipe from the data
    assert "6 / 1 / 1" in line and "(plots/mel_distance_speech.png)" in line and "B better" in line
    printed = capsys.readouterr().out
    assert "comparison.md" in printed and "B better" in printed


def test_swapping_a_and_b_mirrors_the_result(one_run, tmp_path):
    assert (
        main([str(one_run), "--a", "old", "--b", "new|<b>", "--out", str(tmp_path / "ab"), "--no-plots"]) == 0
    )
    assert (
        main([str(one_run), "--a", "new|<b>", "--b", "old", "--out", str(tmp_path / "ba"), "--no-plots"]) == 0
    )
    ab, ba = _read(tmp_path / "ab"), _read(tmp_path / "ba")
    for output in ("mel_distance", "si_sdr"):
        assert ab.loc[output, "mean_difference"] == pytest.approx(-ba.loc[output, "mean_difference"])
        assert ab.loc[output, "wins"] == ba.loc[output, "losses"]
        assert ab.loc[output, "wilcoxon_p"] == pytest.approx(ba.loc[output, "wilcoxon_p"])
    assert not (tmp_path / "ab" / "plots").exists()


def test_csv_cells_are_guarded_against_formulas(tmp_path):
    folder = tmp_path / "run"
    with ResultStore(folder / "store.sqlite") as store:
        for i in range(4):
            _add(store, "=cmd($x^$)", f"-c{i}", mel=5.0 + i)
            _add(store, "b", f"-c{i}", mel=4.0 + i * 1.1)
    out = tmp_path / "cmp"
    # (the "$...$" in the label must not be read as matplotlib mathtext in the plot title)
    assert main([str(folder), "--a", "=cmd($x^$)", "--b", "b", "--out", str(out)]) == 0
    assert (out / "plots" / "mel_distance_speech.png").is_file()
    with open(out / "comparison.csv", newline="") as fh:
        row = next(csv.DictReader(fh))
    assert row["system_a"] == "'=cmd($x^$)"
    assert float(row["mean_difference"]) == pytest.approx(np.mean([-1.0 + 0.1 * i for i in range(4)]))
    assert float(row["mean_difference"]) < 0  # numbers stay numbers, negative ones unquoted
    with open(out / "pairs.csv", newline="") as fh:
        clip_ids = [r["clip_id"] for r in csv.DictReader(fh)]
    assert clip_ids and all(c.startswith("'-c") for c in clip_ids)


def test_two_folders_pair_only_same_metric_settings_and_same_audio(tmp_path):
    old, new = tmp_path / "old_ckpt", tmp_path / "new_ckpt"
    other_mel = MelDistance(match_energy=False)
    with ResultStore(old / "store.sqlite") as s_old, ResultStore(new / "store.sqlite") as s_new:
        for i in range(6):
            _add(s_old, "semanticodec@1.4kbps", f"c{i}", mel=5.0 + 0.1 * i, si_sdr=1.0 + i)
            # New checkpoint: mel distance scored with other settings, SI-SDR with the same ones.
            _add(
                s_new,
                "semanticodec@1.4kbps",
                f"c{i}",
                mel=4.0,
                si_sdr=2.0 + i,
                mel_metric=other_mel,
                codec_fingerprint="cfg1",
            )
        _add(s_old, "semanticodec@1.4kbps", "moved", mel=5.0, si_sdr=1.0, duration_s=3.0)
        _add(
            s_new,
            "semanticodec@1.4kbps",
            "moved",
            mel=5.0,
            si_sdr=9.0,
            duration_s=4.0,
            codec_fingerprint="cfg1",
        )
    out = tmp_path / "cmp"
    assert (
        main([str(old), str(new), "--a", "semanticodec@1.4kbps", "--out", str(out), "--resamples", "500"])
        == 0
    )
    table = _read(out)
    assert list(table.index) == ["si_sdr"]
    assert table.loc["si_sdr", "n_pairs"] == 6  # "moved" has another duration: not the same clip
    assert table.loc["si_sdr", "mean_difference"] == pytest.approx(1.0)
    skipped = pd.read_csv(out / "not_compared.csv")
    reasons = " ".join(skipped["reason"])
    assert "metric settings differ" in reasons and "match_energy: True vs False" in reasons
    assert "ds/moved: same clip id, different duration" in reasons
    md = (out / "comparison.md").read_text()
    assert "## Not compared" in md and "metric settings differ" in md
    if _VERSIONED:  # stores that record codec fingerprints: each side's is shown
        assert "codec fingerprint cfg0" in md and "codec fingerprint cfg1" in md
        assert "same codec configuration" not in md


def test_an_output_scored_for_one_system_only_is_listed_not_paired(tmp_path, capsys):
    folder = tmp_path / "run"
    with ResultStore(folder / "store.sqlite") as store:
        for i in range(3):
            _add(store, "a", f"c{i}", mel=5.0 + i)
            _add(store, "b", f"c{i}", mel=4.0 + i, si_sdr=3.0)  # only B was scored with SI-SDR
    out = tmp_path / "cmp"
    assert main([str(folder), "--a", "a", "--b", "b", "--out", str(out), "--no-plots"]) == 0
    assert list(_read(out).index) == ["mel_distance"]
    skipped = pd.read_csv(out / "not_compared.csv")
    assert skipped.to_dict("records") == [
        {"output": "si_sdr", "domain": "speech", "reason": "scored for B only; nothing to pair"}
    ]
    assert "no clip that both scored" in _error(
        [str(folder), "--a", "a", "--b", "b", "--metrics", "si_sdr", "--out", str(out)], capsys
    )


def test_default_output_folder_and_single_codec_folders(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    with ResultStore(old / "store.sqlite") as s_old, ResultStore(new / "store.sqlite") as s_new:
        for i in range(3):
            _add(s_old, "dac@6kbps", f"c{i}", mel=5.0 + i)
            _add(s_new, "dac@6kbps", f"c{i}", mel=4.0 + i)
    assert main([str(old), str(new), "--no-plots", "--resamples", "200"]) == 0
    out = new / "compare" / "dac_6kbps_vs_old-dac_6kbps"
    assert (out / "comparison.csv").is_file()
    if _VERSIONED:
        assert "same codec configuration and weights" in (out / "comparison.md").read_text()


def _error(argv: list[str], capsys) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err
    return err


def test_user_mistakes_give_one_line_errors(one_run, tmp_path, capsys):
    assert "does not exist" in _error([str(tmp_path / "nope"), "--a", "old", "--b", "x"], capsys)
    (tmp_path / "empty").mkdir()
    assert "store.sqlite not found" in _error([str(tmp_path / "empty"), "--a", "x", "--b", "y"], capsys)
    err = _error([str(one_run), "--a", "old", "--b", "newest"], capsys)
    assert "'newest' is not in" in err and "new|<b>" in err and "old" in err
    assert "--a and --b" in _error([str(one_run), "--a", "old"], capsys)
    assert "same codec" in _error([str(one_run), "--a", "old", "--b", "old"], capsys)
    assert "choose one with --a" in _error([str(one_run), str(one_run)], capsys)
    assert "not scored" in _error([str(one_run), "--a", "old", "--b", "new|<b>", "--metrics", "wer"], capsys)
    assert "--resamples" in _error([str(one_run), "--a", "old", "--b", "new|<b>", "--resamples", "0"], capsys)
    (tmp_path / "corrupt").mkdir()
    (tmp_path / "corrupt" / "store.sqlite").write_bytes(b"this is not a database" * 100)
    assert "not a usable result store" in _error([str(tmp_path / "corrupt"), "--a", "x", "--b", "y"], capsys)
    # No clip in common.
    other = tmp_path / "other"
    with ResultStore(other / "store.sqlite") as store:
        _add(store, "x", "elsewhere", mel=1.0)
        _add(store, "y", "elsewhere2", mel=1.0)
    assert "no clip that both scored" in _error([str(other), "--a", "x", "--b", "y"], capsys)


def test_command_line_module_exits_non_zero_without_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.compare", str(tmp_path / "missing"), "--a", "x", "--b", "y"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: result folder {tmp_path / 'missing'} does not exist"
    ]


def test_real_run_of_two_demo_systems(tmp_path, capsys):
    """Two of the paper authors' real codec outputs, scored by `benchmarks.run`, then compared."""
    from benchmarks.metrics import functional
    from benchmarks.run import main as run_main

    demo = require_shared("data", "semanticodec-demo")
    systems = ["demo:encodec_24k_1_5kbps", "demo:semanticodec_1_43_kbps"]
    status = run_main(
        [
            "--codecs",
            ",".join(systems),
            "--datasets",
            "demo",
            "--metrics",
            "mel_distance,si_sdr",
            f"dataset.demo.root={demo}",
            "dataset.demo.domains=[speech]",
            "max_clips=3",
            f"output_root={tmp_path / 'results'}",
            f"cache_dir={tmp_path / 'cache'}",
            "name=demo",
            "progress=false",
            "report.plots=false",
        ]
    )
    assert status == 0
    capsys.readouterr()
    out = tmp_path / "cmp"
    folder = tmp_path / "results" / "demo"
    assert (
        main([str(folder), "--a", systems[0], "--b", systems[1], "--out", str(out), "--resamples", "2000"])
        == 0
    )
    table = _read(out)
    assert table.loc["mel_distance", "n_pairs"] == 3 and table.loc["si_sdr", "n_pairs"] == 3
    pairs = pd.read_csv(out / "pairs.csv")
    mel = pairs[pairs["output"] == "mel_distance"]
    # Each pair holds the value the metric gives on the real files.
    for _, row in mel.head(1).iterrows():
        reference, _ = sf.read(demo / "groundtruth" / f"{row['clip_id']}.flac", dtype="float32")
        estimate_a, _ = sf.read(demo / "encodec_24k_1_5kbps" / f"{row['clip_id']}.flac", dtype="float32")
        estimate_b, _ = sf.read(demo / "semanticodec_1_43_kbps" / f"{row['clip_id']}.flac", dtype="float32")
        assert row["value_a"] == pytest.approx(
            functional.mel_distance(estimate_a, reference, 16_000), rel=1e-9
        )
        assert row["value_b"] == pytest.approx(
            functional.mel_distance(estimate_b, reference, 16_000), rel=1e-9
        )
    a, b = mel["value_a"].to_numpy(), mel["value_b"].to_numpy()
    assert table.loc["mel_distance", "wins"] == int(np.sum(b < a))  # lower mel distance is better
    assert table.loc["mel_distance", "wilcoxon_p"] == pytest.approx(stats.wilcoxon(b, a).pvalue)


def test_direction_of_an_unregistered_metric_comes_from_the_runs_summary(tmp_path):
    """A metric this process cannot build (out-of-tree, or its package missing here): the direction
    the run wrote to summary.csv is used; without it, no win/loss is claimed."""
    folder = tmp_path / "run"
    prov = {"implementation": "my lab's metric", "version": "2"}
    with ResultStore(folder / "store.sqlite") as store:
        for i, (a, b) in enumerate([(1.0, 2.0), (2.0, 2.5), (3.0, 2.0), (1.5, 3.0)]):
            for codec, value in (("a", a), ("b", b)):
                _add(store, codec, f"c{i}", mel=5.0)
                key = {"codec": codec, "dataset": "ds", "clip_id": f"c{i}"}
                if _VERSIONED:
                    key.update(codec_fingerprint="cfg0", clip_fingerprint=f"c{i}-2.0")
                store.add_scores(
                    **key,
                    metric="lab_metric",
                    fingerprint=fingerprint(prov),
                    provenance=prov,
                    values={"lab_score": value},
                )
    argv = [str(folder), "--a", "a", "--b", "b", "--metrics", "lab_score", "--no-plots", "--out"]
    assert main([*argv, str(tmp_path / "unknown")]) == 0
    row = _read(tmp_path / "unknown").loc["lab_score"]
    assert row["verdict"] == "direction unknown" and math.isnan(row["wins"])
    assert row["mean_difference"] == pytest.approx(0.5)
    assert "lab\\_score (direction unknown)" in (tmp_path / "unknown" / "comparison.md").read_text()
    for higher, expected in ((True, (3, 0, 1)), (False, (1, 0, 3))):
        pd.DataFrame(
            [{"codec": "a", "output": "lab_score", "higher_is_better": higher, "unit": "pts"}]
        ).to_csv(folder / "summary.csv", index=False)
        out = tmp_path / f"higher_{higher}"
        assert main([*argv, str(out)]) == 0
        row = _read(out).loc["lab_score"]
        assert (row["wins"], row["ties"], row["losses"]) == expected and row["unit"] == "pts"


def _documented_commands() -> list[str]:
    """The bash commands of the README's "Comparing two systems" section."""
    text = (REPO_ROOT / "README.md").read_text()
    if "### Comparing two systems" not in text:
        pytest.fail("no 'Comparing two systems' section in README.md")
    section = text.split("### Comparing two systems", 1)[1].split("\n### ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.DOTALL)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


@pytest.mark.slow
def test_documented_comparison_commands_run_as_written(tmp_path):
    """The first documented block, run from a fresh folder on the embedded corpus (2 clips)."""
    from benchmarks.datasets.embedded_corpus.build import build_embedded

    corpus = REPO_ROOT / "data" / "embedded"
    build_embedded(corpus)  # as the documented run does on first use; kept when already up to date
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "embedded").symlink_to(corpus)
    commands = [c for c in _documented_commands() if "results/mine" in c or "name=mine" in c]
    assert len(commands) == 2 and "benchmarks.run" in commands[0] and "benchmarks.compare" in commands[1]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    for command, extra in zip(commands, (["max_clips=2", "progress=false"], []), strict=True):
        argv = [sys.executable, *shlex.split(command)[1:], *extra]
        done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=1800, env=env)
        assert done.returncode == 0, (command, done.stderr[-3000:])
        assert "Traceback" not in done.stderr
    table = pd.read_csv(
        tmp_path / "results" / "mine" / "compare" / "opus_6kbps_vs_codec2_3200" / "comparison.csv"
    )
    assert set(table["output"]) == {"mel_distance", "si_sdr"} and (table["n_pairs"] == 2).all()
