"""Difficulty check of the offline task set: test accuracy of a logistic regression on each reference
extractor's clip features, with the task's own splits (C chosen on validation accuracy).

``python -m benchmarks.probe.tasks.difficulty [--root DIR] [--extractors logmel,resemblyzer] [--out PREFIX]``

Writes ``PREFIX.csv`` and ``PREFIX.md`` (default ``results/probe_reference_accuracy``). Features are cached
per extractor and task in ``<root>/features/`` (keyed by the clips' audio hashes), so a rerun only fits.
This is a sanity check of task difficulty, not the probe protocol (that one trains the HEAR-style MLP).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from benchmarks.probe.reference import ReferenceError, reference_batch_extractor
from benchmarks.probe.task import ProbeTask, ProbeTaskError
from benchmarks.probe.tasks.offline import load_offline_task, offline_task_names, read_offline_manifest
from benchmarks.probe.tasks.recipes import default_root
from benchmarks.probe.tasks.render import SAMPLE_RATE

__all__ = ["clip_features", "reference_accuracy"]

C_GRID = (0.01, 0.1, 1.0, 10.0)
COLUMNS = (
    "task",
    "mirrors",
    "extractor",
    "classes",
    "chance",
    "n_train",
    "n_valid",
    "n_test",
    "best_C",
    "valid_accuracy",
    "test_accuracy",
    "test_ci95_low",
    "test_ci95_high",
)


def clip_features(task: ProbeTask, extractor: str, cache_dir: Path, audio_sha: dict[str, str]) -> np.ndarray:
    """Features of every clip of `task` (rows in clip order): float32 ndarray[N, D], cached."""
    key = hashlib.sha256(
        "\n".join([extractor, *(audio_sha.get(str(c.path), str(c.path)) for c in task.clips)]).encode()
    ).hexdigest()[:16]
    path = cache_dir / f"{task.name}.{extractor}.{key}.npy"
    if path.is_file():
        return np.load(path)
    extract = reference_batch_extractor(extractor)
    rows = []
    for start in range(0, len(task.clips), 256):
        waveforms = []
        for clip in task.clips[start : start + 256]:
            audio, rate = sf.read(str(clip.path), dtype="float32", always_2d=True)
            if rate != SAMPLE_RATE:
                raise ProbeTaskError(f"{clip.path}: {rate} Hz; the task set is {SAMPLE_RATE} Hz")
            waveforms.append(audio.mean(axis=1))
        rows.append(extract(waveforms, SAMPLE_RATE))
    features = np.concatenate(rows).astype(np.float32)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npy")
    np.save(tmp, features)
    tmp.replace(path)
    return features


def reference_accuracy(task: ProbeTask, features: np.ndarray, seed: int = 0) -> dict[str, object]:
    """Logistic regression on standardised features: C from `C_GRID` by validation accuracy, then test
    accuracy with a 95 % bootstrap interval over test clips (1000 seeded resamples)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    labels = np.array([task.label_names.index(c.label) for c in task.clips])
    split = np.array([c.split for c in task.clips])
    parts = {s: split == s for s in ("train", "valid", "test")}
    if not all(parts[s].any() for s in parts):
        raise ProbeTaskError(f"task {task.name}: needs train, valid and test clips")
    scaler = StandardScaler().fit(features[parts["train"]])
    x = scaler.transform(features)
    best: tuple[float, float, object] | None = None
    for c_value in C_GRID:
        model = LogisticRegression(C=c_value, max_iter=3000).fit(x[parts["train"]], labels[parts["train"]])
        valid = float((model.predict(x[parts["valid"]]) == labels[parts["valid"]]).mean())
        if best is None or valid > best[0]:
            best = (valid, c_value, model)
    assert best is not None
    correct = best[2].predict(x[parts["test"]]) == labels[parts["test"]]
    rng = np.random.default_rng(seed)
    boots = [correct[rng.integers(0, correct.size, correct.size)].mean() for _ in range(1000)]
    return {
        "task": task.name,
        "mirrors": task.mirrors or "",
        "classes": len(task.label_names),
        "chance": round(1.0 / len(task.label_names), 4),
        "n_train": int(parts["train"].sum()),
        "n_valid": int(parts["valid"].sum()),
        "n_test": int(parts["test"].sum()),
        "best_C": best[1],
        "valid_accuracy": round(best[0], 4),
        "test_accuracy": round(float(correct.mean()), 4),
        "test_ci95_low": round(float(np.percentile(boots, 2.5)), 4),
        "test_ci95_high": round(float(np.percentile(boots, 97.5)), 4),
    }


