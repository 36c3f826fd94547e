"""Speed and memory of SemantiCodec: this implementation vs the official inference code.

    python -m benchmarks.speed_semanticodec [--rates 100,50,25] [--steps 50] [--fast-steps 10,20]
        [--duration-s 10] [--official-path <official repo>:<its deps>]
        [--threads N] [--out results/speed.json]

Both sides are built at FULL size with RANDOM weights (labelled; speed does not depend on weight
values) and run one clip of `duration_s` seconds (default 10 s = one 10.24 s window) at identical
settings: DDIM with eta 1.0 and classifier-free guidance 2.0, `--steps` DDIM steps (default the
official 50), timed directly. Ours is also timed with DPM-Solver++ (2M) at `--fast-steps`. Each
(implementation, rate) runs in its own subprocess so peak memory (max RSS) is per measurement; the
official code runs with its own package on PYTHONPATH (it is also called ``semanticodec``).

Encode is timed twice (the first call includes one-time setup on both sides). One untimed 2-step
decode precedes the timed ones on both sides.
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
def worker_ours(rate: int, steps: list[int], fast_steps: list[int], duration_s: float) -> dict:
    import torch

    from semanticodec import SemantiCodec

    model, build_s = _timed(lambda: SemantiCodec.random(rate, VOCAB, device="cpu", cfg_scale=GUIDANCE, eta=ETA))
    audio = _signal(duration_s)
    tokens, encode_first_s = _timed(lambda: model.encode(audio))
    _, encode_s = _timed(lambda: model.encode(audio))
    model.decode_waveform(tokens, seed=0, steps=2)  # warm-up (one-time kernel setup), not timed
    decode_s = {}
    for count in steps:
        _, decode_s[f"ddim{count}"] = _timed(lambda n=count: model.decode_waveform(tokens, seed=0, steps=n))
    for count in fast_steps:
        _, decode_s[f"dpmpp_2m{count}"] = _timed(
            lambda n=count: model.decode_waveform(tokens, seed=0, steps=n, sampler="dpmpp_2m")
        )
    return {"build_s": build_s, "encode_first_s": encode_first_s, "encode_s": encode_s, "decode_s": decode_s,
            "tokens": list(tokens.shape), "peak_rss_gb": _peak_rss_gb(), "torch_threads": torch.get_num_threads()}


def worker_official(rate: int, steps: list[int], fast_steps: list[int], duration_s: float) -> dict:
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
            tokens, encode_first_s = _timed(lambda: model.encode(wav))
            _, encode_s = _timed(lambda: model.encode(wav))
            model.ddim_sample_step = 2  # the official sampler fails at 1 step
            model.decode(tokens)  # warm-up, not timed (as for ours)
            decode_s = {}
            for count in steps:
                model.ddim_sample_step = count
                _, decode_s[f"ddim{count}"] = _timed(lambda: model.decode(tokens))
    return {"build_s": build_s, "encode_first_s": encode_first_s, "encode_s": encode_s, "decode_s": decode_s,
            "tokens": list(tokens.shape), "peak_rss_gb": _peak_rss_gb(), "torch_threads": torch.get_num_threads()}


WORKERS = {"ours": worker_ours, "official": worker_official}


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
               "--steps", args.steps, "--fast-steps", args.fast_steps, "--duration-s", str(args.duration_s)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=tempfile.gettempdir(), check=False)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _int_list(text: str) -> list[int]:
    return sorted({int(item) for item in text.split(",") if item.strip()})


def _summarise(result: dict, duration_s: float) -> dict:
    if "error" in result:
        return result
    return {
        **result,
        "encode_rtf": result["encode_s"] / duration_s,
        "decode_rtf": {name: seconds / duration_s for name, seconds in result["decode_s"].items()},
    }


def _speedups(rows: list[dict]) -> list[dict]:
    """Official decode time / our decode time, per rate, official setting and our setting."""
    out = []
    for row in rows:
        if row.get("impl") != "ours" or "error" in row:
            continue
        reference = next((r for r in rows if r.get("impl") == "official" and r["rate"] == row["rate"]
                          and "error" not in r), None)
        if reference is None:
            continue
        for official_name, official_s in reference["decode_s"].items():
            for name, seconds in row["decode_s"].items():
                out.append({"rate": row["rate"], "official": official_name, "ours": name,
                            "speedup": official_s / seconds})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="100,50,25")
    parser.add_argument("--steps", default="50",
                        help="DDIM step counts timed on both sides (the official sampler needs >= 2)")
    parser.add_argument("--fast-steps", default="10,20", help="DPM-Solver++ (2M) step counts timed for ours")
    parser.add_argument("--duration-s", type=float, default=10.0)
    parser.add_argument("--official-path", default=os.environ.get("SEMANTICODEC_OFFICIAL_PATH"),
                        help="PYTHONPATH for the official code and its deps; omit to time ours only")
    parser.add_argument("--threads", type=int, default=0, help="OMP_NUM_THREADS for the workers (0: default)")
    parser.add_argument("--out", default=None, help="write the JSON results here")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    steps, fast_steps = _int_list(args.steps), _int_list(args.fast_steps)
    if any(count < 2 for count in steps):
        parser.error("--steps: the official DDIM sampler fails below 2 steps")
    rates = [int(r) for r in args.rates.split(",")]

    if args.worker:
        print(json.dumps(WORKERS[args.worker](rates[0], steps, fast_steps, args.duration_s)))
        return 0

    rows = []
    print(f"weights: random (TEST ONLY) at full size; DDIM eta {ETA}, guidance {GUIDANCE}, CPU, one clip of "
          f"{args.duration_s:g} s", flush=True)
    print(f"{'rate':>4} {'impl':>8} {'enc s':>6} {'enc RTF':>7} {'peak GB':>7}  decode s (RTF)", flush=True)
    for rate in rates:
        for kind in ["ours"] + (["official"] if args.official_path else []):
            summary = _summarise(_run_worker(kind, rate, args), args.duration_s)
            summary.update(rate=rate, impl=kind, duration_s=args.duration_s, weights="random (TEST ONLY)")
            rows.append(summary)
            if "error" in summary:
                print(f"{rate:>4} {kind:>8} error: {summary['error']}", flush=True)
                continue
            decodes = "  ".join(f"{name} {seconds:.1f} ({summary['decode_rtf'][name]:.2f})"
                                for name, seconds in summary["decode_s"].items())
            print(f"{rate:>4} {kind:>8} {summary['encode_s']:>6.2f} {summary['encode_rtf']:>7.2f} "
                  f"{summary['peak_rss_gb']:>7.2f}  {decodes}", flush=True)
    speedups = _speedups(rows)
    for item in speedups:
        print(f"rate {item['rate']}: official {item['official']} / ours {item['ours']} = {item['speedup']:.2f}x",
              flush=True)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps({"runs": rows, "speedups": speedups}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
