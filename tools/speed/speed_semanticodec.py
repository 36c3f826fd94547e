"""Speed and memory of SemantiCodec: this implementation vs the official inference code, and our
fast settings (bfloat16, DPM-Solver++) vs the official float32 DDIM-50. From the repository root:

    python -m tools.speed.speed_semanticodec [--rates 100,50,25] [--steps 50] [--fast-steps 10,20]
        [--duration-s 10] [--official-path <official repo>:<its deps>]
        [--threads N] [--out results/speed.json]
        [--encode-only] [--repeats N] [--encode-calls N] [--checkpoint-dir DIR]
    python -m tools.speed.speed_semanticodec --compare-settings [SPECS] [--rates 100] [--out FILE]

Both sides are built at FULL size with RANDOM weights (labelled; speed does not depend on weight
values) and run one clip of `duration_s` seconds (default 10 s = one 10.24 s window) at identical
settings: DDIM with eta 1.0 and classifier-free guidance 2.0, `--steps` DDIM steps (default the
official 50), timed directly. Ours is also timed with DPM-Solver++ (2M) at `--fast-steps`. Each
(implementation, rate) runs in its own subprocess so peak memory (max RSS) is per measurement; the
official code runs with its own package on PYTHONPATH (it is also called ``semanticodec``).

Encode: the first call (one-time setup included) is timed alone, then `--encode-calls` more calls
whose median is ``encode_s``. One untimed 2-step decode precedes the timed ones on both sides.

On a shared machine single timings are noisy: `--repeats N` runs N worker processes per side,
alternating which side goes first, records the load average around each run, and reports the median
over runs of each side's ``encode_s`` (``encode_medians``). `--checkpoint-dir DIR` builds ours the
way users do, with the constructor from checkpoint files (``DIR/semanticodec_tokenrate_{R}``, written
by `write_random_checkpoints` with random weights when missing) instead of `SemantiCodec.random`.

Fast settings (`--compare-settings`): each setting ``dtype:sampler:steps`` (default float32 DDIM-50,
then bfloat16 DDIM-50 and DPM-Solver++ (2M) at 10 and 20 steps in float32 and bfloat16; the first is
the reference) runs in its own subprocess on the same random weights (`--checkpoint-dir` as above):
encode (timed, tokens compared with the reference's), one untimed 2-step decode, then one timed
decode of the REFERENCE tokens with seed 0, so every setting starts from the same noise. Reported per
setting: encode and decode seconds, peak memory (max RSS of its process), decode speed-up and memory
ratio over the reference, and the output's deviation from the reference waveform: waveform SNR (dB)
and the paper's mel distance (dB; `benchmarks.metrics.functional.mel_distance`). The official DDIM is
stochastic (eta 1), so even another seed at float32 DDIM-50 deviates: `--seed-floor` adds that run
(the reference setting with seed 1) as the yardstick for the other deviations. A random-weight
decoder may respond little to its noise and condition (the tiny test model's output hardly changes
with the seed), which makes every deviation small: read the deviations against that yardstick.
`--checkpoint-dir` uses the recipe weights (scaled like trained layers) instead of PyTorch's default
initialisation (`SemantiCodec.random`).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.speed_stats import (
    encode_medians,
    encode_timings,
    real_time_factors,
    speedups,
    timed,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
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


# -- workers (run in subprocesses) ----------------------------------------------------------
def write_random_checkpoints(root: Path, rate: int) -> Path:
    """Full-size RANDOM-weight files in the official layout under `root` (speed only); -> token-rate folder.

    Values from the shared recipe `baselines.random_weights` (every key, including unused ones)."""
    import json

    import numpy as np
    import torch

    from baselines import random_weights
    from semanticodec.checkpoints import repository_files
    from semanticodec.config import encoder_config
    from semanticodec.encoder import SemantiCodecEncoder

    folder = root / f"semanticodec_tokenrate_{rate}"
    npy = root / repository_files(rate, VOCAB)["semantic_codebook"]
    if (folder / "decoder.ckpt").is_file() and npy.is_file():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    config = encoder_config(rate, VOCAB)
    with torch.device("meta"):
        encoder = SemantiCodecEncoder(config)
    state = {k: random_weights.random_tensor(k, tuple(v.shape)) for k, v in encoder.state_dict().items()}
    torch.save(state, folder / "encoder.ckpt")
    del state
    keys = REPO_ROOT / "tests" / "semanticodec" / "data" / "decoder_official_keys.json"
    stored = json.loads(keys.read_text())["keys"]
    shapes = {**stored["100"], **stored[str(rate)]}  # rates 50 and 25 list the entries that differ
    state = {k: random_weights.random_tensor(k, tuple(s)) for k, s in shapes.items()}
    torch.save(state, folder / "decoder.ckpt")
    del state
    npy.parent.mkdir(parents=True, exist_ok=True)
    np.save(npy, random_weights.semantic_codebook(VOCAB, config.feature_dim).numpy())
    return folder


def worker_ours(rate: int, steps: list[int], fast_steps: list[int], duration_s: float, options: dict) -> dict:
    import torch

    from semanticodec import SemantiCodec

    settings = {"device": "cpu", "cfg_scale": GUIDANCE, "eta": ETA, "load_decoder": bool(steps or fast_steps)}
    if options.get("checkpoint_dir"):
        folder = Path(options["checkpoint_dir"]) / f"semanticodec_tokenrate_{rate}"
        model, build_s = timed(lambda: SemantiCodec(rate, VOCAB, checkpoint_path=folder, download=False, **settings))
    else:
        model, build_s = timed(lambda: SemantiCodec.random(rate, VOCAB, **settings))
    audio = _signal(duration_s)
    timings = encode_timings(lambda: model.encode(audio), options.get("encode_calls", 1))
    tokens = timings.pop("tokens_out")
    result = {"build_s": build_s, **timings, "tokens": list(tokens.shape), "torch_threads": torch.get_num_threads()}
    if not (steps or fast_steps):
        return {**result, "decode_s": {}, "peak_rss_gb": _peak_rss_gb()}
    model.decode_waveform(tokens, seed=0, steps=2)  # warm-up (one-time kernel setup), not timed
    decode_s = {}
    for count in steps:
        _, decode_s[f"ddim{count}"] = timed(lambda n=count: model.decode_waveform(tokens, seed=0, steps=n))
    for count in fast_steps:
        _, decode_s[f"dpmpp_2m{count}"] = timed(
            lambda n=count: model.decode_waveform(tokens, seed=0, steps=n, sampler="dpmpp_2m")
        )
    return {**result, "decode_s": decode_s, "peak_rss_gb": _peak_rss_gb()}


def worker_official(rate: int, steps: list[int], fast_steps: list[int], duration_s: float, options: dict) -> dict:
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
    from tools.official_package import load_random_weights

    if (Path(official_package.__file__).parent / "codec.py").exists():
        raise RuntimeError("the official package must come first on PYTHONPATH")

    def load(path):  # torchaudio 2.9's load() needs torchcodec; soundfile reads the same floats
        data, sr = sf.read(path, dtype="float32", always_2d=True)
        return torch.from_numpy(data.T.copy()), sr

    torchaudio.load = load
    config, _, feature_dim, lstm_layers, _ = get_config(rate, VOCAB, None)
    with tempfile.TemporaryDirectory() as tmp:
        npy = os.path.join(tmp, "codebook.npy")
        np.save(npy, load_random_weights().semantic_codebook(VOCAB, feature_dim).numpy())
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
            if steps:
                model.decoder = instantiate_from_config(config["model"]).eval()
            return model

        model, build_s = timed(build)
        with torch.no_grad():
            timings = encode_timings(lambda: model.encode(wav), options.get("encode_calls", 1))
            tokens = timings.pop("tokens_out")
            if not steps:
                return {"build_s": build_s, **timings, "decode_s": {}, "tokens": list(tokens.shape),
                        "peak_rss_gb": _peak_rss_gb(), "torch_threads": torch.get_num_threads()}
            model.ddim_sample_step = 2  # the official sampler fails at 1 step
            model.decode(tokens)  # warm-up, not timed (as for ours)
            decode_s = {}
            for count in steps:
                model.ddim_sample_step = count
                _, decode_s[f"ddim{count}"] = timed(lambda: model.decode(tokens))
    return {"build_s": build_s, **timings, "decode_s": decode_s, "tokens": list(tokens.shape),
            "peak_rss_gb": _peak_rss_gb(), "torch_threads": torch.get_num_threads()}


WORKERS = {"ours": worker_ours, "official": worker_official}


# -- driver ---------------------------------------------------------------------------------
def _run_worker(kind: str, rate: int, args: argparse.Namespace) -> dict:
    env = dict(os.environ)
    repo_root = str(REPO_ROOT)
    if kind == "official":  # the official package first: it is also called semanticodec
        env["PYTHONPATH"] = args.official_path + os.pathsep + repo_root
    else:
        env["PYTHONPATH"] = repo_root + os.pathsep + env.get("PYTHONPATH", "")
    if args.threads:
        env["OMP_NUM_THREADS"] = str(args.threads)
    # Run by path from a neutral folder: the official worker must not see our semanticodec package first.
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, "--rates", str(rate),
               "--steps", args.steps, "--fast-steps", args.fast_steps, "--duration-s", str(args.duration_s),
               "--encode-calls", str(args.encode_calls)]
    if args.encode_only:
        command.append("--encode-only")
    if args.checkpoint_dir:
        command += ["--checkpoint-dir", str(Path(args.checkpoint_dir).resolve())]
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=tempfile.gettempdir(), check=False)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _int_list(text: str) -> list[int]:
    return sorted({int(item) for item in text.split(",") if item.strip()})


def _write(path: str, document: dict) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(document, indent=2))


def _compare_settings(args: argparse.Namespace, rates: list[int], parser: argparse.ArgumentParser) -> int:
    from tools.speed import semanticodec_settings

    specs = semanticodec_settings.DEFAULT_SETTINGS if args.compare_settings == "default" else args.compare_settings
    try:
        settings = semanticodec_settings.parse_settings(specs)
    except ValueError as exc:
        parser.error(f"--compare-settings: {exc}")
    checkpoint_dir = str(Path(args.checkpoint_dir).resolve()) if args.checkpoint_dir else None
    if checkpoint_dir:
        for rate in rates:
            write_random_checkpoints(Path(checkpoint_dir), rate)
    document = semanticodec_settings.compare(
        rates, settings, duration_s=args.duration_s, encode_calls=args.encode_calls, threads=args.threads,
        checkpoint_dir=checkpoint_dir, seed_floor=args.seed_floor, timeout_s=args.setting_timeout_s)
    if args.out:
        _write(args.out, {"note": args.note, "cpu_count": os.cpu_count(), **document})
    return 0


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
    parser.add_argument("--encode-only", action="store_true", help="time encoding only (no decoder built)")
    parser.add_argument("--repeats", type=int, default=1, help="worker processes per side and rate, alternated")
    parser.add_argument("--encode-calls", type=int, default=1, help="timed encode calls after the first, per run")
    parser.add_argument("--checkpoint-dir", default=None,
                        help="build ours from checkpoint files here (random full-size files are written if missing)")
    parser.add_argument("--note", default="", help="free text stored with the results (e.g. machine load)")
    parser.add_argument("--compare-settings", nargs="?", const="default", default=None, metavar="SPECS",
                        help="time our fast settings against the first one instead (dtype:sampler:steps, "
                             "comma-separated; default: float32 DDIM-50 vs bfloat16 and DPM-Solver++ 10/20)")
    parser.add_argument("--seed-floor", action="store_true",
                        help="with --compare-settings: also run the reference with another seed, as a yardstick")
    parser.add_argument("--setting-timeout-s", type=float, default=0,
                        help="with --compare-settings: stop a setting's process after this long (0: no limit)")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    steps, fast_steps = _int_list(args.steps), _int_list(args.fast_steps)
    if args.encode_only:
        steps, fast_steps = [], []
    if any(count < 2 for count in steps):
        parser.error("--steps: the official DDIM sampler fails below 2 steps")
    rates = [int(r) for r in args.rates.split(",")]
    options = {"encode_calls": args.encode_calls, "checkpoint_dir": args.checkpoint_dir}

    if args.worker:
        print(json.dumps(WORKERS[args.worker](rates[0], steps, fast_steps, args.duration_s, options)))
        return 0
    if args.compare_settings:
        return _compare_settings(args, rates, parser)
    if args.checkpoint_dir:
        for rate in rates:
            write_random_checkpoints(Path(args.checkpoint_dir), rate)

    rows = []
    print(f"weights: random (TEST ONLY) at full size; DDIM eta {ETA}, guidance {GUIDANCE}, CPU, one clip of "
          f"{args.duration_s:g} s", flush=True)
    print(f"{'rate':>4} {'impl':>8} {'enc s':>6} {'enc RTF':>7} {'peak GB':>7}  decode s (RTF)", flush=True)
    for rate in rates:
        for repeat in range(max(args.repeats, 1)):
            kinds = ["ours"] + (["official"] if args.official_path else [])
            for kind in kinds if repeat % 2 == 0 else kinds[::-1]:
                load_before = os.getloadavg()[0]
                summary = real_time_factors(_run_worker(kind, rate, args), args.duration_s)
                summary.update(rate=rate, impl=kind, duration_s=args.duration_s, weights="random (TEST ONLY)",
                               repeat=repeat, loadavg_1min_before=load_before, loadavg_1min_after=os.getloadavg()[0],
                               built_from="checkpoint files" if kind == "ours" and args.checkpoint_dir else "memory")
                rows.append(summary)
                if "error" in summary:
                    print(f"{rate:>4} {kind:>8} error: {summary['error']}", flush=True)
                    continue
                decodes = "  ".join(f"{name} {seconds:.1f} ({summary['decode_rtf'][name]:.2f})"
                                    for name, seconds in summary["decode_s"].items())
                print(f"{rate:>4} {kind:>8} {summary['encode_s']:>6.2f} {summary['encode_rtf']:>7.2f} "
                      f"{summary['peak_rss_gb']:>7.2f}  {decodes}", flush=True)
    speedup_rows = speedups(rows)
    medians = encode_medians(rows)
    for item in medians:
        sides = "  ".join(f"{impl} median {item[impl]['median_encode_s']:.2f} s over {item[impl]['runs']} runs"
                          for impl in ("ours", "official") if impl in item)
        print(f"rate {item['rate']} encode: {sides}", flush=True)
    for item in speedup_rows:
        print(f"rate {item['rate']}: official {item['official']} / ours {item['ours']} = {item['speedup']:.2f}x",
              flush=True)
    if args.out:
        _write(args.out, {"note": args.note, "cpu_count": os.cpu_count(), "runs": rows, "speedups": speedup_rows,
                          "encode_medians": medians})
    return 0


if __name__ == "__main__":
    sys.exit(main())
