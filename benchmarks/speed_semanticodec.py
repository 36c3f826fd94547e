"""Speed and memory of SemantiCodec: this implementation vs the official inference code.

    python -m benchmarks.speed_semanticodec [--rates 100,50,25] [--steps 2,4] [--duration-s 10]
        [--official-path <official repo>:<its deps>] [--threads N] [--out results/speed.json]

Both sides are built at FULL size with RANDOM weights (labelled; speed does not depend on weight
values) and run one clip of `duration_s` seconds (default 10 s = one 10.24 s window) at identical
settings: DDIM with eta 1.0 and classifier-free guidance 2.0. Each (implementation, rate) runs in
its own subprocess so peak memory (max RSS) is per measurement; the official code runs with its own
package on PYTHONPATH (it is also called ``semanticodec``).

A 50-step official decode of one window takes minutes on a small CPU, so decoding is timed at two
reduced step counts (``--steps a,b``) and split into a per-step cost (b - a steps) and a fixed cost
(VAE + vocoder + conditioning); the 50-step real-time factor is fixed + 50 x per-step, stated as
derived; one untimed warm-up decode precedes the timed ones on both sides. Encode RTF is
measured directly (first call, includes one-time setup on both sides). Our fast sampler (DPM-Solver++ 2M) has the same per-step
cost, so its RTF at k steps is fixed + k x per-step.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GUIDANCE = 2.0
ETA = 1.0
VOCAB = 16384


def _peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _signal(duration_s: float):
    import torch

    t = torch.arange(int(duration_s * 16000)) / 16000
    generator = torch.Generator().manual_seed(0)
    x = 0.3 * torch.sin(2 * torch.pi * 220 * t) * (0.5 + 0.5 * torch.sin(2 * torch.pi * 3 * t))
    return (x + 0.01 * torch.randn(t.shape, generator=generator)).to(torch.float32)


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


# -- workers (run in subprocesses) ----------------------------------------------------------
def worker_ours(rate: int, steps: list[int], duration_s: float) -> dict:
    import torch

    from semanticodec import SemantiCodec

    model, build_s = _timed(lambda: SemantiCodec.random(rate, VOCAB, device="cpu", cfg_scale=GUIDANCE, eta=ETA))
    audio = _signal(duration_s)
    tokens, encode_s = _timed(lambda: model.encode(audio))
    model.decode_waveform(tokens, seed=0, steps=steps[0])  # warm-up (one-time kernel setup), not timed
    decode_s = {}
    for count in steps:
        _, decode_s[count] = _timed(lambda n=count: model.decode_waveform(tokens, seed=0, steps=n))
    return {"build_s": build_s, "encode_s": encode_s, "decode_s": decode_s, "tokens": list(tokens.shape),
            "peak_rss_gb": _peak_rss_gb(), "torch_threads": torch.get_num_threads()}


def worker_official(rate: int, steps: list[int], duration_s: float) -> dict:
    import numpy as np
    import soundfile as sf
    import torch
    import torchaudio
    from semanticodec.main import SemantiCodec as Official
    from semanticodec.modules.decoder.latent_diffusion.util import instantiate_from_config
    from semanticodec.modules.encoder.encoder import AudioMAEConditionQuantResEncoder
    from torch import nn

    import semanticodec as official_package
    from semanticodec.config import get_config

    if (Path(official_package.__file__).parent / "codec.py").exists():
        raise RuntimeError("the official package must come first on PYTHONPATH")

    def load(path):  # torchaudio 2.9's load() needs torchcodec; soundfile reads the same floats
        data, sr = sf.read(path, dtype="float32", always_2d=True)
        return torch.from_numpy(data.T.copy()), sr

    torchaudio.load = load
    config, _, feature_dim, lstm_layers, _ = get_config(rate, VOCAB, None)
    with tempfile.TemporaryDirectory() as tmp:
        npy = os.path.join(tmp, "codebook.npy")
        np.save(npy, np.random.default_rng(0).standard_normal((VOCAB, feature_dim), dtype=np.float32))
        wav = os.path.join(tmp, "clip.wav")
        sf.write(wav, _signal(duration_s).numpy(), 16000, subtype="FLOAT")

        def build():
            model = Official.__new__(Official)
            nn.Module.__init__(model)
            model.token_rate, model.stack_factor_K = rate, 100 / rate
            model.ddim_sample_step, model.cfg_scale, model.device = 50, GUIDANCE, torch.device("cpu")
            model.encoder = AudioMAEConditionQuantResEncoder(
                feature_dimension=feature_dim, lstm_layer=lstm_layers, centroid_npy_path=npy
            ).eval()
            model.decoder = instantiate_from_config(config["model"]).eval()
            return model

        model, build_s = _timed(build)
        with torch.no_grad():
            tokens, encode_s = _timed(lambda: model.encode(wav))
            model.ddim_sample_step = steps[0]
            model.decode(tokens)  # warm-up, not timed (as for ours)
            decode_s = {}
            for count in steps:
                model.ddim_sample_step = count
                _, decode_s[count] = _timed(lambda: model.decode(tokens))
    return {"build_s": build_s, "encode_s": encode_s, "decode_s": decode_s, "tokens": list(tokens.shape),
            "peak_rss_gb": _peak_rss_gb(), "torch_threads": torch.get_num_threads()}


# -- driver ---------------------------------------------------------------------------------
def _run_worker(kind: str, rate: int, args: argparse.Namespace) -> dict:
    env = dict(os.environ)
    repo_root = str(Path(__file__).resolve().parents[1])
    if kind == "official":
        env["PYTHONPATH"] = args.official_path
    else:
        env["PYTHONPATH"] = repo_root + os.pathsep + env.get("PYTHONPATH", "")
    if args.threads:
        env["OMP_NUM_THREADS"] = str(args.threads)
    # The worker imports only this file (never our package when measuring the official code).
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, "--rates", str(rate),
               "--steps", args.steps, "--duration-s", str(args.duration_s)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=tempfile.gettempdir(), check=False)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _summarise(result: dict, steps: list[int], duration_s: float) -> dict:
    if "error" in result:
        return result
    low, high = steps[0], steps[-1]
    timings = {int(k): v for k, v in result["decode_s"].items()}
    per_step = (timings[high] - timings[low]) / (high - low) if high != low else float("nan")
    fixed = timings[low] - low * per_step
    return {
        **result,
        "encode_rtf": result["encode_s"] / duration_s,
        "decode_per_step_s": per_step,
        "decode_fixed_s": fixed,
        "decode_rtf_50_steps_derived": (fixed + 50 * per_step) / duration_s,
        "decode_rtf_by_steps": {str(k): v / duration_s for k, v in timings.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="100,50,25")
    parser.add_argument("--steps", default="2,4",
                        help="two DDIM step counts to time (per-step cost from their difference); "
                        "the official sampler fails at 1 step (index 1000 out of bounds), so use >= 2")
    parser.add_argument("--duration-s", type=float, default=10.0)
    parser.add_argument("--official-path", default=os.environ.get("SEMANTICODEC_OFFICIAL_PATH"),
                        help="PYTHONPATH for the official code and its deps; omit to time ours only")
    parser.add_argument("--threads", type=int, default=0, help="OMP_NUM_THREADS for the workers (0: default)")
    parser.add_argument("--out", default=None, help="write the JSON results here")
    parser.add_argument("--worker", choices=["ours", "official"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    steps = sorted({int(s) for s in args.steps.split(",")})
    rates = [int(r) for r in args.rates.split(",")]

    if args.worker:
        fn = worker_ours if args.worker == "ours" else worker_official
        print(json.dumps(fn(rates[0], steps, args.duration_s)))
        return 0

    rows = []
    print("weights: random (TEST ONLY) at full size; DDIM eta 1.0, guidance 2.0, CPU, one clip of "
          f"{args.duration_s:g} s; decode 50-step RTF derived from steps {steps}", flush=True)
    header = (f"{'rate':>4} {'impl':>8} {'encode s':>9} {'enc RTF':>8} {'dec fixed s':>11} {'s/step':>7} "
              f"{'RTF@50 (derived)':>16} {'peak GB':>8}")
    print(header, flush=True)
    for rate in rates:
        kinds = ["ours"] + (["official"] if args.official_path else [])
        for kind in kinds:
            summary = _summarise(_run_worker(kind, rate, args), steps, args.duration_s)
            summary.update(rate=rate, impl=kind, steps_timed=steps, duration_s=args.duration_s,
                           weights="random (TEST ONLY)")
            rows.append(summary)
            if "error" in summary:
                print(f"{rate:>4} {kind:>8} error: {summary['error']}", flush=True)
                continue
            print(f"{rate:>4} {kind:>8} {summary['encode_s']:>9.2f} {summary['encode_rtf']:>8.2f} "
                  f"{summary['decode_fixed_s']:>11.2f} {summary['decode_per_step_s']:>7.2f} "
                  f"{summary['decode_rtf_50_steps_derived']:>16.2f} {summary['peak_rss_gb']:>8.2f}", flush=True)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
