"""`benchmarks.api`: one call runs an evaluation like the command line and returns DataFrames whose
numbers are the metric's values on the stored reconstructions; `load_results` reads a folder back."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from benchmarks import api
from benchmarks.api import EvaluationError, evaluate, load_results
from benchmarks.metrics import functional
from benchmarks.run import ConfigError
from tests.conftest import REPO_ROOT, harmonic_tone

SR = 16_000
CODECS = ["opus@6kbps", "codec2@3200"]


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory) -> tuple[Path, api.Results]:
    root = tmp_path_factory.mktemp("api")
    clips = root / "clips with space"
    clips.mkdir()
    for i in range(3):
        sf.write(clips / f"clip{i}.wav", harmonic_tone(1.5, SR, f0_hz=140 + 30 * i, seed=i), SR)
    results = evaluate(
        codecs=CODECS,
        datasets="folder",
        metrics=["mel_distance", "si_sdr"],
        overrides={
            "dataset.folder.root": str(clips),
            "dataset.folder.domain": "speech",
            "output_root": str(root / "results"),
            "cache_dir": str(root / "cache"),
            "progress": False,
            "report.plots": False,
        },
        name="notebook",
        verbose=False,
    )
    return root, results


def test_evaluate_returns_per_clip_rows_and_summary(evaluated):
    root, res = evaluated
    assert res.folder == root / "results" / "notebook"
    per_clip = res.per_clip
    assert set(per_clip["codec"]) == set(CODECS)
    assert set(per_clip["output"]) == {"mel_distance", "mel_distance_log10", "si_sdr"}
    assert len(per_clip) == 2 * 3 * 3 and per_clip["value"].notna().all()
    assert set(per_clip["domain"]) == {"speech"} and (per_clip["dataset"] == "folder").all()
    # One summary row per codec and visible output, its mean the mean of the per-clip values.
    summary = res.summary.set_index(["codec", "output"])
    assert set(summary.index) == {(c, o) for c in CODECS for o in ("mel_distance", "si_sdr")}
    for (codec, output), row in summary.iterrows():
        values = per_clip[(per_clip["codec"] == codec) & (per_clip["output"] == output)]["value"]
        assert row["mean"] == pytest.approx(values.mean()) and row["n"] == 3 and row["n_failed"] == 0
    assert not summary.loc[("opus@6kbps", "mel_distance"), "higher_is_better"]
    assert summary.loc[("opus@6kbps", "si_sdr"), "higher_is_better"]
    # The run's own summary.csv (rounded to 4 decimals) agrees.
    written = pd.read_csv(res.folder / "summary.csv").set_index(["codec", "output"])
    for key, row in summary.iterrows():
        assert written.loc[key, "mean"] == pytest.approx(row["mean"], abs=1e-4)
    assert set(res.reconstructions["codec"]) == set(CODECS) and (res.reconstructions["status"] == "ok").all()


def test_per_clip_values_are_the_metric_on_the_stored_reconstructions(evaluated):
    _, res = evaluated
    recons = res.reconstructions.set_index(["codec", "clip_id"])
    for _, row in res.per_clip[res.per_clip["output"].isin(["mel_distance", "si_sdr"])].iterrows():
        rec = recons.loc[(row["codec"], row["clip_id"])]
        estimate, rate = sf.read(rec["audio_path"], dtype="float32")
        reference, _ = sf.read(_clip_path(res, row["clip_id"]), dtype="float32")
        n = min(len(reference), len(estimate))
        fn = functional.mel_distance if row["output"] == "mel_distance" else functional.si_sdr
        assert row["value"] == pytest.approx(fn(estimate[:n], reference[:n], rate), rel=1e-9)


def _clip_path(res: api.Results, clip_id: str) -> Path:
    return res.folder.parent.parent / "clips with space" / f"{clip_id}.wav"


def test_second_evaluation_under_the_same_name_returns_only_its_selection(evaluated, capsys):
    root, first = evaluated
    again = evaluate(
        codecs="opus@6kbps",
        datasets="folder",
        metrics="mel_distance",
        overrides=[
            f"dataset.folder.root='{root / 'clips with space'}'",
            f"output_root={root / 'results'}",
            f"cache_dir={root / 'cache'}",
            "progress=false",
            "report.plots=false",
            "max_clips=2",
        ],
        name="notebook",
    )
    assert "2 clips x 1 codecs" in capsys.readouterr().out  # verbose: the command line's output
    assert set(again.per_clip["codec"]) == {"opus@6kbps"}
    assert set(again.per_clip["clip_id"]) == {"clip0", "clip1"}
    assert set(again.summary["codec"]) == {"opus@6kbps"} and (again.summary["n"] == 2).all()
    # The stored rows were reused, not recomputed: the first call's values and run ids.
    merged = again.per_clip.merge(first.per_clip, on=["codec", "clip_id", "output", "fingerprint"])
    assert len(merged) == len(again.per_clip)
    np.testing.assert_array_equal(merged["value_x"], merged["value_y"])
    assert (merged["run_id_x"] == merged["run_id_y"]).all()
    # load_results reads everything the folder holds.
    loaded = load_results(root / "results" / "notebook")
    assert set(loaded.per_clip["codec"]) == set(CODECS) and len(loaded.per_clip) == len(first.per_clip)
    pd.testing.assert_frame_equal(
        loaded.summary.drop(columns=["provenance"]).sort_values(["codec", "output"]).reset_index(drop=True),
        first.summary.drop(columns=["provenance"]).sort_values(["codec", "output"]).reset_index(drop=True),
    )


def test_quiet_evaluation_prints_nothing_and_mistakes_raise_clear_errors(evaluated, capsys, tmp_path):
    root, _ = evaluated
    with pytest.raises(ConfigError, match="no_such_key"):
        evaluate(codecs="opus@6kbps", datasets="folder", overrides=["no_such_key=1"], verbose=False)
    with pytest.raises(KeyError, match="opuss"):
        evaluate(
            codecs="opuss@6kbps",
            datasets="folder",
            metrics="mel_distance",
            name="x",
            verbose=False,
            overrides={
                "dataset.folder.root": str(root / "clips with space"),
                "output_root": str(tmp_path),
                "cache_dir": str(tmp_path / "cache"),
            },
        )
    assert capsys.readouterr().out == ""
    with pytest.raises(EvaluationError, match="does not exist"):
        load_results(tmp_path / "missing")
    (tmp_path / "no_store").mkdir()
    with pytest.raises(EvaluationError, match="store.sqlite not found"):
        load_results(tmp_path / "no_store")


_NOTEBOOK = """
import sys
import matplotlib
matplotlib.use("pdf")  # stands for a notebook's inline backend
import matplotlib.pyplot
from benchmarks import api
res = api.evaluate(codecs="original", datasets="folder", metrics="si_sdr", name="nb", verbose=False,
                   overrides={"dataset.folder.root": sys.argv[1], "output_root": sys.argv[2],
                              "cache_dir": sys.argv[3], "progress": False, "report.plots": False})
print(len(res.per_clip), matplotlib.get_backend())
"""


def test_evaluate_leaves_the_notebooks_matplotlib_backend_alone(evaluated, tmp_path):
    root, _ = evaluated
    result = subprocess.run(
        [sys.executable, "-c", _NOTEBOOK, str(root / "clips with space"), str(tmp_path), str(tmp_path / "c")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["3", "pdf"]
