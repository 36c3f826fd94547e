"""Regenerate the encoder parity references (tests/semanticodec/data) from the OFFICIAL encoder code.

Runs the official package (also named ``semanticodec``) with the official checkout first on PYTHONPATH;
our packages are never imported (see `tools.official_package`). From the repository root:

    PYTHONPATH=<official-repo>:<official-deps> python -m tools.parity.semanticodec_encoder_reference \
        [--rates 100,50,25] [--out-dir tests/semanticodec/data]
    PYTHONPATH=... python -m tools.parity.semanticodec_encoder_reference --count-sweep 123,16000 --out counts.json

The official `AudioMAEConditionQuantResEncoder` is built with a 1-layer LSTM (to keep the files and
the test fast; the layer count only changes `nn.LSTM`'s depth), every state-dict entry is filled
from the shared recipe (`baselines/random_weights.py`: `fill_state_dict`, `semantic_codebook`), and
the official padding/fbank code (`SemantiCodec.load_audio`) plus encoder `forward` tokenise
`test_signal` clips. Only tokens are stored (``official_tokens_rate{R}.pt``). `--count-sweep` writes
the token pairs the official encode keeps for each clip length.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from tools.official_package import REPO_ROOT, load_random_weights, use_official_semanticodec

FEATURE_DIM = {100: 768, 50: 1536, 25: 3072}
VOCAB = 64
#: (name, duration in samples): a short clip, an exact 10.24 s multiple, two partial windows.
CLIPS = (("short", 33_000), ("exact", 163_840), ("long", 200_000))


def _official_load_audio(path: str, token_rate: int):
    import torchaudio
    from semanticodec.main import SemantiCodec

    def load(p):  # torchaudio 2.9 needs torchcodec for load(); soundfile gives the same floats
        data, sr = sf.read(p, dtype="float32", always_2d=True)
        return torch.from_numpy(data.T.copy()), sr

    torchaudio.load = load

    class _Self:
        stack_factor_K = 100 / token_rate

    return SemantiCodec.load_audio(_Self(), path)


def count_sweep(lengths: list[int], out_path: Path) -> None:
    """Token pairs the official encode keeps for each length (its load_audio and slice), as JSON."""
    import json

    counts: dict[str, dict[str, int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for num_samples in lengths:
            wav = Path(tmp) / "clip.wav"
            signal = torch.randn(num_samples, generator=torch.Generator().manual_seed(num_samples)) * 0.1
            sf.write(wav, signal.numpy(), 16000, subtype="FLOAT")
            for rate in (100, 50, 25):
                mel, target = _official_load_audio(str(wav), rate)
                encoded_pairs = mel.shape[-2] // 1024 * (512 * rate // 100)  # what encoder(mel) returns
                counts.setdefault(str(rate), {})[str(num_samples)] = min(math.ceil(target), encoded_pairs)
    out_path.write_text(json.dumps(counts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="100,50,25")
    parser.add_argument("--out-dir", type=Path, default=REPO_ROOT / "tests" / "semanticodec" / "data",
                        help="folder of the official_tokens_rate{R}.pt files")
    parser.add_argument("--count-sweep", default=None, help="comma-separated lengths; writes counts to --out")
    parser.add_argument("--out", default=None, help="JSON file of --count-sweep")
    args = parser.parse_args()
    if args.count_sweep and not args.out:
        parser.error("--count-sweep needs --out")
    use_official_semanticodec()
    if args.count_sweep:
        count_sweep([int(n) for n in args.count_sweep.split(",")], Path(args.out))
        return
    from semanticodec.modules.encoder.encoder import AudioMAEConditionQuantResEncoder

    recipe = load_random_weights()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        for rate in [int(r) for r in args.rates.split(",")]:
            fd = FEATURE_DIM[rate]
            npy = Path(tmp) / f"codebook_{rate}.npy"
            np.save(npy, recipe.semantic_codebook(VOCAB, fd).numpy())
            model = AudioMAEConditionQuantResEncoder(
                centroid_npy_path=str(npy), feature_dimension=fd, lstm_layer=1
            )
            model.load_state_dict(recipe.fill_state_dict(model.state_dict()))
            model.eval()
            out = {"token_rate": rate, "vocab_size": VOCAB, "lstm_layers": 1, "clips": {}}
            for name, num_samples in CLIPS:
                wav = Path(tmp) / f"{name}.wav"
                signal = recipe.test_signal(num_samples / 16000, seed=1)[:num_samples]
                sf.write(wav, signal.numpy(), 16000, subtype="FLOAT")
                mel, target = _official_load_audio(str(wav), rate)
                with torch.no_grad():
                    tokens = model(mel)[:, : math.ceil(target), :]
                out["clips"][name] = {"num_samples": num_samples, "tokens": tokens.clone()}
                print(rate, name, tuple(tokens.shape), tokens[0, :4].tolist(), flush=True)
            torch.save(out, args.out_dir / f"official_tokens_rate{rate}.pt")
            del model


if __name__ == "__main__":
    sys.exit(main())
