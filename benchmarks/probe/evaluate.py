"""Probe every system on every task: representation rows, reference rows and reconstruction survival.

For each task:

* **reference rows**: each reference extractor's features of the original clips, probed;
* **representation rows**: each system that exposes a representation (`baselines.representation`),
  for each requested layer set, mean-pooled and probed; other systems are ``not applicable``;
* **survival rows**: a probe trained on the survival reference's features of the original clips is
  tested on that extractor's features of each system's reconstructions of the test clips (every
  system, classical and precomputed ones included); the drop is the original's accuracy minus it.

Results already stored for the same fingerprints are reused; features come from the cache when
present. Nothing here reads the configuration: everything arrives as arguments.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from baselines.representation import supports_representation
from benchmarks.fingerprint import FileHasher, codec_fingerprint, digest
from benchmarks.probe.feature_cache import FeatureCache
from benchmarks.probe.features import (
    ClipFeatures,
    ReferenceExtractor,
    codec_features,
    probe_clip_fingerprint,
    reconstruction_features,
    reference_features,
    reference_fingerprint,
)
from benchmarks.probe.result_store import ProbeResultStore
from benchmarks.probe.settings import ProbeSettings
from benchmarks.probe.task import ProbeTask
from benchmarks.probe.train import FittedUnit, ProbeResult, fit_probe, score_probe

__all__ = ["ProbeSystem", "evaluate_probe", "task_fingerprint"]

log = logging.getLogger(__name__)


@dataclasses.dataclass
class ProbeSystem:
    """One system of the probe run.

    Attributes:
        name: configuration label (``encodec@6kbps``).
        family: codec family (plots, paper matching).
        nominal_bitrate_kbps: the configuration's bitrate (NaN if none).
        codec: the built codec, or None when unavailable.
        unavailable: why it cannot run here (reason; remedy), when `codec` is None.
        extra: configuration facts for the paper match (``token_rate``...).
    """

    name: str
    family: str
    nominal_bitrate_kbps: float
    codec: Any = None
    unavailable: str = ""
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)


def task_fingerprint(task: ProbeTask, clip_fps: Sequence[str | None]) -> str:
    """Digest of the task's classes, evaluation and every clip's id, label, split and content."""
    return digest({
        "name": task.name, "labels": list(task.label_names), "evaluation": task.evaluation, "metric": task.metric,
        "clips": [[c.clip_id, c.label, c.split, fp] for c, fp in zip(task.clips, clip_fps)],
    })


def _result_row(result: ProbeResult) -> dict[str, Any]:
    return {
        "accuracy": result.accuracy, "ci_low": result.ci_low, "ci_high": result.ci_high,
        "n_test": result.n_test, "chance": result.chance,
        "details_json": {"interval": result.interval, "units": result.unit_accuracies, "chosen": result.chosen},
    }


class _TaskRun:
    """State shared by the rows of one task."""

    def __init__(self, task: ProbeTask, sample_rate: int, hasher: FileHasher) -> None:
        self.task = task
        self.labels = np.array([task.label_names.index(c.label) for c in task.clips], dtype=np.int64)
        self.splits = [c.split for c in task.clips]
        self.clip_fps: list[str | None] = []
        for clip in task.clips:
            try:
                self.clip_fps.append(probe_clip_fingerprint(clip, sample_rate, hasher))
            except OSError:
                self.clip_fps.append(None)
        self.fingerprint = task_fingerprint(task, self.clip_fps)

    def fit_and_score(self, features: ClipFeatures, settings: ProbeSettings) -> tuple[list[FittedUnit], ProbeResult]:
        if features.errors:
            raise RuntimeError(features.first_error())
        units = fit_probe(features.matrix, self.labels, self.splits, self.task.evaluation,
                          len(self.task.label_names), settings)
        return units, score_probe(units, features.matrix, self.labels, settings)


def evaluate_probe(
    tasks: Sequence[ProbeTask],
    systems: Sequence[ProbeSystem],
    references: dict[str, ReferenceExtractor | str],
    settings: ProbeSettings,
    *,
    layers: Sequence[str] = ("all", "first"),
    pooling: str = "mean",
    survival_reference: str | None = None,
    sample_rate: int = 16_000,
    cache: FeatureCache,
    hasher: FileHasher,
    store: ProbeResultStore,
    run_id: str,
    progress: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """Every probe result of the run, as rows (also written to `store`).

    Args:
        references: reference name -> extractor, or -> the reason it is unavailable (a string).
        survival_reference: name in `references` used for reconstruction survival (None: no survival).
    """
    say = progress or (lambda message: log.info("%s", message))
    settings_fp = digest({"settings": settings.as_dict(), "pooling": pooling})
    fingerprints: dict[str, str] = {}
    for system in systems:
        if system.codec is not None:
            try:
                fingerprints[system.name] = codec_fingerprint(system.codec, hasher).digest
            except OSError as exc:
                system.unavailable = f"cannot hash its weight files: {exc}"
                system.codec = None
    rows: list[dict[str, Any]] = []
    for task in tasks:
        rows += _evaluate_task(
            task, systems, references, settings, fingerprints=fingerprints, settings_fp=settings_fp,
            layers=layers, pooling=pooling, survival_reference=survival_reference, sample_rate=sample_rate,
            cache=cache, hasher=hasher, store=store, run_id=run_id, say=say,
        )
    for row in rows:
        if row.get("kind") == "survival" and row.get("accuracy") is not None and row.get("reference_accuracy") is not None:
            row["drop"] = float(row["reference_accuracy"]) - float(row["accuracy"])
    return rows


def _evaluate_task(
    task: ProbeTask,
    systems: Sequence[ProbeSystem],
    references: dict[str, ReferenceExtractor | str],
    settings: ProbeSettings,
    *,
    fingerprints: dict[str, str],
    settings_fp: str,
    layers: Sequence[str],
    pooling: str,
    survival_reference: str | None,
    sample_rate: int,
    cache: FeatureCache,
    hasher: FileHasher,
    store: ProbeResultStore,
    run_id: str,
    say: Callable[[str], None],
) -> list[dict[str, Any]]:
    """The rows of one task (see `evaluate_probe`)."""
    rows: list[dict[str, Any]] = []
    run = _TaskRun(task, sample_rate, hasher)
    say(f"probe task {task.name}: {len(task.clips)} clips, {len(task.label_names)} classes")

    def record(system: str, kind: str, layer: str, system_fp: str, compute: Callable[[], dict[str, Any]],
               family: str = "", kbps: float = float("nan")) -> dict[str, Any]:
        key = {"system": system, "task": task.name, "kind": kind, "layers": layer,
               "system_fingerprint": system_fp, "task_fingerprint": run.fingerprint,
               "settings_fingerprint": settings_fp}
        stored = store.get(**key)
        if stored is not None:
            row = {**stored, "source": "store"}
        else:
            try:
                row = {**key, "status": "ok", **compute(), "source": "computed"}
            except Exception as exc:  # noqa: BLE001 - one failed result never stops the others
                row = {**key, "status": "failed", "error": f"{type(exc).__name__}: {exc}"[:2000], "source": "computed"}
                say(f"  ! {system} on {task.name} ({kind}, {layer}): {row['error']}")
            store.put(run_id=run_id, **{k: v for k, v in row.items() if k != "source"})
        row = {**row, "family": family, "nominal_bitrate_kbps": kbps, "task_mirrors": task.mirrors}
        rows.append(row)
        return row

    def mark(system: ProbeSystem | str, kind: str, layer: str, status: str, reason: str) -> None:
        name = system if isinstance(system, str) else system.name
        family = "reference" if isinstance(system, str) else system.family
        kbps = float("nan") if isinstance(system, str) else system.nominal_bitrate_kbps
        rows.append({"system": name, "task": task.name, "kind": kind, "layers": layer, "status": status,
                     "error": reason, "family": family, "nominal_bitrate_kbps": kbps,
                     "task_mirrors": task.mirrors})

    # Reference rows.
    reference_units: dict[str, list[FittedUnit]] = {}
    reference_feats: dict[str, ClipFeatures] = {}
    for name, extractor in references.items():
        if isinstance(extractor, str):
            mark(name, "reference", "-", "unavailable", extractor)
            continue
        ref_fp = reference_fingerprint(name, extractor)

        def compute_reference(name: str = name, extractor: ReferenceExtractor = extractor) -> dict[str, Any]:
            feats = reference_features(name, extractor, task.clips, run.clip_fps, sample_rate, cache)
            units, result = run.fit_and_score(feats, settings)
            reference_units[name], reference_feats[name] = units, feats
            return _result_row(result)

        record(name, "reference", "-", ref_fp, compute_reference, family="reference")

    # Representation rows (each clip encoded once for every layer set still missing from the cache).
    features_of: dict[str, dict[str, ClipFeatures]] = {}
    for system in systems:
        for layer in layers:
            if system.codec is None:
                mark(system, "representation", layer, "unavailable", system.unavailable)
            elif not supports_representation(system.codec):
                mark(system, "representation", layer, "not applicable",
                     "no quantized representation (classical codec or precomputed output)")
            else:
                def compute_representation(system: ProbeSystem = system, layer: str = layer) -> dict[str, Any]:
                    if system.name not in features_of:
                        features_of[system.name] = codec_features(
                            system.codec, fingerprints[system.name], task.clips, run.clip_fps, layers, pooling,
                            sample_rate, cache)
                    return _result_row(run.fit_and_score(features_of[system.name][layer], settings)[1])

                record(system.name, "representation", layer, fingerprints[system.name], compute_representation,
                       system.family, system.nominal_bitrate_kbps)

    # Reconstruction survival.
    if survival_reference is None:
        return rows
    extractor = references.get(survival_reference)
    if extractor is None or isinstance(extractor, str):
        for system in systems:
            mark(system, "survival", survival_reference, "unavailable",
                 f"survival reference {survival_reference!r} unavailable: {extractor or 'not configured'}")
        return rows
    ref_fp = reference_fingerprint(survival_reference, extractor)
    original = next((r for r in rows if r["task"] == task.name and r["kind"] == "reference"
                     and r["system"] == survival_reference), None)
    for system in systems:
        if system.codec is None:
            mark(system, "survival", survival_reference, "unavailable", system.unavailable)
            continue

        def compute_survival(system: ProbeSystem = system) -> dict[str, Any]:
            if survival_reference not in reference_units:  # reference row came from the store: refit
                feats = reference_features(survival_reference, extractor, task.clips, run.clip_fps,
                                           sample_rate, cache)
                reference_units[survival_reference], _ = run.fit_and_score(feats, settings)
                reference_feats[survival_reference] = feats
            units = reference_units[survival_reference]
            test_rows = sorted({int(i) for u in units for i in u.test_rows})
            feats = reconstruction_features(survival_reference, extractor, system.codec, fingerprints[system.name],
                                            task.clips, run.clip_fps, sample_rate, cache, hasher, rows=test_rows)
            if feats.errors:
                raise RuntimeError(feats.first_error())
            result = score_probe(units, feats.matrix, run.labels, settings)
            original_result = score_probe(units, reference_feats[survival_reference].matrix, run.labels, settings)
            return {**_result_row(result), "reference_accuracy": original_result.accuracy}

        row = record(system.name, "survival", survival_reference,
                     digest({"system": fingerprints[system.name], "reference": ref_fp}), compute_survival,
                     system.family, system.nominal_bitrate_kbps)
        if row.get("reference_accuracy") is None and original is not None:
            row["reference_accuracy"] = original.get("accuracy")
    return rows
