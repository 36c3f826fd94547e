"""One evaluation run, from a composed configuration to the tables: select, build, run, report.

A run writes ``<output_root>/<name>/store.sqlite`` and the report beside it. A shard of a run
(``shard.count > 1``) writes only its own store, under ``<output_root>/<name>/shards/<i>-of-<n>/``;
`benchmarks.merge` joins the shards and writes the report (`benchmarks.shards`).
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from baselines.name_lookup import import_target
from baselines.registry import build_codec, get_spec
from benchmarks.cache import ReconstructionCache
from benchmarks.config_schema import ConfigError
from benchmarks.datasets.base import Clip, DatasetError
from benchmarks.devices import device_kwargs
from benchmarks.metrics.base import MetricOutput
from benchmarks.metrics.registry import check_output_names
from benchmarks.pool import PoolWork, default_workers, threads_per_worker
from benchmarks.probe.run_probe import metrics_without_probe, probe_selected, run_probe
from benchmarks.provenance import git_revision, package_versions
from benchmarks.report.build import build_report
from benchmarks.report.listening import write_run_page
from benchmarks.run_config import one_line
from benchmarks.run_select import (
    build_metrics,
    load_clips,
    named_explicitly,
    register_precomputed,
    select_codecs,
)
from benchmarks.run_unavailable import unavailable_notice, write_unavailable
from benchmarks.runner import Runner
from benchmarks.shards import shard_dir, shard_plan, write_manifest
from benchmarks.store import ResultStore, StoreError, StoreLost

__all__ = ["EXIT_INCOMPLETE", "EXIT_INTERRUPTED", "EXIT_NOTHING_SCORED", "EXIT_OK", "EXIT_USAGE", "run"]

EXIT_OK = 0
EXIT_INCOMPLETE = 1
EXIT_USAGE = 2
EXIT_NOTHING_SCORED = 3
EXIT_INTERRUPTED = 130


def _writable_folder(path: Path, what: str) -> None:
    """Create `path` (with parents) and check a file can be written in it; ConfigError naming it if not."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-check-"):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(f"{what}: cannot write to the folder {path}: {reason}") from None


def _build_codecs(names: list[str], device: str | None, unavailable: list[tuple[str, str, str]]
                  ) -> tuple[list[Any], list[str], dict[str, tuple[str, dict[str, Any]]]]:
    """(built codecs, names that failed to build, name -> (target, arguments) for worker processes)."""
    codecs, not_built, recipes = [], [], {}
    for name in names:
        spec = get_spec(name)
        try:
            extra = device_kwargs(import_target(spec.target), device, dict(spec.kwargs))
            codec = build_codec(name, **extra)
        except Exception as exc:  # noqa: BLE001 - a codec that fails to build is reported, the run goes on
            print(f"  - {name}: could not be built: {type(exc).__name__}: {one_line(str(exc))}")
            unavailable.append((name, f"{type(exc).__name__}: {exc}", "see the error above"))
            not_built.append(name)
            continue
        if codec.is_random_weights:
            print(f"  ! {name} runs with RANDOM WEIGHTS ({codec.weights}); its numbers are not a codec's quality")
        recipes[codec.name] = (spec.target, {**dict(spec.kwargs), **extra})
        codecs.append(codec)
    return codecs, not_built, recipes


def _work(cfg: DictConfig) -> PoolWork | None:
    """The worker pool of ``workers=N`` (None: units run in this process)."""
    workers = int(cfg.workers) if cfg.workers is not None else default_workers()
    threads = int(cfg.threads) if cfg.get("threads") is not None else threads_per_worker(workers)
    if workers <= 1:
        if cfg.get("threads") is not None:
            import torch

            torch.set_num_threads(threads)
        return None
    return PoolWork(workers, threads, int(cfg.sample_rate), float(cfg.max_duration_s))


