"""Regenerate the parity references in tests/semanticodec/data from the OFFICIAL encoder code.

Run in its own process with the official package first on the path (it is also called
``semanticodec``, so it never shares a process with ours):

    PYTHONPATH=<official-repo>:<official-deps> python tests/semanticodec/official_reference.py [--rates 100,50,25]

The official `AudioMAEConditionQuantResEncoder` is built with a 1-layer LSTM (to keep the files and
the test fast; the layer count only changes `nn.LSTM`'s depth), every state-dict entry is filled
from `random_weights.random_tensor`, and the official padding/fbank code (`SemantiCodec.load_audio`)
plus encoder `forward` tokenise `random_weights.test_signal` clips. Only tokens are stored.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

HERE = Path(__file__).resolve().parent
FEATURE_DIM = {100: 768, 50: 1536, 25: 3072}
VOCAB = 64
#: (name, duration in samples): a short clip, an exact 10.24 s multiple, two partial windows.
CLIPS = (("short", 33_000), ("exact", 163_840), ("long", 200_000))


def _load_recipe():
    spec = importlib.util.spec_from_file_location("random_weights", HERE / "random_weights.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
    parser = argparse.ArgumentParser()
    parser.add_argument("--rates", default="100,50,25")
    parser.add_argument("--count-sweep", default=None, help="comma-separated lengths; writes counts to --out")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    if args.count_sweep:
        count_sweep([int(n) for n in args.count_sweep.split(",")], Path(args.out))
        return
    import semanticodec

    assert "official" in str(Path(semanticodec.__file__).resolve()) or not (
        Path(semanticodec.__file__).resolve().parent / "codec.py"
    ).exists(), "run with the official package on PYTHONPATH, not ours"
    from semanticodec.modules.encoder.encoder import AudioMAEConditionQuantResEncoder

    recipe = _load_recipe()
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
            torch.save(out, HERE / "data" / f"official_tokens_rate{rate}.pt")
            del model


if __name__ == "__main__":
    sys.exit(main())
