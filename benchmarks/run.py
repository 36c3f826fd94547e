"""Command line: ``python -m benchmarks.run --codecs all [--datasets ...] [--metrics ...] [key=value ...]``.

Reconstructs the selected datasets with the selected codecs, scores them, and writes a Table II-layout
table, bitrates, per-clip errors and bitrate-quality plots under ``results/<name>/``. Everything after
the flags is a Hydra override of `benchmarks/conf/config.yaml` (``name=demo``,
``dataset.demo.root=/data/demo``, ``metric.wer.model_dir=/models/whisper``...). Interrupted runs resume:
run the same command again.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import sys
import uuid
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from baselines.registry import (
    CodecSpec,
    availability,
    build_codec,
    expand_codec_names,
    get_spec,
    register_codec,
    scoped_registrations,
)
from benchmarks.cache import ReconstructionCache
from benchmarks.datasets.base import Clip, DatasetError, check_unique_ids, load_dataset
from benchmarks.metrics.base import Metric, MetricOutput
from benchmarks.metrics.registry import build_metric, expand_metric_names
from benchmarks.provenance import git_revision, package_versions
from benchmarks.report.build import build_report
from benchmarks.runner import Runner
from benchmarks.store import ResultStore, StoreError, StoreLost

__all__ = ["main", "load_config"]

CONFIG_DIR = Path(__file__).resolve().parent / "conf"
log = logging.getLogger("benchmarks")


class ConfigError(ValueError):
    """The configuration or a command-line override is wrong; the message names the key."""


def load_config(overrides: list[str]) -> DictConfig:
    """Compose `conf/config.yaml` with Hydra overrides (unknown keys are errors naming the key)."""
    from hydra import compose, initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    try:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base=None):
            cfg = compose(config_name="config", overrides=overrides)
    except (HydraException, OmegaConfBaseException) as exc:
        raise ConfigError(f"bad configuration override: {exc}") from None
    return cfg


def _kwargs(section: Any) -> dict[str, Any]:
    """Plain constructor kwargs from a config section (None values dropped: the code's default applies)."""
    if section is None:
        return {}
    plain = OmegaConf.to_container(section, resolve=True) if isinstance(section, DictConfig) else dict(section)
    return {k: v for k, v in plain.items() if v is not None}


def load_clips(cfg: DictConfig) -> list[Clip]:
    """Clips of every selected dataset. A config entry may name its loader (``loader: folder``), so one
    loader can serve several datasets; their clips then carry the entry's name as dataset."""
    clips: list[Clip] = []
    for name in [d.strip() for d in str(cfg.datasets).split(",") if d.strip()]:
        kwargs = _kwargs(cfg.dataset.get(name))
        loader = kwargs.pop("loader", name)
        found = load_dataset(loader, **kwargs)
        if loader != name:
            found = [dataclasses.replace(c, dataset=name) for c in found]
        if cfg.max_clips is not None:
            found = found[: int(cfg.max_clips)]
        log.info("dataset %s: %d clips", name, len(found))
        clips.extend(found)
    check_unique_ids(clips)
    return clips


def register_precomputed(cfg: DictConfig) -> list[str]:
    """Register precomputed systems (demo folders, `precomputed.root`) as codec configurations."""
    from baselines.precomputed import precomputed_specs
    from benchmarks.datasets.demo import demo_systems_table

    names: list[str] = []
    sources = []
    datasets = [d.strip() for d in str(cfg.datasets).split(",")]
    demo_root = cfg.dataset.get("demo", {}).get("root") if "demo" in datasets else None
    if demo_root:
        sources.append((demo_root, str(demo_systems_table(demo_root)), "demo"))
    if cfg.precomputed.root:
        sources.append((cfg.precomputed.root, cfg.precomputed.systems_csv, "precomputed"))
    for root, systems_csv, prefix in sources:
        for spec in precomputed_specs(root, systems_csv, prefix=prefix):
            register_codec(spec, replace=True)
            names.append(spec.name)
    return names


def select_codecs(cfg: DictConfig) -> tuple[list[str], list[tuple[str, str, str]]]:
    """(available names, [(name, reason, remedy)] for unavailable ones)."""
    available, unavailable = [], []
    for name in expand_codec_names(str(cfg.codecs)):
        status = availability(name)
        if status.available:
            available.append(name)
        else:
            unavailable.append((name, status.reason, status.remedy))
    return available, unavailable


def build_metrics(cfg: DictConfig) -> tuple[dict[str, Metric], list[tuple[str, str]]]:
    metrics, failed = {}, []
    for name in expand_metric_names(str(cfg.metrics)):
        try:
            metrics[name] = build_metric(name, **_kwargs(cfg.metric.get(name)))
        except Exception as exc:  # noqa: BLE001 - reported, not hidden
            failed.append((name, f"{type(exc).__name__}: {exc}"))
    return metrics, failed


def _print_unavailable(unavailable: list[tuple[str, str, str]], failed_metrics: list[tuple[str, str]]) -> str:
    lines = []
    if unavailable:
        lines.append("Unavailable codec configurations (not run):")
        for name, reason, remedy in unavailable:
            lines.append(f"  - {name}: {reason}\n      remedy: {remedy}")
    if failed_metrics:
        lines.append("Metrics that could not be set up (not computed):")
        for name, reason in failed_metrics:
            lines.append(f"  - {name}: {reason}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--codecs", help='"all", a comma list, a family ("opus") or a glob ("encodec@*")')
    parser.add_argument("--datasets", help="comma list of dataset names (default: embedded)")
    parser.add_argument("--metrics", help='comma list of metric names or "all"')
    parser.add_argument("--list", action="store_true", help="list codecs (with availability), datasets, metrics and exit")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, key=value")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s")

    overrides = list(args.overrides)
    for key in ("codecs", "datasets", "metrics"):
        if getattr(args, key):
            overrides.append(f"{key}='{getattr(args, key)}'")
    try:
        cfg = load_config(overrides)
        with scoped_registrations():
            return _list(cfg) if args.list else run(cfg)
    except (ConfigError, DatasetError, KeyError) as exc:
        print(f"error: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 2


def _list(cfg: DictConfig) -> int:
    from benchmarks.datasets.base import dataset_names
    from benchmarks.metrics.registry import metric_names

    register_precomputed(cfg)
    print("codecs:")
    for name in expand_codec_names("all"):
        status = availability(name)
        spec: CodecSpec = get_spec(name)
        state = "available" if status.available else f"UNAVAILABLE: {status.reason} (remedy: {status.remedy})"
        print(f"  {name:32s} {spec.nominal_bitrate_kbps:7.3f} kbps  {state}")
    print("datasets: " + ", ".join(dataset_names()))
    print("metrics:  " + ", ".join(metric_names()))
    return 0


def run(cfg: DictConfig) -> int:
    out_dir = Path(cfg.output_root) / str(cfg.name)
    clips = load_clips(cfg)
    if not clips:
        raise DatasetError("the selected datasets gave no clips")
    register_precomputed(cfg)
    codec_names, unavailable = select_codecs(cfg)
    metrics, failed_metrics = build_metrics(cfg)
    notice = _print_unavailable(unavailable, failed_metrics)
    if notice:
        print(notice)

    codecs = []
    for name in codec_names:
        try:
            codec = build_codec(name, **_kwargs(cfg.codec.get(name)))
        except Exception as exc:  # noqa: BLE001 - a codec that fails to build is reported, the run goes on
            print(f"  - {name}: could not be built: {type(exc).__name__}: {exc}")
            unavailable.append((name, f"{type(exc).__name__}: {exc}", "see the error above"))
            continue
        if codec.is_random_weights:
            print(f"  ! {name} runs with RANDOM WEIGHTS ({codec.weights}); its numbers are not a codec's quality")
        codecs.append(codec)

    try:
        store = ResultStore(out_dir / "store.sqlite")
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    run_id = uuid.uuid4().hex[:12]
    stale = store.start_run(run_id, OmegaConf.to_container(cfg, resolve=True), package_versions(), git_revision())
    if stale:
        print(f"note: marked {len(stale)} earlier run(s) that never finished as interrupted: {', '.join(stale)}")
    runner = Runner(store, ReconstructionCache(cfg.cache_dir), int(cfg.sample_rate), int(cfg.metric_batch_size),
                    bool(cfg.progress))
    status = "interrupted"
    try:
        summary = runner.run(codecs, metrics, clips, run_id=run_id)
        status = "finished"
    except StoreLost as exc:
        print(f"error: {exc}", file=sys.stderr)
        store.close()
        return 1
    finally:
        with contextlib.suppress(StoreLost):
            store.finish_run(run_id, status)
    outputs: dict[str, MetricOutput] = {o.name: o for m in metrics.values() for o in m.outputs}
    report = build_report(store, clips, [c.name for c in codecs], outputs, out_dir,
                          float(cfg.report.confidence), bool(cfg.report.plots))
    store.close()
    _write_unavailable(out_dir, unavailable, failed_metrics)
    print(report.markdown)
    print(
        f"\n{len(clips)} clips x {len(codecs)} codecs: {summary.reconstructed} reconstructed now, "
        f"{summary.cache_hits} read from the cache, {summary.reused} already in the store, "
        f"{summary.failed_clips} failed; {summary.scored} clip scores "
        f"computed now, {summary.failed_scores} failed ({summary.seconds:.0f} s). "
        f"Results in {out_dir}/ (table_ii.md, bitrates.md, plots/, errors.csv)."
    )
    if "bitrate_warning" in report.codecs:
        for _, row in report.codecs[report.codecs["bitrate_warning"].fillna("") != ""].iterrows():
            print(f"WARNING {row['codec']}: {row['bitrate_warning']}")
    if unavailable or failed_metrics:
        print(f"{len(unavailable)} codec configuration(s) and {len(failed_metrics)} metric(s) could not run here; "
              f"reasons and remedies: {out_dir}/unavailable.csv (and at the top of this output).")
    return 0


def _write_unavailable(out_dir: Path, unavailable: list[tuple[str, str, str]], failed_metrics: list[tuple[str, str]]) -> None:
    import csv

    with open(out_dir / "unavailable.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["kind", "name", "reason", "remedy"])
        writer.writerows(("codec", n, r, m) for n, r, m in unavailable)
        writer.writerows(("metric", n, r, "") for n, r in failed_metrics)


if __name__ == "__main__":
    sys.exit(main())
