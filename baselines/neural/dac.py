"""DAC 16 kHz (PyPI ``descript-audio-codec``, release tag 0.0.5) with a prefix of its 12 codebooks.

The released 16 kHz model has a hop of 320 samples (50 frames/s) and a residual VQ of 12 codebooks
of 1024 entries: 6.0 kbps with all of them (the release calls it "8kbps"). It was trained with
quantizer dropout, so any prefix of n codebooks is a valid lower rate (0.5 kbps per codebook).
These prefixes are NOT the low-rate DAC the SemantiCodec paper re-trained (15.625 Hz, 9
codebooks; its weights are not public): configurations below 6 kbps say so in their description.

Weights: ``weights_16khz_8kbps_0.0.5.pth`` in DAC's cache (``~/.cache/descript/dac``) or an
explicit file. The file is a dict {"state_dict", "metadata": {"kwargs": constructor args}};
it is loaded on CPU with ``weights_only=True`` and strict key checking (DAC's own loader ignores
missing keys). Files that need more than tensors and plain values to unpickle, and DAC's other
format (a torch.package export, which runs code from the file), are refused with the command that
converts a trusted file into the plain format.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from baselines.availability import require_package
from baselines.base import Codec, CodecUnavailable, Encoded
from baselines.padding import pad_to_multiple
from baselines.representation import check_layers, representation_input
from baselines.weights import (
    RANDOM_WEIGHTS,
    CheckpointError,
    WeightFile,
    check_state_dict_keys,
    dac_cache_dir,
    describe_contents,
    load_weights_only,
    seeded,
)

__all__ = ["DAC_16KHZ_CHECKPOINT", "DAC_16KHZ_KWARGS", "DAC_WEIGHTS_FORMAT", "DacCodec", "dac_weight_file"]

DAC_16KHZ_CHECKPOINT = "weights_16khz_8kbps_0.0.5.pth"
_PACKAGE_REMEDY = "pip install descript-audio-codec==1.0.0  (pyproject extra: neural)"

#: Constructor arguments of the released 16 kHz model (``conf/final/16khz.yml``).
DAC_16KHZ_KWARGS: dict[str, Any] = {
    "encoder_dim": 64,
    "encoder_rates": [2, 4, 5, 8],
    "decoder_dim": 1536,
    "decoder_rates": [8, 5, 4, 2],
    "n_codebooks": 12,
    "codebook_size": 1024,
    "codebook_dim": 8,
    "quantizer_dropout": 0.5,
    "sample_rate": 16000,
}


#: What a DAC checkpoint file must be, for error messages.
DAC_WEIGHTS_FORMAT = (
    "a DAC weights file: torch.save of {'state_dict': tensors, 'metadata': {'kwargs': constructor "
    "arguments}} holding only tensors and plain values (weights_16khz.pth of DAC release 0.0.5)"
)


def _convert_hint(path: Path) -> str:
    """Commands that rewrite a trusted DAC file in the plain weights format (they run its code: trust it)."""
    out = path.with_name(path.stem + "_weights_only.pth")
    return (
        "Only if you trust where the file came from, convert it where DAC is installed and pass the result "
        f"as checkpoint={out}: for DAC's torch.package export, python -c \"import dac; "
        f"dac.DAC.load('{path}').save('{out}', package=False)\"; for a weights dict with extra objects, "
        f"python -c \"import torch; b = torch.load('{path}', weights_only=False); torch.save("
        f"{{'state_dict': b['state_dict'], 'metadata': {{'kwargs': dict(b['metadata']['kwargs'])}}}}, '{out}')\""
    )


def dac_weight_file() -> WeightFile:
    """Where the 16 kHz checkpoint is looked for: DAC's fixed cache folder under HOME."""
    cache = dac_cache_dir()
    return WeightFile(
        codec="dac",
        filename=DAC_16KHZ_CHECKPOINT,
        search_dirs=[dac_cache_dir],
        remedy=(
            f"python -m dac download --model_type 16khz  (writes {cache / DAC_16KHZ_CHECKPOINT}), "
            "or pass checkpoint=<path to weights_16khz.pth from DAC release 0.0.5>"
        ),
    )


