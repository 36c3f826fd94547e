"""Per-clip export: every per-clip score of a run, with its fingerprints, as CSV and JSON Lines."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from benchmarks.report.per_clip import per_clip_frame
from benchmarks.run import main
from benchmarks.store import ResultStore
from tests.conftest import harmonic_tone

SR = 16_000


def test_a_run_exports_every_per_clip_score_with_its_fingerprint(tmp_path: Path) -> None:
    clips = tmp_path / "clips"
    clips.mkdir()
    for i in range(3):
        sf.write(clips / f"take.{i}.wav", harmonic_tone(1.0, SR, f0_hz=140 + 20 * i, seed=i), SR)
    code = main([
        "--codecs", "codec2@1200,original", "--datasets", "folder", "--metrics", "mel_distance",
        f"dataset.folder.root={clips}", "dataset.folder.domain=speech",
        f"output_root={tmp_path / 'r'}", f"cache_dir={tmp_path / 'c'}", "name=x", "progress=false",
        "report.plots=false",
    ])
    assert code == 0
    out = tmp_path / "r" / "x"
    with ResultStore(out / "store.sqlite") as store:
        scores = store.scores()
    exported = pd.read_csv(out / "per_clip.csv", dtype={"metric_fingerprint": str, "clip_id": str})
    jsonl = [json.loads(line) for line in (out / "per_clip.jsonl").read_text().splitlines()]
    # 3 clips x 2 codecs x the metric's 2 outputs (mel_distance and its log10 form).
    assert len(exported) == len(jsonl) == len(scores) == 12
    key = ["codec", "clip_id", "output"]
    merged = scores.merge(exported, on=key, suffixes=("_store", ""))
    assert len(merged) == 12
    np.testing.assert_array_equal(merged["value"], merged["value_store"])  # full precision, not rounded
    assert (merged["metric_fingerprint"] == merged["fingerprint"]).all()
    assert {r["clip_id"] for r in jsonl} == {"take.0", "take.1", "take.2"}
    assert {(r["codec"], r["clip_id"], r["output"]): r["value"] for r in jsonl} == {
        (c, i, o): v for c, i, o, v in zip(scores["codec"], scores["clip_id"], scores["output"], scores["value"])}
    # The fingerprint is the key into provenance.csv, and the per-clip values give the table's mean.
    provenance = pd.read_csv(out / "provenance.csv", dtype={"fingerprint": str})
    assert set(exported["metric_fingerprint"]) == set(provenance["fingerprint"])
    summary = pd.read_csv(out / "summary.csv").set_index(["codec", "output"])
    codec2 = exported[(exported["codec"] == "codec2@1200") & (exported["output"] == "mel_distance")]
    assert codec2["value"].mean() == pytest.approx(summary.loc[("codec2@1200", "mel_distance"), "mean"], abs=5e-5)
    assert (exported["measured_bitrate_kbps"][exported["codec"] == "codec2@1200"] > 1.0).all()


def test_reconstruction_fingerprints_are_carried_and_keep_versions_apart() -> None:
    scores = pd.DataFrame({
        "codec": ["c", "c"], "dataset": ["d", "d"], "clip_id": ["1", "1"], "metric": ["m", "m"],
        "output": ["o", "o"], "fingerprint": ["mfp", "mfp"], "value": [1.0, 2.0], "reason": [None, None],
        "codec_fingerprint": ["old", "new"], "domain": ["speech", "speech"],
    })
    recons = pd.DataFrame({
        "codec": ["c", "c"], "dataset": ["d", "d"], "clip_id": ["1", "1"], "codec_fingerprint": ["old", "new"],
        "duration_s": [1.0, 1.0], "measured_bitrate_kbps": [0.5, 0.7], "notes": ["", "padded"],
        "created_at": [1.0, 2.0],
    })
    frame = per_clip_frame(scores, recons).set_index("codec_fingerprint")
    assert frame.loc["old", "measured_bitrate_kbps"] == 0.5 and frame.loc["new", "measured_bitrate_kbps"] == 0.7
    assert (frame["metric_fingerprint"] == "mfp").all()
    # A store whose reconstructions carry a plain `fingerprint` column: exported as codec_fingerprint.
    plain = per_clip_frame(scores.drop(columns="codec_fingerprint").iloc[:1],
                           recons.rename(columns={"codec_fingerprint": "fingerprint"}))
    assert list(plain["codec_fingerprint"]) == ["new"]  # the newest reconstruction of the clip

