"""Finding and loading the official SemantiCodec weights (Hugging Face repo ``haoheliu/SemantiCodec``).

Files per configuration (repository paths):
    semanticodec_tokenrate_{R}/encoder.ckpt, semanticodec_tokenrate_{R}/decoder.ckpt,
    codebook_idx/combine_{512/K}_audioset_dominate/codebook_{V/2}_0.npy

Each file is looked for, in order:
1. in ``checkpoint_path`` (a token-rate folder as the official code expects, or a snapshot of the whole
   repository);
2. in the Hugging Face cache ``cache_dir`` (the constructor's ``cache_path``), or when none is given in
   ``$HF_HUB_CACHE`` / ``$HF_HOME/hub`` and then in ``./pretrained``, where the official package
   downloads (a Hugging Face cache under the working directory: ``cache_path="pretrained"``);
3. when no ``checkpoint_path`` is given, in ``./semanticodec_tokenrate_{R}/`` and ``./codebook_idx/``
   under the working directory, the official code's default ``checkpoint_path``;
4. downloaded with `huggingface_hub` when downloads are allowed and the hub answers. Offline
   (``HF_HUB_OFFLINE=1``, or the hub endpoint unreachable within a few seconds) nothing is attempted.

Otherwise `CheckpointNotFoundError` names every missing file, every place looked in and the command
that fetches them.

Loading is safe and single-copy: ``torch.load(weights_only=True)`` (or safetensors /
``np.load(allow_pickle=False)``), and models built on the meta device take the
loaded tensors with ``load_state_dict(assign=True)``. The decoder's tensors stay memory-mapped; the
encoder's are read into process memory, because its LSTM streams its weights at every time step
and measured slower from mapped file pages. Every checkpoint key is either loaded or on an
explicit unused-by-design list; anything else is an error listing the keys.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from semanticodec.config import checkpoint_dirname, semantic_codebook_filename

__all__ = [
    "HF_REPO_ID",
    "OFFICIAL_CACHE_DIR",
    "CheckpointFiles",
    "CheckpointMismatchError",
    "CheckpointNotFoundError",
    "UnsafeCheckpointError",
    "classify_encoder_checkpoint_keys",
    "download_command",
    "find_checkpoint_files",
    "load_checked_state_dict",
    "load_semantic_codebook",
    "load_state_dict_file",
    "repository_files",
    "state_dict_problems",
]

HF_REPO_ID = "haoheliu/SemantiCodec"
#: The official package's default ``cache_path``: a Hugging Face cache relative to the working directory.
OFFICIAL_CACHE_DIR = "pretrained"
#: Seconds to wait for the hub before deciding the machine is offline.
HUB_PROBE_TIMEOUT_S = 5.0

#: encoder.ckpt entries that are not needed to tokenise: the MAE decoder and the VQ's training state.
ENCODER_UNUSED_KEYS = frozenset({
    "audiomae.model.mask_token",
    "audiomae.model.decoder_pos_embed",
    "quantizer._codebook.initted",
    "quantizer._codebook.cluster_size",
    "quantizer._codebook.embed_avg",
})
ENCODER_UNUSED_PREFIXES = (
    "audiomae.model.decoder_embed.",
    "audiomae.model.decoder_blocks.",
    "audiomae.model.decoder_norm.",
    "audiomae.model.decoder_pred.",
)


class CheckpointNotFoundError(FileNotFoundError):
    """Weights are missing and cannot be downloaded. `missing`: repo path -> places looked in."""

    def __init__(
        self, missing: Mapping[str, list[str]], command: str, why_no_download: str, then: str = ""
    ) -> None:
        lines = ["SemantiCodec weights not found:"]
        for name, places in missing.items():
            lines.append(f"  {name}  (looked in: {'; '.join(places)})")
        lines.append(f"  not downloaded: {why_no_download}")
        lines.append(f"  get them with: {command}")
        if then:
            lines.append(f"  then: {then}")
        super().__init__("\n".join(lines))
        self.missing = dict(missing)
        self.command = command
        self.then = then


class CheckpointMismatchError(ValueError):
    """A checkpoint's keys or shapes do not match the model; the message lists them."""


class UnsafeCheckpointError(CheckpointMismatchError):
    """A checkpoint holds pickled code (objects other than tensors); it is never loaded."""


