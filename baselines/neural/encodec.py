"""EnCodec 24 kHz (PyPI ``encodec``, facebookresearch/encodec) at a fixed bandwidth.

The 24 kHz model has a hop of 320 samples (75 frames/s) and a residual VQ of up to 32 codebooks
of 1024 entries; the target bandwidth selects how many are used (1.5 kbps -> 2, 3 -> 4, 6 -> 8,
12 -> 16, 24 -> 32). The bandwidth is always set explicitly: without it EnCodec uses all 32.

Weights: ``encodec_24khz-d7cc33bc.th``, looked for in a `repository` folder, an explicit file, or
torch hub's cache (``$TORCH_HOME/hub/checkpoints``). The file's sha256 prefix must match the name.
It is read with ``weights_only=True`` (no code from the file runs) and loaded with strict key checking.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch

from baselines.availability import require_package
from baselines.base import Codec, CodecUnavailable, Encoded
from baselines.files import file_sha256
from baselines.padding import pad_to_multiple
from baselines.representation import check_layers, representation_input
from baselines.weights import (
    RANDOM_WEIGHTS,
    WeightFile,
    check_state_dict_keys,
    load_weights_only,
    seeded,
    torch_hub_checkpoints_dir,
)

__all__ = [
    "ENCODEC_24KHZ_CHECKPOINT",
    "ENCODEC_BANDWIDTHS_KBPS",
    "ENCODEC_WEIGHTS_FORMAT",
    "EncodecCodec",
    "encodec_weight_file",
]

ENCODEC_24KHZ_CHECKPOINT = "encodec_24khz-d7cc33bc.th"
ENCODEC_24KHZ_URL = "https://dl.fbaipublicfiles.com/encodec/v0/" + ENCODEC_24KHZ_CHECKPOINT
ENCODEC_BANDWIDTHS_KBPS = (1.5, 3.0, 6.0, 12.0, 24.0)
_PACKAGE_REMEDY = "pip install encodec==0.1.1 einops  (pyproject extra: neural)"
_SAMPLE_RATE = 24_000
_HOP = 320
_CODEBOOK_SIZE = 1024
#: What an EnCodec checkpoint file must be, for error messages.
ENCODEC_WEIGHTS_FORMAT = (
    "an EnCodec 24 kHz state dict: torch.save of EncodecModel.state_dict(), tensors only "
    f"(as in {ENCODEC_24KHZ_CHECKPOINT})"
)


def encodec_weight_file() -> WeightFile:
    """Where the 24 kHz checkpoint is looked for: torch hub's checkpoint cache."""
    cache = torch_hub_checkpoints_dir()
    return WeightFile(
        codec="encodec",
        filename=ENCODEC_24KHZ_CHECKPOINT,
        search_dirs=[torch_hub_checkpoints_dir],
        remedy=(
            f'python -c "from encodec import EncodecModel; EncodecModel.encodec_model_24khz()" '
            f"(downloads {ENCODEC_24KHZ_URL} into {cache}), or copy {ENCODEC_24KHZ_CHECKPOINT} into {cache} "
            f"or into a folder passed as repository=<folder>"
        ),
    )


