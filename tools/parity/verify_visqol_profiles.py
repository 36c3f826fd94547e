"""Check the ViSQOL profiles against the paper's Table II on the SemantiCodec demo-page clips.

The demo page ships the 30 LibriTTS clips of the paper's MUSHRA subset with the reconstructions of 11
systems made by the paper's authors. Each system is scored under three ViSQOL settings:

- ``paper``: speech mode, exponential mapping, 16 kHz (the `visqol_paper` metric);
- ``standard``: speech mode, lattice mapping, 16 kHz (the `visqol` metric on speech);
- ``audio48k``: audio mode at 48 kHz (what the paper's text says it used for sound and music; the
  `visqol` metric on those domains), applied here to the speech clips to show its scale.

and the per-system means are compared with Table II's speech ViSQOL column (the paper scored 300 clips,
the demo has 30 peak-normalised ones, so agreement within 0.1 MOS is what is expected of the right
setting). Usage::

    python -m tools.parity.verify_visqol_profiles DEMO_DIR [--out results/visqol_profiles_demo]
        [--settings paper,standard,audio48k] [--systems a,b] [--limit N] [--tolerance 0.1]

Writes ``<out>.csv`` (one row per system and setting), ``<out>_clips.csv`` (every clip score) and
``<out>.md`` (a table), and prints the table. Exit status 1 when a `paper` mean misses Table II by more
than the tolerance.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from benchmarks.metrics.base import MetricError
from benchmarks.metrics.visqol import PROFILES, VisqolSetting, score_pair
from benchmarks.paper import paper_row, table2

SETTINGS: dict[str, VisqolSetting] = {
    "paper": PROFILES["paper"]["speech"],
    "standard": PROFILES["standard"]["speech"],
    "audio48k": PROFILES["standard"]["music"],
}
REFERENCE = "groundtruth"
#: Table II prints two decimals: a printed value is the true mean +- 0.005.
ROUNDING = 0.005


def _systems(demo_dir: Path) -> list[dict[str, str]]:
    path = demo_dir / "systems.csv"
    if not path.is_file():
        raise SystemExit(f"{path} not found: DEMO_DIR must hold groundtruth/, one folder per system and systems.csv")
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _read(path: Path) -> tuple[np.ndarray, int]:
    audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return audio.mean(axis=1), int(rate)


def _paper_speech_visqol(system: dict[str, str]) -> float | None:
    if system["system"] == REFERENCE:
        gt = table2()[table2()["system"] == "ground_truth"]
        return float(gt["speech_visqol"].iloc[0]) if not gt.empty else None
    if not system.get("paper_kbps"):
        return None
    row = paper_row(system["codec"], float(system["paper_kbps"]))
    return None if row is None else float(row["speech_visqol"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("demo_dir", type=Path, help="folder with groundtruth/, system folders, systems.csv")
    parser.add_argument("--out", type=Path, default=Path("results/visqol_profiles_demo"))
    parser.add_argument("--settings", default=",".join(SETTINGS), help=f"comma list of {list(SETTINGS)}")
    parser.add_argument("--limit", type=int, default=0, help="score only the first N clips (0 = all)")
    parser.add_argument("--systems", default="", help="comma list of system folders (default: all in systems.csv)")
    parser.add_argument("--tolerance", type=float, default=0.1,
                        help="allowed |paper - Table II| (MOS), plus 0.005 for Table II's 2-decimal rounding")
    args = parser.parse_args(argv)

    names = [s.strip() for s in args.settings.split(",") if s.strip()]
    unknown = [n for n in names if n not in SETTINGS]
    if unknown:
        parser.error(f"unknown settings {unknown}; choose from {list(SETTINGS)}")
    ref_dir = args.demo_dir / REFERENCE
    clips = sorted(p.stem for p in ref_dir.glob("libritts_*.*"))
    if args.limit:
        clips = clips[: args.limit]
    if not clips:
        raise SystemExit(f"no libritts_* clips in {ref_dir}")

    clip_rows, rows = [], []
    wanted = {s.strip() for s in args.systems.split(",") if s.strip()}
    systems = [s for s in _systems(args.demo_dir) if not wanted or s["system"] in wanted]
    if wanted - {s["system"] for s in systems}:
        parser.error(f"systems not in systems.csv: {sorted(wanted - {s['system'] for s in systems})}")
    for system in systems:
        folder = args.demo_dir / system["system"]
        paper = _paper_speech_visqol(system)
        for setting_name in names:
            setting = SETTINGS[setting_name]
            scores, failures, start = [], 0, time.perf_counter()
            for clip in clips:
                ref, rate = _read(next(ref_dir.glob(f"{clip}.*")))
                candidates = list(folder.glob(f"{clip}.*"))
                if not candidates:
                    failures += 1
                    continue
                est, rate_est = _read(candidates[0])
                if rate_est != rate:
                    failures += 1
                    continue
                n = min(ref.size, est.size)
                try:
                    value = score_pair(ref[:n], est[:n], rate, setting, clip)
                except MetricError as exc:
                    failures += 1
                    clip_rows.append({"system": system["system"], "setting": setting_name, "clip": clip, "visqol": "",
                                          "error": str(exc)})
                    continue
                scores.append(value)
                clip_rows.append({"system": system["system"], "setting": setting_name, "clip": clip,
                                      "visqol": f"{value:.4f}", "error": ""})
            mean = float(np.mean(scores)) if scores else float("nan")
            rows.append({
                "system": system["system"], "codec": system["codec"], "paper_kbps": system.get("paper_kbps", ""),
                "setting": setting_name, "mode": setting.mode, "mapping": setting.mapping, "sample_rate": setting.sample_rate,
                "n": len(scores), "failed": failures, "mean": round(mean, 4),
                "table2_speech_visqol": "" if paper is None else paper,
                "delta": "" if paper is None else round(mean - paper, 4),
                "seconds": round(time.perf_counter() - start, 1),
            })
            print(f"{system['system']:28s} {setting_name:9s} mean {mean:.3f}  Table II {paper}", file=sys.stderr)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out.with_suffix(".csv"), "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with open(args.out.parent / f"{args.out.name}_clips.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["system", "setting", "clip", "visqol", "error"])
        writer.writeheader()
        writer.writerows(clip_rows)
    table = _markdown(rows, names, len(clips), args.tolerance)
    args.out.with_suffix(".md").write_text(table)
    print(table)
    limit = args.tolerance + ROUNDING
    misses = [r for r in rows if r["setting"] == "paper" and r["delta"] != "" and abs(float(r["delta"])) > limit]
    return 1 if misses else 0


def _markdown(rows: list[dict], names: list[str], n_clips: int, tolerance: float) -> str:
    from baselines.availability import package_version

    by_system: dict[str, dict[str, dict]] = {}
    for row in rows:
        by_system.setdefault(row["system"], {})[row["setting"]] = row
    head = ["system", "Table II speech"] + [f"{n} ({SETTINGS[n].mode}, {SETTINGS[n].mapping}, "
                                            f"{SETTINGS[n].sample_rate // 1000} kHz)" for n in names]
    if "paper" in names:
        head.append("paper − Table II")
    lines = [
        (f"ViSQOL on the SemantiCodec demo speech clips ({n_clips} LibriTTS clips per system), "
        f"visqol-python {package_version('visqol-python')}; mean MOS-LQO per system."),
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    deltas = []
    for system, settings in by_system.items():
        first = next(iter(settings.values()))
        paper = first["table2_speech_visqol"]
        cells = [system, "" if paper == "" else f"{float(paper):.2f}"]
        cells += [f"{settings[n]['mean']:.2f}" if n in settings else "" for n in names]
        if "paper" in names:
            delta = settings["paper"]["delta"]
            cells.append("" if delta == "" else f"{float(delta):+.2f}")
            if delta != "":
                deltas.append(abs(float(delta)))
        lines.append("| " + " | ".join(cells) + " |")
    from scipy.stats import spearmanr

    for n in names:
        pairs = [(float(r["mean"]), float(r["table2_speech_visqol"])) for r in rows
                 if r["setting"] == n and r["table2_speech_visqol"] != "" and r["system"] != REFERENCE]
        if len(pairs) > 2:
            rho = spearmanr([a for a, _ in pairs], [b for _, b in pairs]).statistic
            ours = [a for a, _ in pairs]
            lines.append(f"\n`{n}`: Spearman ρ with Table II = {rho:.2f} over {len(pairs)} codecs; "
                         f"codec means span {min(ours):.2f}-{max(ours):.2f} (Table II: "
                         f"{min(b for _, b in pairs):.2f}-{max(b for _, b in pairs):.2f}).")
    if deltas:
        within = sum(d <= tolerance + ROUNDING for d in deltas)
        lines += ["", (f"`paper` profile: mean |Δ| = {np.mean(deltas):.3f} MOS, max |Δ| = {max(deltas):.3f}, "
                      f"{within}/{len(deltas)} systems within {tolerance} MOS of Table II "
                      f"(+{ROUNDING} for its 2-decimal rounding); {sum(d <= tolerance for d in deltas)} "
                      f"within {tolerance} without that allowance.")]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