@dataclasses.dataclass(frozen=True)
class CheckpointFiles:
    """Local paths of one configuration's files (decoder None when only the encoder is wanted)."""

    encoder: Path
    semantic_codebook: Path
    decoder: Path | None = None


def repository_files(token_rate: int, semantic_vocab_size: int, *, with_decoder: bool = True) -> dict[str, str]:
    """Role -> repository path of the files one configuration needs."""
    folder = checkpoint_dirname(token_rate)
    files = {"encoder": f"{folder}/encoder.ckpt"}
    if with_decoder:
        files["decoder"] = f"{folder}/decoder.ckpt"
    files["semantic_codebook"] = semantic_codebook_filename(token_rate, semantic_vocab_size)
    return files


def download_command(repo_paths: Iterable[str], cache_dir: str | os.PathLike | None = None) -> str:
    """Shell command that puts `repo_paths` into the Hugging Face cache (or `cache_dir`)."""
    extra = f" --cache-dir {cache_dir}" if cache_dir is not None else ""
    return f"hf download {HF_REPO_ID} {' '.join(repo_paths)}{extra}"


def _local_candidates(checkpoint_path: Path, repo_path: str) -> list[Path]:
    name = Path(repo_path)
    if name.parts[0].startswith("semanticodec_tokenrate_"):
        # Official layout: checkpoint_path is the token-rate folder itself; also accept a repo snapshot.
        return [checkpoint_path / name.name, checkpoint_path / name]
    # Codebooks: <checkpoint_path>/codebook_idx/... (official) or next to the token-rate folder.
    return [checkpoint_path / name, checkpoint_path.parent / name]


def _working_dir_candidates(repo_path: str) -> list[Path]:
    """The official default ``checkpoint_path`` (``semanticodec_tokenrate_{R}``) and codebook folder, under the cwd."""
    return [Path.cwd() / repo_path]