def run(cfg: DictConfig, *, reuse_only: bool = False) -> int:
    """One evaluation run (or one shard of it); returns the exit status.

    Args:
        reuse_only: compute nothing; report what the store holds (the last step of `benchmarks.merge`).
    """
    out_dir = Path(cfg.output_root) / str(cfg.name)
    sharded = int(cfg.shard.count) > 1
    store_dir = shard_dir(out_dir, int(cfg.shard.index), int(cfg.shard.count)) if sharded else out_dir
    _writable_folder(store_dir, f"output_root={cfg.output_root} name={cfg.name}")
    _writable_folder(Path(cfg.cache_dir), f"cache_dir={cfg.cache_dir}")
    if probe_selected(cfg):  # the semantic probe runs on its own tasks (benchmarks/probe)
        register_precomputed(cfg)
        probe_status = run_probe(cfg, out_dir)
        if not metrics_without_probe(cfg):
            return probe_status
        cfg.metrics = metrics_without_probe(cfg)
        return max(probe_status, run(cfg, reuse_only=reuse_only))  # then the other metrics, as usual
    clips = load_clips(cfg)
    if not clips:
        raise DatasetError("the selected datasets gave no clips")
    register_precomputed(cfg)
    named = named_explicitly(str(cfg.codecs))
    codec_names, unavailable = select_codecs(cfg)
    metric_recipes: dict[str, tuple[str, dict[str, Any]]] = {}
    metrics, failed_metrics = build_metrics(cfg, metric_recipes)
    check_output_names(metrics)
    notice = unavailable_notice(unavailable, failed_metrics)
    if notice:
        print(notice)
    plan = shard_plan(codec_names, clips, int(cfg.shard.index), int(cfg.shard.count)) if sharded else None
    if plan is not None:
        print(f"shard {int(cfg.shard.index)} of {int(cfg.shard.count)}: "
              + (", ".join(f"{n} ({len(c)} clips)" for n, c in plan.items()) or "no work"))
        codec_names = [n for n in codec_names if n in plan]
    codecs, not_built, codec_recipes = _build_codecs(codec_names, cfg.get("device"), unavailable)
    if (not codecs and not (plan is not None and not plan)) or not metrics:
        write_unavailable(store_dir, unavailable, failed_metrics)
        what = "no codec configuration" if not codecs else "no metric"
        print(f"error: nothing to score: {what} of the selection can run here (reasons above and in "
              f"{store_dir}/unavailable.csv)", file=sys.stderr)
        return EXIT_NOTHING_SCORED

    try:
        store = ResultStore(store_dir / "store.sqlite")
    except StoreError as exc:  # corrupt, from a newer version...: the message names the file
        raise ConfigError(str(exc)) from None
    run_id = uuid.uuid4().hex[:12]
    stale = store.start_run(run_id, OmegaConf.to_container(cfg, resolve=True), package_versions(), git_revision())
    if stale:
        print(f"note: marked {len(stale)} earlier run(s) that never finished as interrupted: {', '.join(stale)}")
    if sharded:
        write_manifest(store_dir, cfg, "running")
    runner = Runner(store, ReconstructionCache(cfg.cache_dir), int(cfg.sample_rate), int(cfg.metric_batch_size),
                    bool(cfg.progress), max_duration_s=float(cfg.max_duration_s), work=_work(cfg),
                    codec_recipes=codec_recipes, metric_recipes=metric_recipes, reuse_only=reuse_only)
    status = "interrupted"
    try:
        summary = runner.run(codecs, metrics, clips, run_id=run_id, plan=plan)
        status = "finished"
    except StoreLost as exc:
        print(f"error: {exc}", file=sys.stderr)
        store.close()
        return 1
    finally:
        with contextlib.suppress(StoreLost):
            store.finish_run(run_id, status)
        if sharded:
            write_manifest(store_dir, cfg, status)
    counts = (f"{summary.reconstructed} reconstructed now, {summary.cache_hits} read from the cache, "
              f"{summary.reused} already in the store, {summary.failed_clips} failed; {summary.scored} clip scores "
              f"computed now, {summary.failed_scores} failed ({summary.seconds:.0f} s)")
    if sharded:
        store.close()
        write_unavailable(store_dir, unavailable, failed_metrics)
        print(f"\nshard {int(cfg.shard.index)} of {int(cfg.shard.count)}: {counts}. Store in {store_dir}/; "
              f"join the shards with: python -m benchmarks.merge {out_dir}")
        return EXIT_INCOMPLETE if not_built or failed_metrics else EXIT_OK
    return _report(cfg, store, clips, codecs, metrics, summary, counts, out_dir, unavailable, failed_metrics,
                   named, not_built)


def _report(cfg: DictConfig, store: ResultStore, clips: list[Clip], codecs: list[Any], metrics: dict[str, Any],
            summary: Any, counts: str, out_dir: Path, unavailable: list[tuple[str, str, str]],
            failed_metrics: list[tuple[str, str]], named: set[str], not_built: list[str]) -> int:
    """Tables, plots and the closing lines of a run; returns the exit status."""
    outputs: dict[str, MetricOutput] = {o.name: o for m in metrics.values() for o in m.outputs}
    report = build_report(store, clips, [c.name for c in codecs], outputs, out_dir,
                          float(cfg.report.confidence), bool(cfg.report.plots), list(cfg.report.highlight))
    usable = _usable_scores(store, clips, [c.name for c in codecs])
    store.close()
    write_unavailable(out_dir, unavailable, failed_metrics)
    print(report.markdown)
    skipped = f"; {summary.skipped} units missing from the store were not computed" if summary.skipped else ""
    print(f"\n{len(clips)} clips x {len(codecs)} codecs: {counts}{skipped}. "
          f"Results in {out_dir}/ (table_ii.md, bitrates.md, plots/, errors.csv).")
    if cfg.report.html:  # never raises: a failed page is reported and leaves the exit status as it is
        write_run_page(out_dir, clips, cfg)
    if "bitrate_warning" in report.codecs:
        for _, row in report.codecs[report.codecs["bitrate_warning"].fillna("") != ""].iterrows():
            print(f"WARNING {row['codec']}: {row['bitrate_warning']}")
    if unavailable or failed_metrics:
        print(f"{len(unavailable)} codec configuration(s) and {len(failed_metrics)} metric(s) could not run here; "
              f"reasons and remedies: {out_dir}/unavailable.csv (and at the top of this output).")
    if usable == 0:
        print(f"error: nothing could be scored: every clip or score failed (reasons in {out_dir}/errors.csv and "
              "metric_failures.csv)", file=sys.stderr)
        return EXIT_NOTHING_SCORED
    missed = sorted(named & {n for n, _, _ in unavailable}) + [n for n in not_built if n not in named]
    if missed or failed_metrics:
        print(f"incomplete: could not run {', '.join(missed + [m for m, _ in failed_metrics])}", file=sys.stderr)
        return EXIT_INCOMPLETE
    return EXIT_OK


def _usable_scores(store: ResultStore, clips: list[Clip], codec_names: list[str]) -> int:
    """Number of finite scores in the store for these clips and codecs."""
    scores = store.scores(codec_names)
    if scores.empty:
        return 0
    keys = {(c.dataset, c.clip_id) for c in clips}
    mine = [(d, c) in keys for d, c in zip(scores["dataset"], scores["clip_id"])]
    return int(scores[mine]["value"].notna().sum())
