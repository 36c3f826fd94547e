"""Golden values for the HiFi-Codec implementation, produced by the official AcademiCodec code.

Both implementations get the same deterministic weights (`baselines.random_weights.hificodec_state`,
defined by key name and shape only, with codebooks drawn from the encoder's own latents so that codes
are diverse). With an AcademiCodec checkout (``--academicodec DIR``, the repository root) this encodes
`hificodec_test_signal` with the OFFICIAL Encoder/Quantizer/Generator and writes
``tests/baselines/golden/hificodec_official_reference.json``; `tests/baselines/test_hificodec.py`
compares the suite's model with it. From the repository root:

    python -m tools.parity.hificodec_reference --academicodec /path/to/AcademiCodec [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from baselines.random_weights import hificodec_state, hificodec_test_signal

REPO_ROOT = Path(__file__).resolve().parents[2]
REFERENCE_FILE = REPO_ROOT / "tests" / "baselines" / "golden" / "hificodec_official_reference.json"
AUDIO_STRIDE = 8  # every 8th decoded sample is stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--academicodec", required=True, help="root of an AcademiCodec checkout")
    parser.add_argument("--out", type=Path, default=REFERENCE_FILE, help="golden JSON file to write")
    args = parser.parse_args()
    root = Path(args.academicodec).resolve()
    sys.path.insert(0, str(root))
    from academicodec.models.hificodec.env import AttrDict
    from academicodec.models.hificodec.models import Encoder, Generator, Quantizer

    config = json.loads((root / "egs" / "HiFi-Codec-16k-320d" / "config_16k_320d.json").read_text())
    h = AttrDict(config)
    encoder, quantizer, generator = Encoder(h).eval(), Quantizer(h).eval(), Generator(h).eval()
    signal = torch.from_numpy(hificodec_test_signal())[None]

    def encoder_forward(sd):
        encoder.load_state_dict(sd, strict=True)
        with torch.no_grad():
            return encoder(signal.unsqueeze(1))

    templates = {
        "generator": generator.state_dict(),
        "encoder": encoder.state_dict(),
        "quantizer": quantizer.state_dict(),
    }
    state = hificodec_state(encoder_forward, templates)
    for module, part in ((encoder, "encoder"), (quantizer, "quantizer"), (generator, "generator")):
        module.load_state_dict(state[part], strict=True)
    with torch.no_grad():
        _, _, indices = quantizer(encoder(signal.unsqueeze(1)))
        codes = torch.stack([i.reshape(1, -1) for i in indices], -1)  # official layout [B, T, 4]
        audio = generator(quantizer.embed(codes))[0, 0]
    reference = {
        "source": "yangdongchao/AcademiCodec academicodec/models/hificodec/models.py, config_16k_320d.json",
        "signal": "baselines.random_weights.hificodec_test_signal()",
        "codes_b_t_4": codes[0].tolist(),
        "audio_stride": AUDIO_STRIDE,
        "audio": [round(float(v), 7) for v in audio[::AUDIO_STRIDE]],
        "audio_rms": float(audio.pow(2).mean().sqrt()),
        "torch_version": torch.__version__,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(reference, indent=1) + "\n")
    distinct = [len(set(codes[0, :, k].tolist())) for k in range(4)]
    print(f"wrote {args.out}: codes {tuple(codes.shape)}, distinct per codebook {distinct}")


if __name__ == "__main__":
    main()