def hub_cache_dir() -> Path:
    """The Hugging Face hub cache, read from the environment at call time (huggingface_hub reads it once,
    at import): ``$HF_HUB_CACHE``, else ``$HF_HOME/hub``, else ``$XDG_CACHE_HOME|~/.cache`` + ``/huggingface/hub``."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    hf_home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache"), "huggingface"
    )
    return Path(hf_home).expanduser() / "hub"


def _cache_lookup(repo_path: str, cache_dir: str | os.PathLike) -> Path | None:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    if not Path(cache_dir).is_dir():
        return None
    found = try_to_load_from_cache(HF_REPO_ID, repo_path, cache_dir=cache_dir)
    return Path(found) if isinstance(found, str) else None


def _caches(cache_dir: str | os.PathLike | None) -> list[tuple[Path, str]]:
    """(cache folder, description) in search order."""
    if cache_dir is not None:
        return [(Path(cache_dir), f"Hugging Face cache {cache_dir} (cache_path)")]
    official = Path.cwd() / OFFICIAL_CACHE_DIR
    return [
        (hub_cache_dir(), f"Hugging Face cache {hub_cache_dir()} ($HF_HUB_CACHE / $HF_HOME)"),
        (official, f"official package cache {official} (./{OFFICIAL_CACHE_DIR}, the official cache_path)"),
    ]


def _download_blocker(download: bool) -> str | None:
    if not download:
        return "download=False"
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        return "HF_HUB_OFFLINE is set"
    try:
        import huggingface_hub  # noqa: F401
    except ImportError:
        return "huggingface_hub is not installed (pip install huggingface_hub)"
    return _hub_unreachable()


def hub_endpoint() -> str:
    """The Hugging Face endpoint downloads would use (``$HF_ENDPOINT``, default https://huggingface.co)."""
    return (os.environ.get("HF_ENDPOINT") or "https://huggingface.co").rstrip("/")


def _hub_unreachable(timeout_s: float = HUB_PROBE_TIMEOUT_S) -> str | None:
    """None when the hub answers one HTTP request within `timeout_s`, else why it is taken as offline.

    `huggingface_hub` retries a failing connection with back-off for about 20 s per file; one short
    probe first lets an offline machine fail at once. Any HTTP answer (even an error status) counts
    as online; proxies from the environment are honoured (urllib).
    """
    import urllib.error
    import urllib.request

    endpoint = hub_endpoint()
    try:
        with urllib.request.urlopen(urllib.request.Request(endpoint, method="HEAD"), timeout=timeout_s):
            return None
    except urllib.error.HTTPError:
        return None
    except (OSError, ValueError) as exc:  # URLError, timeouts, refused connections, bad endpoint
        reason = getattr(exc, "reason", exc)
        return f"offline: {endpoint} did not answer within {timeout_s:g} s ({reason})"


def find_checkpoint_files(
    token_rate: int,
    semantic_vocab_size: int,
    *,
    checkpoint_path: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    download: bool = True,
    with_decoder: bool = True,
) -> CheckpointFiles:
    """Local paths of the configuration's files, downloading missing ones when allowed.

    Raises:
        CheckpointNotFoundError: some file is neither local nor cached and cannot be downloaded.
    """
    wanted = repository_files(token_rate, semantic_vocab_size, with_decoder=with_decoder)
    found: dict[str, Path] = {}
    missing: dict[str, list[str]] = {}
    for role, repo_path in wanted.items():
        places: list[str] = []
        candidates: list[tuple[Path | None, str]] = []
        if checkpoint_path is not None:
            candidates += [(c, str(c)) for c in _local_candidates(Path(checkpoint_path), repo_path)]
        for cache, description in _caches(cache_dir):
            candidates.append((_cache_lookup(repo_path, cache), description))
        if checkpoint_path is None:
            candidates += [(c, f"{c} (official default checkpoint_path)") for c in _working_dir_candidates(repo_path)]
        for candidate, description in candidates:
            places.append(description)
            if candidate is not None and candidate.is_file():
                found[role] = candidate
                break
        if role not in found:
            missing[repo_path] = places

    if missing:
        blocker = _download_blocker(download)
        failures = []
        if blocker is None:
            from huggingface_hub import hf_hub_download

            for repo_path in list(missing):
                try:
                    path = Path(hf_hub_download(HF_REPO_ID, repo_path, cache_dir=cache_dir))
                except Exception as exc:  # noqa: BLE001 -- offline, moved, disk full: report, do not guess
                    failures.append(f"{repo_path}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
                    break  # the next files would fail (and retry) the same way
                role = next(r for r, p in wanted.items() if p == repo_path)
                found[role] = path
                del missing[repo_path]
        if missing:
            why = blocker or "download failed (" + "; ".join(failures) + ")"
            raise CheckpointNotFoundError(
                missing, download_command(missing, cache_dir), why, _then(token_rate, semantic_vocab_size, cache_dir)
            )
    return CheckpointFiles(
        encoder=found["encoder"], semantic_codebook=found["semantic_codebook"], decoder=found.get("decoder")
    )


def _then(token_rate: int, semantic_vocab_size: int, cache_dir: str | os.PathLike | None) -> str:
    """What to call once `download_command` has run (the keywords are `SemantiCodec`'s own)."""
    call = f"SemantiCodec(token_rate={token_rate}, semantic_vocab_size={semantic_vocab_size}"
    if cache_dir is not None:
        return f"{call}, cache_path={str(cache_dir)!r}) finds them in that cache"
    return (
        f"{call}) finds them in the Hugging Face cache; files placed elsewhere (hf download ... --local-dir DIR) "
        f"load with {call}, checkpoint_path=DIR)"
    )


def load_state_dict_file(path: str | os.PathLike, *, mmap: bool = True) -> dict[str, torch.Tensor]:
    """Tensors of a checkpoint file, memory-mapped where possible (and `mmap`), never unpickling code.

    ``.safetensors`` via safetensors; anything else via ``torch.load(weights_only=True, mmap=mmap)``.
    ``mmap=False`` reads the tensors into process memory (still one copy when assigned).
    A Lightning-style ``{"state_dict": ...}`` wrapper is unwrapped.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint file not found: {path}")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        state = load_file(str(path), device="cpu")
    else:
        state = _torch_load_tensors(path, mmap=mmap)
    if isinstance(state, Mapping) and "state_dict" in state and isinstance(state["state_dict"], Mapping):
        state = state["state_dict"]
    if not isinstance(state, Mapping) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointMismatchError(f"{path} is not a plain state dict of tensors")
    return dict(state)


def _torch_load_tensors(path: Path, *, mmap: bool = True) -> object:
    """``torch.load(weights_only=True)``, memory-mapped when `mmap` and the format allow; errors name the file."""
    import pickle

    try:
        try:
            return torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
        except RuntimeError as exc:
            if not mmap or "mmap" not in str(exc):
                raise
            return torch.load(path, map_location="cpu", weights_only=True)  # legacy (non-zip) format
    except pickle.UnpicklingError as exc:
        if "Unsupported global" not in str(exc):  # no refused global: garbage, not code
            detail = str(exc).split("WeightsUnpickler error:")[-1].strip().splitlines()[0][:200]
            raise CheckpointMismatchError(
                f"{path}: not a readable PyTorch checkpoint ({detail}); "
                "expected a torch.save state dict of tensors or a .safetensors file"
            ) from None
        raise UnsafeCheckpointError(
            f"{path}: holds code (pickled {_pickled_global(exc)}), not only tensors; it will not be loaded. "
            "Use the official checkpoint file from haoheliu/SemantiCodec (or a safetensors file)."
        ) from None
    except (RuntimeError, EOFError, OSError) as exc:
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise CheckpointMismatchError(
            f"{path}: not a readable PyTorch checkpoint (truncated or another format: {first_line}); "
            "expected a torch.save state dict of tensors or a .safetensors file"
        ) from None


def _pickled_global(exc: Exception) -> str:
    """The offending global from torch's weights-only refusal, e.g. ``object builtins.print``."""
    import re

    found = re.search(r"Unsupported global: GLOBAL (\S+)", str(exc))
    return f"object {found.group(1)}" if found else "objects"


def load_semantic_codebook(path: str | os.PathLike) -> torch.Tensor:
    """float32 Tensor[V x fd] from a k-means codebook ``.npy`` (no pickle)."""
    try:
        array = np.load(Path(path), allow_pickle=False)
    except ValueError as exc:
        if "pickle" not in str(exc):
            raise CheckpointMismatchError(f"{path}: not a readable .npy codebook ({exc})") from None
        raise UnsafeCheckpointError(
            f"{path}: holds pickled Python objects, not a float array; it will not be loaded. "
            "Use the official codebook .npy from haoheliu/SemantiCodec."
        ) from None
    if array.ndim != 2:
        raise CheckpointMismatchError(f"{path}: semantic codebook must be 2-D [V, fd], got shape {array.shape}")
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))