def _markdown(rows: list[dict[str, object]], extractors: list[str], command: str, build: dict) -> str:
    lines = [
        "# Offline probe tasks: reference accuracy (difficulty check)",
        "",
        f"Made by `{command}`: logistic regression (C from {list(C_GRID)} by validation accuracy) on each",
        "reference extractor's clip features, trained on the task's train split, tested on its test split;",
        "95 % bootstrap interval over test clips. A sanity check of task difficulty, not the probe protocol.",
        f"Task set: seed {build.get('seed')}, {build.get('num_clips')} clips, manifest sha256 `{build.get('manifest_sha256')}`.",
        "",
        "| task | mirrors | classes | chance | train/valid/test | " + " | ".join(extractors) + " |",
        "|---|---|---|---|---|" + "---|" * len(extractors),
    ]
    for task in dict.fromkeys(str(r["task"]) for r in rows):
        mine = {str(r["extractor"]): r for r in rows if r["task"] == task}
        first = next(iter(mine.values()))
        cells = [
            f"{mine[e]['test_accuracy']:.3f} [{mine[e]['test_ci95_low']:.3f}, {mine[e]['test_ci95_high']:.3f}]"
            if e in mine
            else "n/a"
            for e in extractors
        ]
        lines.append(
            f"| {task} | {first['mirrors']} | {first['classes']} | {first['chance']:.3f} | "
            f"{first['n_train']}/{first['n_valid']}/{first['n_test']} | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.probe.tasks.difficulty", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--root", default=None, help="task-set folder (default: data/probe_tasks)")
    parser.add_argument("--extractors", default="logmel,resemblyzer")
    parser.add_argument("--tasks", default=None, help="comma-separated subset of the offline tasks")
    parser.add_argument(
        "--out", default="results/probe_reference_accuracy", help="output prefix (.csv and .md)"
    )
    args = parser.parse_args(argv)
    root = Path(args.root) if args.root else default_root()
    extractors = args.extractors.split(",")
    try:
        names = args.tasks.split(",") if args.tasks else offline_task_names()
        tasks = [load_offline_task(n, root, build=False) for n in names]
        audio_sha = {
            str((root / r["path"]).resolve()): r["sha256"]
            for r in read_offline_manifest(root / "manifest.csv")
        }
        rows = []
        for extractor in extractors:  # every task's cheap row first
            for task in tasks:
                started = time.perf_counter()
                features = clip_features(task, extractor, root / "features", audio_sha)
                row = reference_accuracy(task, features)
                rows.append({**row, "extractor": extractor})
                print(
                    f"{task.name} {extractor}: test accuracy {row['test_accuracy']:.3f} "
                    f"(chance {row['chance']:.3f}; {time.perf_counter() - started:.1f} s)",
                    flush=True,
                )
    except (ProbeTaskError, ReferenceError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    build = (
        json.loads((root / "build.json").read_text(encoding="utf-8"))
        if (root / "build.json").is_file()
        else {}
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.with_suffix(".csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: r[k] for k in COLUMNS} for r in rows)
    command = "python -m benchmarks.probe.tasks.difficulty " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    out.with_suffix(".md").write_text(_markdown(rows, extractors, command.strip(), build), encoding="utf-8")
    print(f"wrote {out.with_suffix('.csv')} and {out.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
