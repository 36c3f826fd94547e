"""Command line: ``python -m benchmarks.cost <run folder> [--speech-clips 300 ...]``: measured cost per clip,
extrapolated to the paper's full evaluation.

Reads the time of every unit a run computed (``reconstructions.seconds`` for units computed, not read
from the cache; ``scores.seconds``, one value per metric and clip) from ``<run folder>/store.sqlite``,
turns it into seconds of compute per second of audio (so clips of other lengths extrapolate), and
prints, per codec configuration and per metric, the measured cost and the hours the paper's
evaluation set would take: 300 LibriTTS clips of 8-10 s (speech, about 9 s each), 500 AudioSet and
250 MUSDB18 clips of 10 s, each reconstructed by every system and scored by every metric that applies
to its domain. Hours are in the units the run was measured in: CPU-hours per worker process (its
torch threads included) when run on a CPU, GPU-hours with ``device=cuda``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sqlite3
import sys
from pathlib import Path

import pandas as pd

__all__ = ["PAPER_SET", "EvaluationSet", "cost_table", "main"]


@dataclasses.dataclass(frozen=True)
class EvaluationSet:
    """Clips per domain and their mean duration (s); `systems`: codec configurations evaluated."""

    clips: dict[str, int]
    mean_duration_s: dict[str, float]
    systems: int

    def audio_s(self, domains: set[str] | None = None) -> float:
        return sum(n * self.mean_duration_s[d] for d, n in self.clips.items() if domains is None or d in domains)


#: The paper's reconstruction set (Section IV-A): 1050 clips, 12 systems (Table II).
PAPER_SET = EvaluationSet({"speech": 300, "sound": 500, "music": 250}, {"speech": 9.0, "sound": 10.0, "music": 10.0}, 12)


def _read(db: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        recons = pd.read_sql_query(
            "SELECT codec, clip_id, dataset, domain, duration_s, seconds FROM reconstructions "
            "WHERE status = 'ok' AND source = 'computed' AND seconds IS NOT NULL", con)
        scores = pd.read_sql_query(
            "SELECT s.codec, s.clip_id, s.dataset, s.metric, MAX(s.seconds) AS seconds, r.domain, r.duration_s "
            "FROM scores s JOIN reconstructions r USING (codec, dataset, clip_id, codec_fingerprint, clip_fingerprint) "
            "WHERE s.seconds IS NOT NULL AND s.failed = 0 GROUP BY s.codec, s.dataset, s.clip_id, s.metric, "
            "s.codec_fingerprint, s.clip_fingerprint, s.fingerprint", con)
    return recons, scores


def _metric_domains(name: str) -> set[str] | None:
    """Domains metric `name` applies to (its class's `domains`), or None when it is not a registered metric."""
    from benchmarks.metrics import registry

    try:
        registry.expand_metric_names([name])
        from baselines.name_lookup import import_target

        return set(import_target(registry._METRICS[name][0]).domains)  # noqa: SLF001 - class only, not built
    except Exception:  # noqa: BLE001 - unknown or unimportable: fall back to the domains measured
        return None


def cost_table(db: Path, target: EvaluationSet = PAPER_SET) -> pd.DataFrame:
    """One row per codec (stage ``reconstruct``) and per metric (stage ``score``).

    Columns: stage, name, clips measured, s_per_clip (mean), s_per_audio_s, domains, hours (the
    extrapolation to `target`: a codec's reconstructions of every clip; a metric's scores of every clip
    of the domains it applies to, for every one of ``target.systems`` systems). `domains` lists the
    domains measured.
    """
    recons, scores = _read(Path(db))
    rows = []
    for stage, frame, key in (("reconstruct", recons, "codec"), ("score", scores, "metric")):
        for name, group in frame.groupby(key, sort=False):
            group = group[group["duration_s"] > 0]
            if group.empty:
                continue
            per_audio_s = float(group["seconds"].sum() / group["duration_s"].sum())
            domains = (_metric_domains(str(name)) or set(group["domain"])) if stage == "score" else None
            audio_s = target.audio_s(domains) * (target.systems if stage == "score" else 1)
            rows.append({
                "stage": stage, "name": name, "clips": len(group), "s_per_clip": float(group["seconds"].mean()),
                "s_per_audio_s": per_audio_s, "domains": ",".join(sorted(set(group["domain"]))),
                "hours": per_audio_s * audio_s / 3600.0,
            })
    return pd.DataFrame(rows, columns=["stage", "name", "clips", "s_per_clip", "s_per_audio_s", "domains", "hours"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cost", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", type=Path, help="run folder holding store.sqlite")
    for domain, count in PAPER_SET.clips.items():
        parser.add_argument(f"--{domain}-clips", type=int, default=count, help=f"clips of {domain} (default {count})")
    parser.add_argument("--systems", type=int, default=PAPER_SET.systems, help="systems scored (default 12)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    db = args.run_dir / "store.sqlite"
    if not db.is_file():
        print(f"error: {db}: no result store here", file=sys.stderr)
        return 2
    target = EvaluationSet({d: getattr(args, f"{d}_clips") for d in PAPER_SET.clips}, PAPER_SET.mean_duration_s,
                           args.systems)
    table = cost_table(db, target)
    if table.empty:
        print(f"error: {db}: no timed unit (runs before timing was recorded, or everything came from the cache)",
              file=sys.stderr)
        return 1
    total_clips = sum(target.clips.values())
    print(f"cost measured in {db}; extrapolated to {total_clips} clips ({target.audio_s() / 3600:.2f} h of audio), "
          f"{target.systems} systems\n")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    recon = table[table["stage"] == "reconstruct"]
    score = table[table["stage"] == "score"]
    print(f"\nreconstruction, the {len(recon)} codecs measured: {recon['hours'].sum():.2f} h; scoring, "
          f"{len(score)} metrics x {target.systems} systems: {score['hours'].sum():.2f} h")
    return 0


if __name__ == "__main__":
    sys.exit(main())
