"""Speed and memory of SemantiCodec: this implementation vs the official inference code.

    python -m benchmarks.speed_semanticodec [--rates 100,50,25] [--steps 50] [--fast-steps 10,20]
        [--duration-s 10] [--official-path <official repo>:<its deps>]
        [--threads N] [--out results/speed.json]
        [--encode-only] [--repeats N] [--encode-calls N] [--checkpoint-dir DIR]

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
def _encode_timings(encode, calls: int) -> dict:
    """First call alone, then `calls` more; encode_s is their median (wall clock), encode_cpu_s the
    median process CPU time, which with one thread is work done, little affected by other jobs."""
    import statistics

    tokens, first_s = _timed(encode)
    times, cpu_times = [], []
    for _ in range(max(calls, 1)):
        cpu_start = time.process_time()
        times.append(_timed(encode)[1])
        cpu_times.append(time.process_time() - cpu_start)
    return {"tokens_out": tokens, "encode_first_s": first_s, "encode_calls_s": times,
            "encode_s": statistics.median(times), "encode_cpu_calls_s": cpu_times,
            "encode_cpu_s": statistics.median(cpu_times)}


def write_random_checkpoints(root: Path, rate: int) -> Path:
    """Full-size RANDOM-weight files in the official layout under `root` (speed only); -> token-rate folder."""
    import json

    import numpy as np
    import torch

    from semanticodec.checkpoints import repository_files
    from semanticodec.config import encoder_config
    from semanticodec.encoder import SemantiCodecEncoder

    folder = root / f"semanticodec_tokenrate_{rate}"
    npy = root / repository_files(rate, VOCAB)["semantic_codebook"]
    if (folder / "decoder.ckpt").is_file() and npy.is_file():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    generator = torch.Generator().manual_seed(0)
    config = encoder_config(rate, VOCAB)
    with torch.device("meta"):
        encoder = SemantiCodecEncoder(config)
    state = {k: torch.randn(v.shape, generator=generator) * 0.02 for k, v in encoder.state_dict().items()}
    torch.save(state, folder / "encoder.ckpt")
    del state
    keys = Path(__file__).resolve().parents[1] / "tests" / "semanticodec" / "data" / "decoder_official_keys.json"
    shapes = json.loads(keys.read_text())["keys"][str(rate)]
    state = {k: torch.randn(tuple(s), generator=generator) * 0.02 for k, s in shapes.items()}
    state["scale_factor"] = torch.tensor(1.0)
    torch.save(state, folder / "decoder.ckpt")
    del state
    npy.parent.mkdir(parents=True, exist_ok=True)
    np.save(npy, np.random.default_rng(0).standard_normal((VOCAB, config.feature_dim), dtype=np.float32))
    return folder


def worker_ours(rate: int, steps: list[int], fast_steps: list[int], duration_s: float, options: dict) -> dict:
    import torch

    from semanticodec import SemantiCodec

    settings = {"device": "cpu", "cfg_scale": GUIDANCE, "eta": ETA, "load_decoder": bool(steps or fast_steps)}
    if options.get("checkpoint_dir"):
        folder = Path(options["checkpoint_dir"]) / f"semanticodec_tokenrate_{rate}"
        model, build_s = _timed(lambda: SemantiCodec(rate, VOCAB, checkpoint_path=folder, download=False, **settings))
    else:
        model, build_s = _timed(lambda: SemantiCodec.random(rate, VOCAB, **settings))
    audio = _signal(duration_s)
    timings = _encode_timings(lambda: model.encode(audio), options.get("encode_calls", 1))
    tokens = timings.pop("tokens_out")
    result = {"build_s": build_s, **timings, "tokens": list(tokens.shape), "torch_threads": torch.get_num_threads()}
    if not (steps or fast_steps):
        return {**result, "decode_s": {}, "peak_rss_gb": _peak_rss_gb()}
    model.decode_waveform(tokens, seed=0, steps=2)  # warm-up (one-time kernel setup), not timed
    decode_s = {}
    for count in steps:
        _, decode_s[f"ddim{count}"] = _timed(lambda n=count: model.decode_waveform(tokens, seed=0, steps=n))
    for count in fast_steps:
        _, decode_s[f"dpmpp_2m{count}"] = _timed(
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
            if steps:
                model.decoder = instantiate_from_config(config["model"]).eval()
            return model

        model, build_s = _timed(build)
        with torch.no_grad():
            timings = _encode_timings(lambda: model.encode(wav), options.get("encode_calls", 1))
            tokens = timings.pop("tokens_out")
            if not steps:
                return {"build_s": build_s, **timings, "decode_s": {}, "tokens": list(tokens.shape),
                        "peak_rss_gb": _peak_rss_gb(), "torch_threads": torch.get_num_threads()}
            model.ddim_sample_step = 2  # the official sampler fails at 1 step
            model.decode(tokens)  # warm-up, not timed (as for ours)
            decode_s = {}
            for count in steps:
                model.ddim_sample_step = count
                _, decode_s[f"ddim{count}"] = _timed(lambda: model.decode(tokens))
    return {"build_s": build_s, **timings, "decode_s": decode_s, "tokens": list(tokens.shape),
            "peak_rss_gb": _peak_rss_gb(), "torch_threads": torch.get_num_threads()}


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


def _summarise(result: dict, duration_s: float) -> dict:
    if "error" in result:
        return result
    return {
        **result,
        "encode_rtf": result["encode_s"] / duration_s,
        "decode_rtf": {name: seconds / duration_s for name, seconds in result["decode_s"].items()},
    }


def _encode_medians(rows: list[dict]) -> list[dict]:
    """Per rate and side: the median over runs of each run's encode_s; official / ours as `ratio`."""
    import statistics

    out = []
    for rate in sorted({row["rate"] for row in rows}, reverse=True):
        medians = {}
        for impl in ("ours", "official"):
            done = [r for r in rows if r["rate"] == rate and r["impl"] == impl and "error" not in r]
            if done:
                times = [r["encode_s"] for r in done]
                medians[impl] = {"runs": len(times), "median_encode_s": statistics.median(times), "encode_s": times}
                if all("encode_cpu_s" in r for r in done):
                    cpu = [r["encode_cpu_s"] for r in done]
                    medians[impl].update(median_encode_cpu_s=statistics.median(cpu), encode_cpu_s=cpu)
        entry = {"rate": rate, **medians}
        if len(medians) == 2:
            entry["official_over_ours"] = medians["official"]["median_encode_s"] / medians["ours"]["median_encode_s"]
            if "median_encode_cpu_s" in medians["ours"] and "median_encode_cpu_s" in medians["official"]:
                entry["official_over_ours_cpu"] = (medians["official"]["median_encode_cpu_s"]
                                                   / medians["ours"]["median_encode_cpu_s"])
        out.append(entry)
    return out


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
    parser.add_argument("--encode-only", action="store_true", help="time encoding only (no decoder built)")
    parser.add_argument("--repeats", type=int, default=1, help="worker processes per side and rate, alternated")
    parser.add_argument("--encode-calls", type=int, default=1, help="timed encode calls after the first, per run")
    parser.add_argument("--checkpoint-dir", default=None,
                        help="build ours from checkpoint files here (random full-size files are written if missing)")
    parser.add_argument("--note", default="", help="free text stored with the results (e.g. machine load)")
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
                summary = _summarise(_run_worker(kind, rate, args), args.duration_s)
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
    speedups = _speedups(rows)
    medians = _encode_medians(rows)
    for item in medians:
        sides = "  ".join(f"{impl} median {item[impl]['median_encode_s']:.2f} s over {item[impl]['runs']} runs"
                          for impl in ("ours", "official") if impl in item)
        print(f"rate {item['rate']} encode: {sides}", flush=True)
    for item in speedups:
        print(f"rate {item['rate']}: official {item['official']} / ours {item['ours']} = {item['speedup']:.2f}x",
              flush=True)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        document = {"note": args.note, "cpu_count": os.cpu_count(), "runs": rows, "speedups": speedups,
                    "encode_medians": medians}
        Path(args.out).write_text(json.dumps(document, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
