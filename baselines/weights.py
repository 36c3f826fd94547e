"""Finding pretrained weight files offline, and saying exactly what to do when one is missing.

Nothing here downloads. Each codec describes its checkpoint as a `WeightFile`: the file name, the
standard cache folders the official package would use, and the command that would put the file
there. `WeightFile.locate(explicit)` returns the first existing candidate or raises
`CodecUnavailable` naming the file, every place looked in, and the remedy.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from baselines.base import CodecUnavailable

__all__ = [
    "RANDOM_WEIGHTS",
    "WeightFile",
    "dac_cache_dir",
    "huggingface_hub_cache_dir",
    "huggingface_snapshot_files",
    "torch_hub_checkpoints_dir",
]

#: Provenance label of a model built with random weights on explicit request.
RANDOM_WEIGHTS = "random (TEST ONLY)"


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
    """Every cached copy of `filename` from model repo `repo_id` (``models--org--name/snapshots/*/``)."""
    folder = huggingface_hub_cache_dir() / ("models--" + repo_id.replace("/", "--")) / "snapshots"
    if not folder.is_dir():
        return [folder / "<revision>" / filename]
    found = sorted(folder.glob(f"*/{filename}"))
    return found or [folder / "<revision>" / filename]


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
