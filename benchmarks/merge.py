"""Command line: ``python -m benchmarks.merge <run folder> [--allow-incomplete]``.

Joins the shard stores of a sharded run (``shard.index=i shard.count=n``, docs/scaling.md) into the run
folder's ``store.sqlite`` and writes the run's tables and plots from it, as a single-process run of the
same configuration would. Nothing is computed: a unit missing from every shard stays missing (and is
counted in the closing line). Every shard must have finished, unless ``--allow-incomplete``.

Exit status: 0 merged and reported; 1 shards missing or unfinished (nothing merged), or the report's own
status 1 or 3; 2 not a run folder with shards.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from pathlib import Path

from omegaconf import OmegaConf

from baselines.registry import scoped_registrations
from benchmarks.config_schema import ConfigError, validate_config
from benchmarks.datasets.base import DatasetError
from benchmarks.orchestrate import EXIT_INCOMPLETE, EXIT_USAGE, run
from benchmarks.run_select import register_class_selections, register_codec_configs
from benchmarks.shards import merge_stores, read_manifests

__all__ = ["main", "merge_run"]


def merge_run(run_dir: Path, allow_incomplete: bool = False) -> int:
    """Merge the shards under `run_dir` and write its report; returns the exit status."""
    run_dir = Path(run_dir).resolve()
    manifests = read_manifests(run_dir)
    if not manifests:
        print(f"error: {run_dir}: no shards found (expected {run_dir}/shards/<i>-of-<n>/shard.json)", file=sys.stderr)
        return EXIT_USAGE
    counts = {m["count"] for _, m in manifests}
    if len(counts) != 1:
        print(f"error: {run_dir}: shards of different splits ({sorted(counts)} shards); keep one split's folders",
              file=sys.stderr)
        return EXIT_USAGE
    count = counts.pop()
    present = {m["index"] for _, m in manifests}
    missing = sorted(set(range(count)) - present)
    unfinished = [m["index"] for _, m in manifests if m["status"] != "finished"]
    if (missing or unfinished) and not allow_incomplete:
        what = "; ".join(filter(None, [f"missing shard(s) {missing}" if missing else "",
                                       f"unfinished shard(s) {unfinished}" if unfinished else ""]))
        print(f"error: {run_dir}: {what} of {count}; run them again (they resume), or merge what is there with "
              "--allow-incomplete", file=sys.stderr)
        return EXIT_INCOMPLETE
    totals = merge_stores(run_dir, [folder for folder, _ in manifests])
    print(f"merged {len(manifests)} shard(s) of {count} into {run_dir}/store.sqlite: "
          + ", ".join(f"{n} {t}" for t, n in totals.items()))
    _, manifest = manifests[0]
    config = dict(manifest["config"])
    config.update(shard={"index": 0, "count": 1}, output_root=str(run_dir.parent), name=run_dir.name, workers=1)
    cfg = validate_config(OmegaConf.create(config))
    folder = manifest.get("cwd")
    where = contextlib.chdir(folder) if folder and os.path.isdir(folder) else contextlib.nullcontext()
    with where, scoped_registrations():
        register_codec_configs(cfg)
        register_class_selections(str(cfg.codecs))
        return run(cfg, reuse_only=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.merge", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", type=Path, help="the run folder (<output_root>/<name>) holding shards/")
    parser.add_argument("--allow-incomplete", action="store_true", help="merge even if shards are missing or unfinished")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    try:
        return merge_run(args.run_dir, args.allow_incomplete)
    except (ConfigError, DatasetError, KeyError) as exc:
        print(f"error: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
