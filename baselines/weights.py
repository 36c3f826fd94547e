"""Finding pretrained weight files offline, loading them without running code from them, and
saying exactly what to do when one is missing or unusable.

Nothing here downloads. Each codec describes its checkpoint as a `WeightFile`: the file name, the
standard cache folders the official package would use, and the command that would put the file
there. `WeightFile.locate(explicit)` returns the first existing candidate or raises
`CodecUnavailable` naming the file, every place looked in, and the remedy.

`load_weights_only(path, ...)` is the one way the adapters read a checkpoint: ``torch.load`` with
``weights_only=True`` (tensors and plain containers only; a pickled reference to any other function
or class is refused before anything is called). It never falls back to an unrestricted unpickler,
and it refuses torch.package and TorchScript archives, which carry code by design. Every failure is
a `CheckpointError` naming the file, what is wrong with it and the format that was expected.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pickle
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from baselines.base import CodecUnavailable
from semanticodec import RANDOM_WEIGHTS
from semanticodec.checkpoints import state_dict_problems

__all__ = [
    "RANDOM_WEIGHTS",
    "CheckpointError",
    "WeightFile",
    "check_state_dict_keys",
    "dac_cache_dir",
    "describe_contents",
    "huggingface_hub_cache_dir",
    "huggingface_snapshot_files",
    "load_weights_only",
    "seeded",
    "state_dict_problems",
    "torch_hub_checkpoints_dir",
]

# RANDOM_WEIGHTS: the provenance label of a model built with random weights on explicit request. It is
# defined once, in the standalone `semanticodec` package, and re-exported here for the adapters.


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Run a block (model construction) under a fixed torch seed, restoring the global RNG after."""
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        yield
    finally:
        torch.random.set_rng_state(state)


def torch_hub_checkpoints_dir() -> Path:
    """Where `torch.hub.load_state_dict_from_url` caches files: ``$TORCH_HOME/hub/checkpoints``.

    TORCH_HOME defaults to ``$XDG_CACHE_HOME/torch``, then ``~/.cache/torch`` (torch.hub's own rule).
    """
    torch_home = os.environ.get("TORCH_HOME")
    if not torch_home:
        xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        torch_home = os.path.join(xdg, "torch")
    return Path(torch_home).expanduser() / "hub" / "checkpoints"


def dac_cache_dir() -> Path:
    """Where `dac.utils.download` caches weights: ``~/.cache/descript/dac`` (only HOME moves it)."""
    return Path.home() / ".cache" / "descript" / "dac"


def huggingface_hub_cache_dir() -> Path:
    """The Hugging Face hub cache: ``$HF_HUB_CACHE``, else ``$HF_HOME/hub``, else ``~/.cache/huggingface/hub``."""
    from semanticodec.checkpoints import hub_cache_dir

    return hub_cache_dir()


def huggingface_snapshot_files(repo_id: str, filename: str) -> list[Path]:
    """The cached copy of `filename` from model repo `repo_id` at its ``main`` revision, as the hub's own
    `try_to_load_from_cache` finds it; else the folder it would be in (``models--org--name/snapshots/<revision>/``),
    for the message that lists the places looked in."""
    from huggingface_hub import try_to_load_from_cache

    cache = huggingface_hub_cache_dir()
    found = try_to_load_from_cache(repo_id, filename, cache_dir=cache) if cache.is_dir() else None
    if isinstance(found, str):
        return [Path(found)]
    return [cache / ("models--" + repo_id.replace("/", "--")) / "snapshots" / "<revision>" / filename]


