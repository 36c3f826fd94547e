"""DAC 16 kHz (PyPI ``descript-audio-codec``, release tag 0.0.5) with a prefix of its 12 codebooks.

The released 16 kHz model has a hop of 320 samples (50 frames/s) and a residual VQ of 12 codebooks
of 1024 entries: 6.0 kbps with all of them (the release calls it "8kbps"). It was trained with
quantizer dropout, so any prefix of n codebooks is a valid lower rate (0.5 kbps per codebook).
These prefixes are NOT the low-rate DAC the SemantiCodec paper re-trained (15.625 Hz, 9
codebooks; its weights are not public): configurations below 6 kbps say so in their description.

Weights: ``weights_16khz_8kbps_0.0.5.pth`` in DAC's cache (``~/.cache/descript/dac``) or an
explicit file. The file is a dict {"state_dict", "metadata": {"kwargs": constructor args}};
it is loaded on CPU with strict key checking (DAC's own loader ignores missing keys).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from baselines.base import Codec, Encoded
from baselines.neural._common import check_state_dict_keys, pad_to_multiple, require_package, seeded
from baselines.weights import RANDOM_WEIGHTS, WeightFile, dac_cache_dir

__all__ = ["DAC_16KHZ_CHECKPOINT", "DAC_16KHZ_KWARGS", "DacCodec", "dac_weight_file"]

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
    """

    family = "dac"

    def __init__(
        self,
        n_codebooks: int = 12,
        checkpoint: str | None = None,
        random_weights: bool = False,
        seed: int = 0,
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
        model.eval()
        self.model = model
        self.n_codebooks = int(n_codebooks)
        self.sample_rate = int(model.sample_rate)
        self.hop_length = int(model.hop_length)
        self.frame_rate_hz = self.sample_rate / self.hop_length
        self.codebook_sizes = (int(model.codebook_size),) * self.n_codebooks
        self.nominal_bitrate_kbps = self.frame_rate_hz * 10 * self.n_codebooks / 1000.0

    @staticmethod
    def _locate(checkpoint: str | None, random_weights: bool) -> Path | None:
        require_package("dac", "dac", _PACKAGE_REMEDY)
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


def _load_checkpoint(path: Path):
    """Build the DAC model described by the file's metadata and load its weights strictly (CPU)."""
    import dac

    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001 - metadata may hold plain objects that weights_only refuses
        try:
            # The release file is trusted (the user placed it here); DAC itself loads it this way.
            blob = torch.load(path, map_location="cpu", weights_only=False)
        except Exception:  # noqa: BLE001 - not a pickled dict: maybe a torch.package export
            return _load_package(path)
    if not isinstance(blob, dict) or "state_dict" not in blob or "metadata" not in blob:
        raise ValueError(f"{path}: expected a DAC weights dict with 'state_dict' and 'metadata'")
    kwargs = dict(blob["metadata"].get("kwargs", {}))
    accepted = {k: v for k, v in kwargs.items() if k in DAC_16KHZ_KWARGS or k == "latent_dim"}
    if accepted.get("sample_rate") != 16000 or accepted.get("n_codebooks") != 12:
        raise ValueError(
            f"{path}: not the DAC 16 kHz model (metadata sample_rate={accepted.get('sample_rate')}, "
            f"n_codebooks={accepted.get('n_codebooks')}); expected weights_16khz.pth from release 0.0.5"
        )
    model = dac.DAC(**accepted)
    check_state_dict_keys(model, blob["state_dict"], str(path))
    model.load_state_dict(blob["state_dict"], strict=True)
    return model


def _load_package(path: Path):
    """A DAC model saved as a torch.package (audiotools' other format); checked to be the 16 kHz model."""
    import dac

    try:
        model = dac.DAC.load(str(path))
    except Exception as exc:  # noqa: BLE001 - audiotools raises several types
        raise ValueError(f"{path}: neither a DAC weights dict nor a DAC torch.package ({exc})") from None
    if int(model.sample_rate) != 16000 or int(model.n_codebooks) != 12:
        raise ValueError(f"{path}: not the DAC 16 kHz model (sample_rate={model.sample_rate})")
    return model
