"""The analysis notebook executes top to bottom, from any working directory, on any run folder."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from benchmarks.datasets.base import Clip
from benchmarks.metrics.base import MetricOutput
from benchmarks.report.build import build_report
from benchmarks.store import ResultStore

nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed (pip install -e '.[dev]')")
nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (pip install -e '.[dev]')")

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "explore_results.ipynb"
OUTPUTS = {
    "mel_distance": MetricOutput("mel_distance", higher_is_better=False, lower=0.0, unit="dB"),
    "visqol_paper": MetricOutput("visqol_paper", higher_is_better=True, lower=1.0, upper=5.0, unit="MOS"),
}
# codec -> (family, nominal kbps, mel offset): SemantiCodec at two of the paper's bitrates, Opus,
# the reference.
SYSTEMS = {"semanticodec@0.70": ("semanticodec", 0.70, 1.0), "semanticodec@1.40": ("semanticodec", 1.40, 0.6),
           "opus@6kbps": ("opus", 6.0, 3.0), "original": ("reference", None, 0.0)}
N_CLIPS = 12
OUTLIER = ("opus@6kbps", "speech07")


def _execute(cwd: Path, monkeypatch: pytest.MonkeyPatch, **env: str) -> list[str]:
    """Run the notebook with `cwd` as working directory; returns every text and HTML output, in order."""
    monkeypatch.delenv("CODECBENCH_ROOT", raising=False)
    monkeypatch.delenv("CODECBENCH_RUN", raising=False)
    # The kernel imports this checkout's packages, wherever it starts.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(cwd)}}).execute()
    texts, images = [], 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream":
                texts.append(out["text"])
            elif out["output_type"] in ("execute_result", "display_data"):
                data = out["data"]
                images += "image/png" in data
                texts.append(data.get("text/html", data.get("text/plain", "")))
    texts.append(f"images={images}")
    return texts


def test_notebook_runs_from_the_notebooks_folder_on_the_committed_demo_run(monkeypatch):
    run = REPO / "results" / "demo_speech"
    if not (run / "summary.csv").is_file():
        pytest.skip(f"{run} is not in this checkout")
    texts = _execute(REPO / "notebooks", monkeypatch)
    assert f"run: {run}" in texts[0]
    labels = {line.split(",")[3] for line in (run / "summary.csv").read_text().splitlines()[1:]}
    images = int(texts[-1].split("=")[1])
    assert images >= 2 * len(labels)  # a bitrate-quality curve and a per-domain chart per output


def _small_run(folder: Path) -> dict[str, np.ndarray]:
    """A run on the paper's demo set, built by the report code from a store; returns the speech clips'
    mel distances per codec."""
    rng = np.random.default_rng(0)
    clips = [Clip(clip_id=f"{domain}{i:02d}", path="", domain=domain, dataset="demo")
             for domain in ("speech", "music") for i in range(N_CLIPS)]
    mel = {}
    with ResultStore(folder / "store.sqlite") as store:
        for codec, (family, kbps, offset) in SYSTEMS.items():
            info = {"family": family, "weights": "none", "nominal_bitrate_kbps": kbps, "codebook_sizes": []}
            values = offset + 4.0 + 0.3 * rng.standard_normal(len(clips)) if kbps else np.zeros(len(clips))
            for clip, value in zip(clips, values):
                if (codec, clip.clip_id) == OUTLIER:
                    value = 30.0
                store.add_reconstruction(codec=codec, dataset="demo", clip_id=clip.clip_id,
                                         domain=clip.domain, duration_s=5.0, status="ok",
                                         nominal_bitrate_kbps=kbps, measured_bitrate_kbps=kbps,
                                         codec_info_json=info)
                store.add_scores(codec=codec, dataset="demo", clip_id=clip.clip_id, metric="mel_distance",
                                 fingerprint="fp-mel", provenance={}, values={"mel_distance": float(value)})
                store.add_scores(codec=codec, dataset="demo", clip_id=clip.clip_id, metric="visqol_paper",
                                 fingerprint="fp-vq", provenance={},
                                 values={"visqol_paper": float(np.clip(5.0 - value / 3.0, 1.0, 5.0))})
            mel[codec] = np.where([(codec, c.clip_id) == OUTLIER for c in clips], 30.0, values)[:N_CLIPS]
        build_report(store, clips, list(SYSTEMS), OUTPUTS, folder, plots=False)
    return mel


def test_notebook_runs_on_a_run_folder_given_as_parameter_from_another_directory(tmp_path, monkeypatch):
    run = tmp_path / "my run"
    mel = _small_run(run)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    texts = _execute(elsewhere, monkeypatch, CODECBENCH_RUN=str(run),
                     CODECBENCH_SYSTEM_A="semanticodec@1.40", CODECBENCH_SYSTEM_B="opus@6kbps")
    joined = "\n".join(texts)
    assert f"run: {run}" in texts[0]
    assert "per-clip scores: yes" in texts[0]
    # Paired comparison on speech mel distance: the notebook's mean difference is ours.
    expected = float(np.mean(mel["semanticodec@1.40"] - mel["opus@6kbps"]))
    assert f"{expected:.6f}" in joined, expected  # pandas shows 6 decimals
    # The one extreme clip is listed as an outlier.
    outliers = [t for t in texts if "speech07" in t and "opus@6kbps" in t]
    assert outliers, "the injected outlier is not shown"
    assert "speech/mel_distance" in joined  # the agreement with the paper's semanticodec rows
    images = int(texts[-1].split("=")[1])
    assert images == 2 * 2 + 2  # a curve per output and domain, a per-domain chart per output