def classify_encoder_checkpoint_keys(keys: Iterable[str]) -> tuple[list[str], list[str]]:
    """Split encoder.ckpt keys into (used, unused by design); used = everything not listed unused.

    Whether the used keys are exactly the model's is checked by `load_checked_state_dict`.
    """
    used, unused = [], []
    for key in keys:
        if key in ENCODER_UNUSED_KEYS or key.startswith(ENCODER_UNUSED_PREFIXES):
            unused.append(key)
        else:
            used.append(key)
    return used, unused


def state_dict_problems(module: nn.Module, state: Mapping[str, Any], max_examples: int = 5) -> list[str]:
    """Missing / unexpected keys and shape mismatches of `state` against `module` (empty when it fits).

    Each problem is one phrase with its count and up to `max_examples` examples.
    """
    expected = module.state_dict(keep_vars=True)
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong_shape = [
        f"{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(expected[k].shape)}"
        for k in expected
        if k in state and hasattr(state[k], "shape") and tuple(state[k].shape) != tuple(expected[k].shape)
    ]
    problems = []
    for label, items, separator in (
        ("missing keys", missing, ", "), ("unexpected keys", unexpected, ", "), ("shape mismatches", wrong_shape, "; ")
    ):
        if items:
            problems.append(f"{len(items)} {label} (e.g. {separator.join(items[:max_examples])})")
    return problems


def load_checked_state_dict(module: nn.Module, state: Mapping[str, torch.Tensor], *, name: str) -> None:
    """Load `state` (only the used keys) into `module` by assignment; any mismatch is an error.

    Raises:
        CheckpointMismatchError: listing keys the checkpoint lacks, keys it has that the model does
            not know, and keys whose shapes differ.
    """
    problems = state_dict_problems(module, state, max_examples=12)
    if problems:
        raise CheckpointMismatchError(f"{name} checkpoint does not match the model: " + "; ".join(problems))
    module.load_state_dict(dict(state), strict=True, assign=True)