class EncodecCodec(Codec):
    """EnCodec 24 kHz at `bandwidth_kbps`.

    Args:
        bandwidth_kbps: one of 1.5, 3, 6, 12, 24.
        repository: folder holding ``encodec_24khz-d7cc33bc.th`` (EnCodec's own offline argument).
        checkpoint: path to the checkpoint file itself (alternative to `repository`).
        random_weights: build with random weights instead of loading; TEST ONLY, labelled as such.
        seed: seed for random weights.
        device: where the network runs (``cpu``, ``cuda``, ``cuda:1``, ``mps``; None: ``cpu``); codes
            and audio come back on the CPU.
    """

    sample_rate = _SAMPLE_RATE

    def __init__(
        self,
        bandwidth_kbps: float,
        repository: str | None = None,
        checkpoint: str | None = None,
        random_weights: bool = False,
        seed: int = 0,
        device: str | None = None,
    ) -> None:
        if float(bandwidth_kbps) not in ENCODEC_BANDWIDTHS_KBPS:
            raise ValueError(f"EnCodec 24 kHz bandwidth_kbps must be one of {ENCODEC_BANDWIDTHS_KBPS}")
        path = self._locate(repository, checkpoint, random_weights)
        state = None if path is None else _load_verified(path)
        from encodec import EncodecModel

        with seeded(seed):
            model = EncodecModel.encodec_model_24khz(pretrained=False)
        if path is None or state is None:
            self.weights = RANDOM_WEIGHTS
        else:
            check_state_dict_keys(model, state, str(path), ENCODEC_WEIGHTS_FORMAT)
            model.load_state_dict(state, strict=True)
            model.name = "encodec_24khz"
            self.weights = f"pretrained:{path.name}"
            self.weight_files = (str(path),)
        self.bandwidth_kbps = float(bandwidth_kbps)
        model.set_target_bandwidth(self.bandwidth_kbps)
        model.eval()
        self.model = self._place(model, device)
        self.frame_rate_hz = float(model.frame_rate)
        bits_per_codebook = int(math.log2(_CODEBOOK_SIZE))
        num_codebooks = max(
            1, math.floor(self.bandwidth_kbps * 1000 / (bits_per_codebook * model.frame_rate))
        )
        self.codebook_sizes = (_CODEBOOK_SIZE,) * num_codebooks
        self.nominal_bitrate_kbps = self.frame_rate_hz * bits_per_codebook * num_codebooks / 1000.0

    @staticmethod
    def _locate(repository: str | None, checkpoint: str | None, random_weights: bool) -> Path | None:
        require_package("encodec", _PACKAGE_REMEDY, what="encodec", error=CodecUnavailable)
        if random_weights:
            return None
        if repository is not None and checkpoint is not None:
            raise ValueError("give either repository (a folder) or checkpoint (a file), not both")
        return encodec_weight_file().locate(repository if repository is not None else checkpoint)

    @classmethod
    def check_available(
        cls,
        repository: str | None = None,
        checkpoint: str | None = None,
        random_weights: bool = False,
        **kwargs: Any,
    ) -> None:
        cls._locate(repository, checkpoint, random_weights)

    def info(self) -> dict[str, Any]:
        return {**super().info(), "bandwidth_kbps": self.bandwidth_kbps, "model": "encodec_24khz"}

    def _encode(self, waveform: torch.Tensor) -> Encoded:
        """Tensor[B x T] at 24 kHz -> codes Tensor[B x n_q x ceil(T / 320)]."""
        padded = pad_to_multiple(waveform, _HOP)
        frames = self.model.encode(padded[:, None, :])
        if len(frames) != 1 or frames[0][1] is not None:
            raise RuntimeError("EnCodec 24 kHz is expected to return one unscaled frame")
        codes = frames[0][0].to(torch.int64)
        if codes.shape[1] != self.num_codebooks:
            raise RuntimeError(f"EnCodec returned {codes.shape[1]} codebooks, expected {self.num_codebooks}")
        return Encoded(codes=codes, codebook_sizes=self.codebook_sizes)

    def _decode(self, encoded: Encoded) -> torch.Tensor:
        assert encoded.codes is not None
        return self.model.decode([(encoded.codes, None)])

    @torch.inference_mode()
    def represent(self, waveform: torch.Tensor, sample_rate: int, layers: str = "all") -> torch.Tensor:
        """Quantized latent Tensor[B x 128 x T'] at 75 Hz: sum of the configured codebooks' vectors
        (``all``) or the first codebook's (``first``); see `baselines.representation`."""
        used = self.num_codebooks if check_layers(layers) == "all" else 1
        native = representation_input(waveform, sample_rate, self.sample_rate).to(self.device)
        codes = self._encode(native).codes
        assert codes is not None
        return self.model.quantizer.decode(codes[:, :used].transpose(0, 1)).float().cpu()


def _load_verified(path: Path) -> Any:
    """The file's contents on CPU (weights only); for the official file name, check its sha256 prefix first.

    Raises:
        CodecUnavailable: the official file name with the wrong checksum (a damaged download).
        CheckpointError: unreadable, or refers to code (refused; nothing from the file runs).
    """
    if path.name == ENCODEC_24KHZ_CHECKPOINT:
        expected = path.stem.split("-")[-1]
        actual = file_sha256(path, len(expected))
        if actual != expected:
            raise CodecUnavailable(
                f"encodec: {path} is corrupt or incomplete (sha256 prefix {actual}, expected {expected} "
                f"for {ENCODEC_WEIGHTS_FORMAT})",
                f"delete it and download it again from {ENCODEC_24KHZ_URL}",
            )
    return load_weights_only(path, expected_format=ENCODEC_WEIGHTS_FORMAT)
