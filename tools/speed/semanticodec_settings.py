"""SemantiCodec fast settings (dtype, sampler, steps) against a reference setting: speed, memory, deviation.

Driven by ``python -m tools.speed.speed_semanticodec --compare-settings [SPECS]`` (see its docstring).
Each setting runs in its own process (``python -m tools.speed.semanticodec_settings --worker JSON``,
started from the repository root) so its peak memory is its own; the first setting is the reference:
it writes its tokens, every setting decodes those tokens with the same seed and writes its waveform,
and the driver compares each waveform with the reference's.

bfloat16 on a CPU without native bfloat16 instructions is slow, not fast: PyTorch runs its 2-D
convolutions through the generic ATen kernels (``slow_conv2d``); on a 2-core AMD EPYC without
avx512_bf16 the tiny test model's VAE decoder took 555 s in bfloat16 against 4 s in float32. Give such
runs a `--setting-timeout-s`; a setting that runs out of time is reported as an error row.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.speed_stats import compare_to_reference, encode_timings, output_deviation, timed

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_RATE = 16_000
#: float32 DDIM-50 (the official setting, the reference) first.
DEFAULT_SETTINGS = ("float32:ddim:50,bfloat16:ddim:50,float32:dpmpp_2m:10,float32:dpmpp_2m:20,"
                    "bfloat16:dpmpp_2m:10,bfloat16:dpmpp_2m:20")
DTYPES = ("float32", "bfloat16", "float16")


@dataclasses.dataclass(frozen=True)
class Setting:
    dtype: str
    sampler: str
    steps: int
    seed: int = 0

    @property
    def name(self) -> str:
        seed = f" seed {self.seed}" if self.seed else ""
        return f"{self.dtype} {self.sampler}-{self.steps}{seed}"

    @property
    def file_stem(self) -> str:
        return f"{self.dtype}_{self.sampler}_{self.steps}_seed{self.seed}"


def parse_settings(text: str) -> list[Setting]:
    """``dtype:sampler:steps`` items, comma-separated -> settings; ValueError names a bad item."""
    from semanticodec.decoder import SAMPLERS

    settings = []
    for item in (part.strip() for part in text.split(",")):
        fields = item.split(":")
        if len(fields) != 3 or not fields[2].isdigit() or int(fields[2]) < 1:
            raise ValueError(f"setting {item!r}: expected dtype:sampler:steps, e.g. bfloat16:dpmpp_2m:10")
        dtype, sampler, steps = fields[0], fields[1], int(fields[2])
        if dtype not in DTYPES:
            raise ValueError(f"setting {item!r}: dtype must be one of {', '.join(DTYPES)}")
        if sampler not in SAMPLERS:
            raise ValueError(f"setting {item!r}: sampler must be one of {', '.join(sorted(SAMPLERS))}")
        settings.append(Setting(dtype, sampler, steps))
    if len(set(settings)) != len(settings):
        raise ValueError("a setting is listed twice")
    return settings


# -- worker (its own process) -------------------------------------------------------------------
def _worker(job: dict) -> dict:
    import numpy as np
    import torch

    from semanticodec import SemantiCodec
    from tools.speed.speed_semanticodec import ETA, GUIDANCE, VOCAB, _signal

    setting = Setting(**job["setting"])
    work = Path(job["work_dir"])
    options = {"device": "cpu", "cfg_scale": GUIDANCE, "eta": ETA, "dtype": getattr(torch, setting.dtype)}
    rate = job["rate"]
    if job.get("checkpoint_dir"):
        folder = Path(job["checkpoint_dir"]) / f"semanticodec_tokenrate_{rate}"
        model, build_s = timed(lambda: SemantiCodec(rate, VOCAB, checkpoint_path=folder, download=False, **options))
    else:
        model, build_s = timed(lambda: SemantiCodec.random(rate, VOCAB, **options))
    timings = encode_timings(lambda: model.encode(_signal(job["duration_s"])), job["encode_calls"])
    tokens = timings.pop("tokens_out")
    reference_tokens = work / "reference_tokens.npy"
    if job["is_reference"]:
        np.save(reference_tokens, tokens.numpy())
    reference = torch.from_numpy(np.load(reference_tokens))
    same_shape = tuple(reference.shape) == tuple(tokens.shape)
    agreement = float((reference == tokens).float().mean()) if same_shape else 0.0
    model.decode_waveform(reference, seed=setting.seed, steps=2, sampler=setting.sampler)  # warm-up, not timed
    waveform, decode_s = timed(lambda: model.decode_waveform(reference, seed=setting.seed, steps=setting.steps,
                                                             sampler=setting.sampler))
    np.save(work / f"{setting.file_stem}.npy", waveform[0].float().numpy())
    return {"build_s": build_s, **timings, "decode_s": decode_s, "token_agreement": agreement,
            "tokens": list(tokens.shape), "torch_threads": torch.get_num_threads(),
            "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2}


# -- driver ---------------------------------------------------------------------------------
def _run(job: dict, threads: int, timeout_s: float) -> dict:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    command = [sys.executable, "-m", "tools.speed.semanticodec_settings", "--worker", json.dumps(job)]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=REPO_ROOT, check=False,
                              timeout=timeout_s or None)
    except subprocess.TimeoutExpired:
        return {"error": f"stopped after {timeout_s:g} s (--setting-timeout-s)"}
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _deviations(rows: list[dict], work: Path, reference: Setting) -> None:
    """Adds each row's deviation from the reference waveform (in place)."""
    import numpy as np

    reference_wave = np.load(work / f"{reference.file_stem}.npy")
    for row in rows:
        if "error" in row or row["setting"] == reference.name:
            continue
        row.update(output_deviation(reference_wave, np.load(work / f"{row['file_stem']}.npy"), SAMPLE_RATE))


