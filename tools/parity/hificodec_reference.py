"""Golden values for the HiFi-Codec implementation, produced by the official AcademiCodec code.

Both implementations get the same deterministic weights (`deterministic_state`, defined by key name
and shape only, with codebooks drawn from the encoder's own latents so that codes are diverse).
Running this file with an AcademiCodec checkout (``--academicodec DIR``, the repository root)
encodes a fixed test signal with the OFFICIAL Encoder/Quantizer/Generator and writes
``golden/hificodec_official_reference.json``; `test_hificodec.py` compares the suite's model with it.

    python -m tests.baselines.hificodec_reference_tool --academicodec /path/to/AcademiCodec
"""

from __future__ import annotations

import argparse
import json
import sys
import zlib
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
REFERENCE_FILE = HERE / "golden" / "hificodec_official_reference.json"
SAMPLE_RATE = 16_000
NUM_SAMPLES = 8000  # 0.5 s: 25 frames
AUDIO_STRIDE = 8  # every 8th decoded sample is stored


def test_signal() -> np.ndarray:
    from tests.conftest import harmonic_tone

    return harmonic_tone(NUM_SAMPLES / SAMPLE_RATE, SAMPLE_RATE, f0_hz=180.0, seed=11)


def _rng(name: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(name.encode()))


def _fill(name: str, shape: tuple[int, ...], kind: str) -> torch.Tensor:
    rng = _rng(name)
    if kind == "weight":
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 1
        return torch.from_numpy((rng.standard_normal(shape) / np.sqrt(fan_in)).astype(np.float32))
    if kind == "bias":
        return torch.from_numpy((0.01 * rng.standard_normal(shape)).astype(np.float32))
    if kind == "norm_weight":
        return torch.from_numpy((1.0 + 0.1 * rng.standard_normal(shape)).astype(np.float32))
    return torch.from_numpy((0.1 * rng.standard_normal(shape)).astype(np.float32))


def _deterministic_part(part: str, template: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {}
    for key in sorted(template):
        shape = tuple(template[key].shape)
        name = f"{part}.{key}"
        if key.endswith("weight_v") or (key.endswith(".weight") and len(shape) == 3):
            out[key] = _fill(name, shape, "weight")
        elif key.endswith("bias") and key.startswith("normalize"):
            out[key] = _fill(name, shape, "norm_bias")
        elif key.endswith("weight") and key.startswith("normalize"):
            out[key] = _fill(name, shape, "norm_weight")
        elif key.endswith("bias"):
            out[key] = _fill(name, shape, "bias")
    for key, value in template.items():
        if key.endswith("weight_g"):  # g = ||v|| per output slice: the effective weight is v itself
            v = out[key[: -len("weight_g")] + "weight_v"]
            out[key] = v.flatten(1).norm(dim=1).view(value.shape)
    return out


def deterministic_state(encoder_forward, templates: dict[str, dict[str, torch.Tensor]]) -> dict:
    """Weights for {generator, encoder, quantizer} from key names and shapes only.

    `encoder_forward(state_dict) -> latent Tensor[1 x 512 x T]` runs an encoder with the given weights
    on `test_signal()`; codebooks are drawn from those latents so that the codes are not degenerate.
    """
    state = {part: _deterministic_part(part, templates[part]) for part in ("generator", "encoder")}
    latent = encoder_forward(state["encoder"])[0].T  # [T, 512]
    frames = latent.shape[0]
    quantizer = {}
    for layer, bank in enumerate(("quantizer_modules", "quantizer_modules2")):
        for group in (0, 1):
            key = f"{bank}.{group}.embedding.weight"
            rows, dim = templates["quantizer"][key].shape
            rng = _rng(f"quantizer.{key}")
            part = latent[:, group * dim : (group + 1) * dim]
            scale = float(part.std())
            if layer == 0:
                picks = torch.from_numpy(rng.integers(0, frames, rows))
                noise = torch.from_numpy(rng.standard_normal((rows, dim)).astype(np.float32))
                quantizer[key] = part[picks] + 0.5 * scale * noise
            else:
                quantizer[key] = torch.from_numpy(
                    (0.3 * scale * rng.standard_normal((rows, dim))).astype(np.float32)
                )
    state["quantizer"] = quantizer
    return state


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--academicodec", required=True, help="root of an AcademiCodec checkout")
    args = parser.parse_args()
    root = Path(args.academicodec).resolve()
    sys.path.insert(0, str(root))
    from academicodec.models.hificodec.env import AttrDict
    from academicodec.models.hificodec.models import Encoder, Generator, Quantizer

    config = json.loads((root / "egs" / "HiFi-Codec-16k-320d" / "config_16k_320d.json").read_text())
    h = AttrDict(config)
    encoder, quantizer, generator = Encoder(h).eval(), Quantizer(h).eval(), Generator(h).eval()
    signal = torch.from_numpy(test_signal())[None]

    def encoder_forward(sd):
        encoder.load_state_dict(sd, strict=True)
        with torch.no_grad():
            return encoder(signal.unsqueeze(1))

    templates = {
        "generator": generator.state_dict(),
        "encoder": encoder.state_dict(),
        "quantizer": quantizer.state_dict(),
    }
    state = deterministic_state(encoder_forward, templates)
    for module, part in ((encoder, "encoder"), (quantizer, "quantizer"), (generator, "generator")):
        module.load_state_dict(state[part], strict=True)
    with torch.no_grad():
        _, _, indices = quantizer(encoder(signal.unsqueeze(1)))
        codes = torch.stack([i.reshape(1, -1) for i in indices], -1)  # official layout [B, T, 4]
        audio = generator(quantizer.embed(codes))[0, 0]
    reference = {
        "source": "yangdongchao/AcademiCodec academicodec/models/hificodec/models.py, config_16k_320d.json",
        "signal": f"tests.conftest.harmonic_tone({NUM_SAMPLES / SAMPLE_RATE}, {SAMPLE_RATE}, f0_hz=180.0, seed=11)",
        "codes_b_t_4": codes[0].tolist(),
        "audio_stride": AUDIO_STRIDE,
        "audio": [round(float(v), 7) for v in audio[::AUDIO_STRIDE]],
        "audio_rms": float(audio.pow(2).mean().sqrt()),
        "torch_version": torch.__version__,
    }
    REFERENCE_FILE.parent.mkdir(parents=True, exist_ok=True)
    REFERENCE_FILE.write_text(json.dumps(reference, indent=1) + "\n")
    distinct = [len(set(codes[0, :, k].tolist())) for k in range(4)]
    print(f"wrote {REFERENCE_FILE}: codes {tuple(codes.shape)}, distinct per codebook {distinct}")


if __name__ == "__main__":
    main()
