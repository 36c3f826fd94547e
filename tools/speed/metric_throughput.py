"""Seconds per clip of every registered metric on this machine.

Each metric is built once, called once on one clip (model loading, JIT compilation: reported as
``first_call_s``), then timed on `--clips` further clips through `score_batch` (``seconds_per_clip``,
and ``rtf`` = seconds per second of audio). Metrics whose cost depends on the domain (ViSQOL: speech
mode vs audio mode at 48 kHz) get one row per domain. Usage::

    python -m tools.speed.metric_throughput [--metrics all] [--clips 5] [--duration-s 10]
        [--audio-dir DIR --system NAME] [--out results/metric_throughput.csv]

Audio: by default a synthetic speech-like test signal (flite speech when the `flite` program is
installed, else a harmonic tone with a syllable-rate envelope) and a degraded copy (low-passed, with
noise). With `--audio-dir`, reference clips come from ``DIR/groundtruth`` and estimates from
``DIR/<system>`` (the demo-page layout). Writes the CSV (appending rows of earlier runs is not done:
the file is replaced) and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import butter, sosfilt

from benchmarks.datasets.base import Clip
from benchmarks.metrics.base import Metric, ScoreItem
from benchmarks.metrics.registry import build_metric, expand_metric_names

SAMPLE_RATE = 16_000
_TEXT = (
    "Please call Stella and ask her to bring these things with her from the store. "
    "Six spoons of fresh snow peas, five thick slabs of blue cheese, and maybe a snack for her brother."
)


def _speech_like(duration_s: float, seed: int) -> np.ndarray:
    """float32 ndarray[T] at 16 kHz: flite speech if available, else a harmonic tone with an envelope."""
    n = int(duration_s * SAMPLE_RATE)
    if shutil.which("flite"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "tts.wav"
            voice = ("slt", "rms", "awb", "kal16")[seed % 4]
            subprocess.run(["flite", "-voice", voice, "-t", _TEXT, "-o", str(path)], check=True,
                           capture_output=True)
            audio, rate = sf.read(path, dtype="float32")
        if rate == SAMPLE_RATE:
            return np.resize(audio, n).astype(np.float32)
    rng = np.random.default_rng(seed)
    t = np.arange(n) / SAMPLE_RATE
    f0 = 120 + 40 * seed
    x = sum(np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 2 * np.pi)) / k for k in range(1, 20))
    x = x * (0.5 + 0.5 * np.sin(2 * np.pi * 4.0 * t)) + 0.01 * rng.standard_normal(n)
    return (0.3 * x / np.max(np.abs(x))).astype(np.float32)


def _degrade(x: np.ndarray, seed: int) -> np.ndarray:
    sos = butter(6, 3500, btype="low", fs=SAMPLE_RATE, output="sos")
    noise = np.random.default_rng(seed + 100).standard_normal(x.size) * 0.003
    return (sosfilt(sos, x) + noise).astype(np.float32)


def _items(count: int, duration_s: float, domain: str, audio_dir: Path | None, system: str) -> list[ScoreItem]:
    items = []
    if audio_dir is not None:
        refs = sorted((audio_dir / "groundtruth").glob("libritts_*.*"))
        for path in refs[:count]:
            ref, rate = sf.read(str(path), dtype="float32")
            est_path = next((audio_dir / system).glob(f"{path.stem}.*"))
            est, _ = sf.read(str(est_path), dtype="float32")
            n = min(ref.size, est.size)
            clip = Clip(clip_id=path.stem, path=str(path), domain=domain, dataset="throughput", transcript=_TEXT)
            items.append(ScoreItem(ref[:n], est[:n], rate, clip))
        if len(items) < count:
            raise SystemExit(f"{audio_dir}: only {len(items)} clips with estimates in {system}/")
        return items
    for i in range(count):
        ref = _speech_like(duration_s, i)
        clip = Clip(clip_id=f"synthetic-{i}", path="", domain=domain, dataset="throughput", transcript=_TEXT)
        items.append(ScoreItem(ref, _degrade(ref, i), SAMPLE_RATE, clip))
    return items


def _domains(name: str, metric: Metric) -> list[str]:
    if name == "visqol":  # speech mode and audio mode at 48 kHz cost differently
        return ["speech", "music"]
    return ["speech" if "speech" in metric.domains else metric.domains[0]]


def measure(name: str, clips: int, duration_s: float, audio_dir: Path | None, system: str) -> list[dict]:
    rows = []
    start = time.perf_counter()
    kwargs = {}
    if name.startswith("wer"):  # time transcription itself: an empty transcript cache per run
        kwargs["cache_dir"] = tempfile.mkdtemp(prefix="throughput-transcripts-")
    try:
        metric = build_metric(name, **kwargs)
    except Exception as exc:  # noqa: BLE001 - an unavailable metric is reported, not fatal
        # the home folder as ~: the file is committed, and this machine's paths are nobody else's
        reason = str(exc).splitlines()[0].replace(str(Path.home()), "~")
        return [{"metric": name, "domain": "", "status": f"unavailable: {reason}"}]
    build_s = time.perf_counter() - start
    for domain in _domains(name, metric):
        items = _items(clips + 1, duration_s, domain, audio_dir, system)
        start = time.perf_counter()
        first = metric.score_batch(items[:1])
        first_s = time.perf_counter() - start
        start = time.perf_counter()
        results = metric.score_batch(items[1:])
        total_s = time.perf_counter() - start
        failures = [r for r in [*first, *results] if isinstance(r, BaseException)]
        audio_s = sum(it.reference.size / it.sample_rate for it in items[1:])
        rows.append({
            "metric": name, "domain": domain, "outputs": ";".join(o.name for o in metric.outputs),
            "clips": len(items) - 1, "clip_duration_s": round(audio_s / max(1, len(items) - 1), 2),
            "build_s": round(build_s, 2), "first_call_s": round(first_s, 2),
            "seconds_per_clip": round(total_s / max(1, len(items) - 1), 5),
            "rtf": round(total_s / audio_s, 5) if audio_s else "",
            "status": "ok" if not failures else f"{len(failures)} failed: {failures[0]}",
            "fingerprint": metric.fingerprint(domain),
        })
    return rows


def _machine() -> dict[str, str]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return {
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_avg_1m": f"{load[0]:.2f}",
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
    }


def markdown(rows: list[dict]) -> str:
    head = "| metric | domain | s / clip | RTF | first call (s) | clips × s | status |"
    lines = [head, "|---|---|---|---|---|---|---|"]
    for r in rows:
        if "seconds_per_clip" not in r:
            lines.append(f"| {r['metric']} | | | | | | {r['status']} |")
            continue
        lines.append(f"| {r['metric']} | {r['domain']} | {r['seconds_per_clip']:.3f} | {r['rtf']} | "
                     f"{r['first_call_s']:.2f} | {r['clips']} × {r['clip_duration_s']} | {r['status'][:60]} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--metrics", default="all", help="'all' or a comma list of registered metric names")
    parser.add_argument("--clips", type=int, default=5, help="timed clips per metric (after one warm-up clip)")
    parser.add_argument("--duration-s", type=float, default=10.0, help="length of synthetic clips")
    parser.add_argument("--audio-dir", type=Path, default=None, help="demo-layout folder (groundtruth/ + systems)")
    parser.add_argument("--system", default="encodec_24k_1_5kbps", help="estimate folder inside --audio-dir")
    parser.add_argument("--out", type=Path, default=Path("results/metric_throughput.csv"))
    args = parser.parse_args(argv)
    try:
        names = expand_metric_names(args.metrics)
    except KeyError as exc:
        parser.error(f"--metrics: {exc.args[0]}")

    rows: list[dict] = []
    for name in names:
        for row in measure(name, args.clips, args.duration_s, args.audio_dir, args.system):
            row.update(_machine())
            rows.append(row)
            print(f"{row['metric']:20s} {row.get('domain', ''):7s} {row.get('seconds_per_clip', '')} s/clip  "
                  f"{row['status']}", file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fields = ["metric", "domain", "outputs", "clips", "clip_duration_s", "build_s", "first_call_s",
              "seconds_per_clip", "rtf", "status", "fingerprint", "machine", "load_avg_1m", "date_utc"]
    with open(args.out, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    machine = _machine()
    print(f"Metric throughput on {machine['machine']} (1-min load average {machine['load_avg_1m']}, "
          f"{machine['date_utc']} UTC)\n")
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