def _print_table(rate: int, rows: list[dict], relative: list[dict]) -> None:
    ratios = {item["setting"]: item for item in relative}
    print(f"rate {rate}: {'setting':<26} {'enc s':>6} {'dec s':>7} {'speed-up':>8} {'peak GB':>7} "
          f"{'mem':>5} {'SNR dB':>7} {'mel dB':>7} {'tokens =':>8}", flush=True)
    for row in rows:
        if "error" in row:
            print(f"rate {rate}: {row['setting']:<26} error: {row['error']}", flush=True)
            continue
        ratio = ratios.get(row["setting"], {})
        snr, mel = row.get("snr_db", math.nan), row.get("mel_distance_db", math.nan)
        print(f"rate {rate}: {row['setting']:<26} {row['encode_s']:>6.2f} {row['decode_s']:>7.1f} "
              f"{ratio.get('decode_speedup', math.nan):>7.2f}x {row['peak_rss_gb']:>7.2f} "
              f"{ratio.get('peak_rss_ratio', math.nan):>5.2f} {snr:>7.2f} {mel:>7.2f} {row['token_agreement']:>8.3f}",
              flush=True)


def compare(rates: list[int], settings: list[Setting], *, duration_s: float, encode_calls: int, threads: int,
            checkpoint_dir: str | None, seed_floor: bool, timeout_s: float = 0) -> dict:
    """Runs every setting per rate; -> {"runs": rows, "relative": per-setting ratios} (see module doc)."""
    reference = settings[0]
    if seed_floor:
        settings = [*settings, dataclasses.replace(reference, seed=1)]
    rows: list[dict] = []
    relative: list[dict] = []
    print(f"weights: random (TEST ONLY) at full size; guidance 2.0, DDIM eta 1.0, CPU, one clip of {duration_s:g} s; "
          f"reference {reference.name}", flush=True)
    for rate in rates:
        with tempfile.TemporaryDirectory(prefix="semanticodec-settings-") as tmp:
            rate_rows = []
            for setting in settings:
                job = {"rate": rate, "setting": dataclasses.asdict(setting), "work_dir": tmp, "duration_s": duration_s,
                       "encode_calls": encode_calls, "checkpoint_dir": checkpoint_dir,
                       "is_reference": setting == reference}
                load_before = os.getloadavg()[0]
                row = _run(job, threads, timeout_s)
                if setting == reference and "error" in row:
                    raise SystemExit(f"rate {rate}: the reference setting {reference.name} failed: {row['error']}")
                row.update(rate=rate, setting=setting.name, file_stem=setting.file_stem, **dataclasses.asdict(setting),
                           duration_s=duration_s, weights="random (TEST ONLY)", loadavg_1min_before=load_before,
                           loadavg_1min_after=os.getloadavg()[0])
                rate_rows.append(row)
            _deviations(rate_rows, Path(tmp), reference)
        ratios = compare_to_reference(rate_rows, reference.name)
        _print_table(rate, rate_rows, ratios)
        rows.extend(rate_rows)
        relative.extend({"rate": rate, **item} for item in ratios)
    return {"reference": reference.name, "runs": rows, "relative": relative}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worker", required=True, help="a job as JSON (started by the speed tool)")
    job = json.loads(parser.parse_args(argv).worker)
    print(json.dumps(_worker(job)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
