"""HiFi-Codec (AcademiCodec, arXiv 2305.02765), the 16 kHz / 320x model at 2.0 kbps.

HiFi-Codec is not on PyPI, so this module holds the suite's own implementation of its inference
path: the convolutional encoder, the group-residual vector quantizer (GRVQ) and the HiFi-GAN V1
generator. Module and parameter names follow the released checkpoint ``HiFi-Codec-16k-320d``
(Hugging Face model repo ``Dongchao/AcademiCodec``): a plain ``torch.save`` dict with exactly three
entries, ``generator``, ``encoder`` and ``quantizer``, each a module state dict whose weight-normed
convolutions store ``weight_g`` / ``weight_v``. `load_hificodec_checkpoint` loads such a file on
CPU with strict key and shape checking.

Data flow (16k-320d): waveform Tensor[B x 1 x L] (L a multiple of 320) -> encoder -> latent
Tensor[B x 512 x L/320] at 50 Hz -> GRVQ: 2 residual layers x 2 groups of 256 channels, each group
matched by Euclidean argmin against a 1024 x 256 codebook -> codes Tensor[B x 4 x L/320] in the
order [layer1-group1, layer1-group2, layer2-group1, layer2-group2] -> sum of the looked-up
embeddings -> generator -> waveform Tensor[B x 1 x L] in [-1, 1] (tanh output).
50 frames/s x 4 codes x 10 bits = 2.0 kbps; decoding only the first residual layer is 1.0 kbps.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch

from baselines.base import Codec, Encoded
from baselines.neural.hificodec_model import (
    HIFICODEC_16K_320D,
    HiFiCodecConfig,
    HiFiCodecEncoder,
    HiFiCodecGenerator,
    HiFiCodecModel,
    HiFiCodecQuantizer,
)
from baselines.padding import pad_to_multiple
from baselines.representation import check_layers, representation_input
from baselines.weights import (
    RANDOM_WEIGHTS,
    CheckpointError,
    WeightFile,
    describe_contents,
    huggingface_hub_cache_dir,
    huggingface_snapshot_files,
    load_weights_only,
    seeded,
    state_dict_problems,
)

__all__ = [
    "HIFICODEC_16K_320D",
    "HIFICODEC_WEIGHTS_FORMAT",
    "HiFiCodecCodec",
    "HiFiCodecConfig",
    "HiFiCodecEncoder",
    "HiFiCodecGenerator",
    "HiFiCodecModel",
    "HiFiCodecQuantizer",
    "hificodec_weight_file",
    "load_hificodec_checkpoint",
    "read_hificodec_checkpoint",
]

HF_REPO_ID = "Dongchao/AcademiCodec"
CHECKPOINT_NAME = "HiFi-Codec-16k-320d"


_CHECKPOINT_PARTS = ("generator", "encoder", "quantizer")
#: What a HiFi-Codec checkpoint file must be, for error messages.
HIFICODEC_WEIGHTS_FORMAT = (
    f"a HiFi-Codec checkpoint: torch.save of a dict with keys {list(_CHECKPOINT_PARTS)}, each a state dict "
    f"of tensors (as in {CHECKPOINT_NAME} from {HF_REPO_ID})"
)


def read_hificodec_checkpoint(path: str | Path) -> dict[str, dict[str, torch.Tensor]]:
    """The three state dicts of a released HiFi-Codec checkpoint file (CPU, weights only).

    Raises:
        CheckpointError (a ValueError): the file is unreadable or refers to code (refused: nothing from
            it runs), or is not a {generator, encoder, quantizer} dict of state dicts of tensors.
    """
    path = Path(path)
    state = load_weights_only(path, expected_format=HIFICODEC_WEIGHTS_FORMAT)
    if not isinstance(state, dict) or not all(part in state for part in _CHECKPOINT_PARTS):
        raise CheckpointError(path, f"holds {describe_contents(state)}", HIFICODEC_WEIGHTS_FORMAT)
    for part in _CHECKPOINT_PARTS:
        if not isinstance(state[part], dict) or not all(
            isinstance(v, torch.Tensor) for v in state[part].values()
        ):
            raise CheckpointError(
                path, f"its {part!r} entry is not a state dict of tensors", HIFICODEC_WEIGHTS_FORMAT
            )
    return {part: state[part] for part in _CHECKPOINT_PARTS}


def load_hificodec_checkpoint(
    model: HiFiCodecModel, path: str | Path, state: dict[str, dict[str, torch.Tensor]] | None = None
) -> None:
    """Load a released HiFi-Codec checkpoint file into `model` (CPU, weights only, strict).

    Args:
        state: the file's contents when already read with `read_hificodec_checkpoint`.

    Raises:
        CheckpointError (a ValueError): as `read_hificodec_checkpoint`, or any part has missing or
            unexpected keys or wrong shapes (all problems are listed, nothing is loaded partially).
    """
    path = Path(path)
    state = read_hificodec_checkpoint(path) if state is None else state
    problems = [
        f"[{part}] {problem}"
        for part in _CHECKPOINT_PARTS
        for problem in state_dict_problems(getattr(model, part), state[part])
    ]
    if problems:
        raise CheckpointError(
            path, "checkpoint does not match the model: " + "; ".join(problems), HIFICODEC_WEIGHTS_FORMAT
        )
    for part in _CHECKPOINT_PARTS:
        getattr(model, part).load_state_dict(state[part], strict=True)


def hificodec_weight_file() -> WeightFile:
    """Where the released checkpoint is looked for: the Hugging Face cache of Dongchao/AcademiCodec."""
    cache = huggingface_hub_cache_dir()
    return WeightFile(
        codec="hificodec",
        filename=CHECKPOINT_NAME,
        search_dirs=[lambda: huggingface_snapshot_files(HF_REPO_ID, CHECKPOINT_NAME)],
        remedy=(
            f"hf download {HF_REPO_ID} {CHECKPOINT_NAME}  (fills the Hugging Face cache {cache}), "
            f"or pass checkpoint=<path to {CHECKPOINT_NAME} or the folder holding it>"
        ),
    )


class HiFiCodecCodec(Codec):
    """HiFi-Codec-16k-320d as a suite codec.

    Args:
        checkpoint: path to the checkpoint file (or a folder holding ``HiFi-Codec-16k-320d``);
            None looks in the Hugging Face cache.
        residual_layers: 2 (all four codebooks, 2.0 kbps) or 1 (first layer only, 1.0 kbps).
        random_weights: build with random weights instead of loading; TEST ONLY, labelled as such.
        seed: seed for random weights.
        device: where the network runs (``cpu``, ``cuda``, ``cuda:1``, ``mps``; None: ``cpu``); codes
            and audio come back on the CPU.
    """

    def __init__(
        self,
        checkpoint: str | None = None,
        residual_layers: int = 2,
        random_weights: bool = False,
        seed: int = 0,
        device: str | None = None,
    ) -> None:
        if residual_layers not in (1, 2):
            raise ValueError(f"residual_layers must be 1 or 2, got {residual_layers}")
        config = HIFICODEC_16K_320D
        path = None if random_weights else hificodec_weight_file().locate(checkpoint)
        state = None if path is None else read_hificodec_checkpoint(path)  # a bad file fails before building
        with seeded(seed):
            self.model = HiFiCodecModel(config)
        if path is None:
            self.weights = RANDOM_WEIGHTS
        else:
            load_hificodec_checkpoint(self.model, path, state)
            self.weights = f"pretrained:{path.name}"
            self.weight_files = (str(path),)
        self.model = self._place(self.model.eval(), device)
        self.config = config
        self.residual_layers = residual_layers
        self.hop_length = config.hop_length
        self.sample_rate = config.sample_rate
        self.frame_rate_hz = config.frame_rate_hz
        self.codebook_sizes = (config.n_codes,) * (config.n_code_groups * residual_layers)
        self.nominal_bitrate_kbps = (
            self.frame_rate_hz * sum(math.log2(s) for s in self.codebook_sizes) / 1000.0
        )

    @classmethod
    def check_available(
        cls, checkpoint: str | None = None, random_weights: bool = False, **kwargs: Any
    ) -> None:
        if not random_weights:
            hificodec_weight_file().locate(checkpoint)

    def info(self) -> dict[str, Any]:
        return {**super().info(), "residual_layers": self.residual_layers, "hop_length": self.hop_length}

    def _encode(self, waveform: torch.Tensor) -> Encoded:
        """Tensor[B x T] at 16 kHz -> codes Tensor[B x K x ceil(T / 320)]."""
        padded = pad_to_multiple(waveform, self.hop_length)
        codes = self.model.encode(padded[:, None, :])
        codes = codes[:, : len(self.codebook_sizes)].to(torch.int64)
        return Encoded(codes=codes, codebook_sizes=self.codebook_sizes)

    def _decode(self, encoded: Encoded) -> torch.Tensor:
        assert encoded.codes is not None
        return self.model.decode(encoded.codes)

    @torch.inference_mode()
    def represent(self, waveform: torch.Tensor, sample_rate: int, layers: str = "all") -> torch.Tensor:
        """Quantized latent Tensor[B x 512 x T'] at 50 Hz: sum over the configured residual layers of the
        group vectors (``all``), or the first residual layer only (``first``: both groups of layer 1, the
        paper's 1 kbps "first VQ layer" row); see `baselines.representation`."""
        groups = self.config.n_code_groups
        used = len(self.codebook_sizes) if check_layers(layers) == "all" else groups
        native = representation_input(waveform, sample_rate, self.sample_rate).to(self.device)
        codes = self._encode(native).codes
        assert codes is not None
        return self.model.quantizer.decode(codes[:, :used]).float().cpu()