@dataclasses.dataclass(frozen=True)
class WeightFile:
    """One pretrained checkpoint and where to look for it.

    Attributes:
        codec: configuration family for messages, e.g. ``"encodec"``.
        filename: the exact checkpoint file name, e.g. ``"encodec_24khz-d7cc33bc.th"``.
        search_dirs: callables returning candidate folders or files (evaluated at lookup time, so
            environment variables such as TORCH_HOME are honoured when the lookup happens).
        remedy: the command or action that would put the file in the first search location.
    """

    codec: str
    filename: str
    search_dirs: Sequence[Callable[[], Path | Sequence[Path]]]
    remedy: str

    def candidates(self, explicit: str | os.PathLike | None = None) -> list[Path]:
        """Candidate paths in lookup order (an explicit path first; a folder means folder/filename)."""
        out: list[Path] = []
        if explicit is not None:
            path = Path(explicit).expanduser()
            out.append(path / self.filename if path.is_dir() else path)
            return out  # an explicit choice is never silently replaced by a cached file
        for provider in self.search_dirs:
            found = provider()
            paths = [found] if isinstance(found, Path) else list(found)
            for path in paths:
                out.append(path if path.name == self.filename else path / self.filename)
        return out

    def find(self, explicit: str | os.PathLike | None = None) -> Path | None:
        """The first existing candidate file, or None."""
        for path in self.candidates(explicit):
            if path.is_file():
                return path
        return None

    def locate(self, explicit: str | os.PathLike | None = None) -> Path:
        """The weight file, or `CodecUnavailable` naming the file, the places looked in and the remedy."""
        path = self.find(explicit)
        if path is not None:
            return path
        looked = ", ".join(str(p) for p in self.candidates(explicit))
        if explicit is not None:
            reason = f"{self.codec}: weight file {self.filename} not found at the given path ({looked})"
            remedy = (
                f"point the checkpoint argument at an existing copy of {self.filename}, or: {self.remedy}"
            )
        else:
            reason = f"{self.codec}: pretrained weights {self.filename} not found (looked in: {looked})"
            remedy = self.remedy
        raise CodecUnavailable(reason, remedy)


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used: unreadable, truncated, of the wrong format, or carrying code.

    The message names the file, the problem and the expected format (and, when one exists, what to do).
    """

    def __init__(self, path: str | os.PathLike, problem: str, expected_format: str, remedy: str = "") -> None:
        message = f"{path}: {problem}. Expected {expected_format}."
        super().__init__(f"{message} {remedy}" if remedy else message)
        self.path = Path(path)
        self.problem = problem
        self.expected_format = expected_format
        self.remedy = remedy


def _archive_kind(path: Path) -> str | None:
    """``"torch.package"``, ``"TorchScript"`` or None (a plain torch.save file or not a zip at all)."""
    if not zipfile.is_zipfile(path):
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return None  # torch.load reports the damage
    # Both formats put everything under one top-level folder named after the file.
    tails = {name.split("/", 1)[1] if "/" in name else name for name in names}
    if ".data/extern_modules" in tails:
        return "torch.package"
    if "constants.pkl" in tails or any(tail.startswith("code/") for tail in tails):
        return "TorchScript"
    return None  # detection only words the message: torch.load(weights_only=True) is safe on anything


def describe_contents(obj: Any) -> str:
    """A short description of what a checkpoint file held, for messages: "a dict with keys [...]" or a type."""
    if isinstance(obj, dict):
        return f"a dict with keys {sorted(map(str, obj))[:8]}"
    return type(obj).__name__


_UNSAFE_GLOBAL = re.compile(r"Unsupported global: GLOBAL (\S+)")


def load_weights_only(path: str | os.PathLike, *, expected_format: str, convert_hint: str = "") -> Any:
    """The object stored in a ``torch.save`` file, on CPU, read without running any code from the file.

    Args:
        path: the checkpoint file.
        expected_format: what the file should be, for messages (e.g. "a torch.save dict with keys ...").
        convert_hint: how a user can turn a file in another format into the expected one (appended to
            the refusal of archives and of files that reference code).

    Raises:
        CheckpointError: the file is a folder, empty, truncated or otherwise unreadable, a
            torch.package or TorchScript archive, or a pickle that references functions or classes
            beyond tensors and plain containers. Nothing from the file has been executed.
    """
    import torch

    path = Path(path)
    if path.is_dir():
        raise CheckpointError(path, "is a folder, not a checkpoint file", expected_format)
    if not path.is_file():
        raise CheckpointError(path, "does not exist", expected_format)
    if path.stat().st_size == 0:
        raise CheckpointError(path, "is empty (0 bytes): an interrupted download or copy?", expected_format)
    kind = _archive_kind(path)
    if kind is not None:
        raise CheckpointError(
            path,
            f"is a {kind} archive, which carries code that would run on loading; refused",
            expected_format,
            convert_hint,
        )
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        unsafe = sorted(set(_UNSAFE_GLOBAL.findall(str(exc))))
        if unsafe:
            raise CheckpointError(
                path,
                f"refers to {', '.join(unsafe)}, which is neither a tensor nor a plain container; loading it "
                "would run code from the file, so it is refused",
                expected_format,
                convert_hint,
            ) from None
        raise CheckpointError(path, _unreadable(exc), expected_format) from None
    except Exception as exc:  # noqa: BLE001 - EOFError, RuntimeError (zip), OSError...: all mean unreadable
        raise CheckpointError(path, _unreadable(exc), expected_format) from None


def _unreadable(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    detail = next((line for line in lines if "Unsupported operand" in line), lines[0] if lines else "")
    detail = f": {detail[:200]}" if detail else ""
    return f"is not a readable PyTorch checkpoint, truncated or corrupt ({type(exc).__name__}{detail})"


def check_state_dict_keys(module: torch.nn.Module, state: Any, where: str, expected_format: str) -> None:
    """Raise `CheckpointError` (a ValueError) naming `where` when `state` is not a state dict of tensors
    that fits `module` exactly (missing / unexpected keys and shape mismatches are listed)."""
    if not isinstance(state, Mapping) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(
            where, f"holds {describe_contents(state)}, not a state dict of tensors", expected_format
        )
    problems = state_dict_problems(module, state)
    if problems:
        raise CheckpointError(
            where, "checkpoint does not match the model: " + "; ".join(problems), expected_format
        )
