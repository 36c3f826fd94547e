"""What the benchmark runs: a system turns a clip into its reconstruction.

`System` is the protocol the runner relies on: the facts that identify a configuration (`info()`,
the weight files and per-clip files whose content keys its results) and `reconstruct(clip)`.
`SystemBase` holds those facts once for every implementation:

- `baselines.base.Codec`: encodes and decodes here (the measured bitrate comes from its payload);
- `baselines.precomputed.PrecomputedCodec`: replays outputs decoded elsewhere, found by clip id;
- `baselines.reference.OriginalAudio`: the clip itself (the ground-truth row).

The plot family comes from the configuration (`CodecSpec.family`, set by `build_codec`); the nominal
bitrate is the built system's own, computed from its settings (or, for precomputed outputs, read
from their systems table).
"""

from __future__ import annotations

import abc
import dataclasses
import inspect
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import torch

if TYPE_CHECKING:
    from baselines.base import Reconstruction

__all__ = ["ClipAudio", "System", "SystemBase"]


@dataclasses.dataclass(frozen=True)
class ClipAudio:
    """One clip as a system is given it.

    Attributes:
        clip_id: the clip's id in its dataset (systems that replay stored outputs find them by it).
        waveform: float Tensor[T] (mono) in [-1, 1].
        sample_rate: rate of `waveform` in Hz; the reconstruction comes back at this rate and length.
    """

    clip_id: str
    waveform: torch.Tensor
    sample_rate: int


@runtime_checkable
class System(Protocol):
    """Anything the benchmark can score: it reconstructs a clip, and says what identifies it."""

    name: str
    family: str
    sample_rate: int
    frame_rate_hz: float | None
    nominal_bitrate_kbps: float
    weights: str
    weight_files: tuple[str, ...]

    def reconstruct(self, clip: ClipAudio) -> Reconstruction:
        """The reconstruction of `clip` at `clip.sample_rate`, as long as `clip.waveform`."""
        ...

    def clip_files(self, clip_id: str) -> list[str]:
        """Files besides the weights that the reconstruction of `clip_id` is read from."""
        ...

    def info(self) -> dict[str, Any]:
        """Everything needed to identify this configuration in a result row."""
        ...

    @property
    def is_random_weights(self) -> bool: ...


class SystemBase(abc.ABC):
    """The facts every `System` keeps, once; subclasses implement `reconstruct`.

    Subclasses set the class or instance attributes below.

    Attributes:
        name: configuration name in the registry, e.g. ``"opus@6kbps"``.
        family: curve the configuration is drawn on, e.g. ``"opus"``; set from the configuration
            (`CodecSpec.family`) by `build_codec`.
        sample_rate: native rate in Hz at which the codec runs.
        frame_rate_hz: code frames per second (None for variable-frame classical codecs).
        codebook_sizes: entries per codebook (empty for classical codecs).
        nominal_bitrate_kbps: the bitrate the configuration claims.
        weights: provenance of the weights: ``"pretrained:<file>"``, ``"none"`` for classical
            codecs, or ``"random (TEST ONLY)"``; random weights are never used silently.
        weight_files: paths of the files the weights were loaded from (empty when none); the
            benchmark hashes their content, so results follow the weights, not their file names.
    """

    name: str = ""
    family: str = ""
    sample_rate: int = 16_000
    frame_rate_hz: float | None = None
    codebook_sizes: tuple[int, ...] = ()
    nominal_bitrate_kbps: float = float("nan")
    weights: str = "none"
    weight_files: tuple[str, ...] = ()

    def __new__(cls, *args: Any, **kwargs: Any) -> SystemBase:  # noqa: PYI034
        # Remember the constructor arguments (defaults applied) so `info()` identifies the configuration
        # completely, whatever the subclass chooses to report.
        codec = super().__new__(cls)
        codec._constructor_args = _resolved_arguments(cls, args, kwargs)
        return codec

    @classmethod
    def check_available(cls, **kwargs: Any) -> None:
        """Raise `baselines.base.CodecUnavailable` (reason + remedy) if this configuration cannot run here.

        Called with the spec's constructor arguments before anything heavy is built; must be cheap
        (look for packages and weight files, do not load models).
        """

    def clip_files(self, clip_id: str) -> list[str]:
        """Files besides the weights that the reconstruction of `clip_id` is read from (default none).

        A codec that replays stored outputs returns the stored file here; its content then becomes
        part of that clip's result key, so replacing the file recomputes the clip.
        """
        return []

    @property
    def num_codebooks(self) -> int:
        return len(self.codebook_sizes)

    @property
    def is_random_weights(self) -> bool:
        return self.weights.startswith("random")

    def info(self) -> dict[str, Any]:
        """Everything needed to identify this configuration in a result row.

        Includes the implementing class and every constructor argument (defaults applied), so two
        configurations that differ in any setting never share results.
        """
        return {
            "codec": self.name,
            "codec_class": f"{type(self).__module__}:{type(self).__qualname__}",
            "constructor_args": dict(getattr(self, "_constructor_args", {})),
            "family": self.family,
            "codec_sample_rate": self.sample_rate,
            "frame_rate_hz": self.frame_rate_hz,
            "codebook_sizes": list(self.codebook_sizes),
            "nominal_bitrate_kbps": self.nominal_bitrate_kbps,
            "weights": self.weights,
        }

    @abc.abstractmethod
    def reconstruct(self, clip: ClipAudio) -> Reconstruction:
        """The reconstruction of `clip` at `clip.sample_rate`, as long as `clip.waveform`."""


def _resolved_arguments(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Constructor arguments by name with defaults applied (``**kwargs`` flattened in)."""
    try:
        bound = inspect.signature(cls.__init__).bind(None, *args, **kwargs)
    except (TypeError, ValueError):  # a wrong call: __init__ raises the real error
        return {"args": list(args), **kwargs}
    bound.apply_defaults()
    params = inspect.signature(cls.__init__).parameters
    resolved: dict[str, Any] = {}
    for index, (name, value) in enumerate(bound.arguments.items()):
        if index == 0:  # self
            continue
        kind = params[name].kind
        if kind is inspect.Parameter.VAR_KEYWORD:
            resolved.update(value)
        elif kind is inspect.Parameter.VAR_POSITIONAL:
            if value:
                resolved[name] = list(value)
        else:
            resolved[name] = value
    return resolved