class DacCodec(Codec):
    """DAC 16 kHz using the first `n_codebooks` codebooks.

    Args:
        n_codebooks: 1-12; bitrate = 0.5 kbps x n_codebooks.
        checkpoint: path to the weights file; None looks in DAC's cache.
        random_weights: build with random weights instead of loading; TEST ONLY, labelled as such.
        seed: seed for random weights.
        device: where the network runs (``cpu``, ``cuda``, ``cuda:1``, ``mps``; None: ``cpu``); codes
            and audio come back on the CPU.
    """

    def __init__(
        self,
        n_codebooks: int = 12,
        checkpoint: str | None = None,
        random_weights: bool = False,
        seed: int = 0,
        device: str | None = None,
    ) -> None:
        if not 1 <= int(n_codebooks) <= DAC_16KHZ_KWARGS["n_codebooks"]:
            raise ValueError(f"DAC 16 kHz n_codebooks must be within [1, 12], got {n_codebooks}")
        path = self._locate(checkpoint, random_weights)
        import dac

        if path is None:
            with seeded(seed):
                model = dac.DAC(**DAC_16KHZ_KWARGS)
            self.weights = RANDOM_WEIGHTS
        else:
            model = _load_checkpoint(path)
            self.weights = f"pretrained:{path.name}"
            self.weight_files = (str(path),)
        model.eval()
        self.model = self._place(model, device)
        self.n_codebooks = int(n_codebooks)
        self.sample_rate = int(model.sample_rate)
        self.hop_length = int(model.hop_length)
        self.frame_rate_hz = self.sample_rate / self.hop_length
        self.codebook_sizes = (int(model.codebook_size),) * self.n_codebooks
        self.nominal_bitrate_kbps = self.frame_rate_hz * 10 * self.n_codebooks / 1000.0

    @staticmethod
    def _locate(checkpoint: str | None, random_weights: bool) -> Path | None:
        require_package("dac", _PACKAGE_REMEDY, what="dac", error=CodecUnavailable)
        if random_weights:
            return None
        return dac_weight_file().locate(checkpoint)

    @classmethod
    def check_available(
        cls, checkpoint: str | None = None, random_weights: bool = False, **kwargs: Any
    ) -> None:
        cls._locate(checkpoint, random_weights)

    def info(self) -> dict[str, Any]:
        return {**super().info(), "n_codebooks": self.n_codebooks, "model": "dac_16khz (release 0.0.5)"}

    def _encode(self, waveform: torch.Tensor) -> Encoded:
        """Tensor[B x T] at 16 kHz -> codes Tensor[B x n_codebooks x ceil(T / 320)]."""
        padded = pad_to_multiple(waveform, self.hop_length)
        latent = self.model.encoder(padded[:, None, :])
        _, codes, *_ = self.model.quantizer(latent, n_quantizers=self.n_codebooks)
        codes = codes[:, : self.n_codebooks].to(torch.int64)
        return Encoded(codes=codes, codebook_sizes=self.codebook_sizes)

    def _decode(self, encoded: Encoded) -> torch.Tensor:
        assert encoded.codes is not None
        latent = self.model.quantizer.from_codes(encoded.codes)[0]
        return self.model.decode(latent)

    @torch.inference_mode()
    def represent(self, waveform: torch.Tensor, sample_rate: int, layers: str = "all") -> torch.Tensor:
        """Quantized latent Tensor[B x 1024 x T'] at 50 Hz: sum of the configured codebooks' projected
        vectors (``all``) or the first codebook's (``first``); see `baselines.representation`."""
        used = self.n_codebooks if check_layers(layers) == "all" else 1
        native = representation_input(waveform, sample_rate, self.sample_rate).to(self.device)
        codes = self._encode(native).codes
        assert codes is not None
        return self.model.quantizer.from_codes(codes[:, :used])[0].float().cpu()


def _load_checkpoint(path: Path):
    """Build the DAC model described by the file's metadata and load its weights strictly (CPU).

    Raises:
        CheckpointError: unreadable, a torch.package / pickle with code (refused, nothing runs), not a
            DAC weights dict, not the 16 kHz model, or weights that do not fit it.
    """
    import dac

    blob = load_weights_only(path, expected_format=DAC_WEIGHTS_FORMAT, convert_hint=_convert_hint(path))
    if not isinstance(blob, dict) or "state_dict" not in blob or "metadata" not in blob:
        raise CheckpointError(
            path, f"holds {describe_contents(blob)}, not a DAC weights dict", DAC_WEIGHTS_FORMAT
        )
    metadata = blob["metadata"]
    kwargs = metadata.get("kwargs") if isinstance(metadata, dict) else None
    if not isinstance(kwargs, dict):
        raise CheckpointError(
            path, "has no metadata['kwargs'] dict of constructor arguments", DAC_WEIGHTS_FORMAT
        )
    accepted = {k: v for k, v in kwargs.items() if k in DAC_16KHZ_KWARGS or k == "latent_dim"}
    if accepted.get("sample_rate") != 16000 or accepted.get("n_codebooks") != 12:
        raise CheckpointError(
            path,
            f"is not the DAC 16 kHz model (metadata sample_rate={accepted.get('sample_rate')}, "
            f"n_codebooks={accepted.get('n_codebooks')})",
            DAC_WEIGHTS_FORMAT,
        )
    try:
        model = dac.DAC(**accepted)
    except Exception as exc:  # noqa: BLE001 - any constructor failure means the metadata is wrong
        raise CheckpointError(
            path,
            f"metadata kwargs do not build a DAC model ({type(exc).__name__}: {exc})",
            DAC_WEIGHTS_FORMAT,
        ) from None
    check_state_dict_keys(model, blob["state_dict"], str(path), DAC_WEIGHTS_FORMAT)
    model.load_state_dict(blob["state_dict"], strict=True)
    return model
