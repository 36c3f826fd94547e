"""Command line: ``python -m benchmarks.run [--codecs ...] [--datasets ...] [--metrics ...] [key=value ...]``.

Reconstructs the selected datasets with the selected codecs, scores them, and writes a Table II-layout
table, bitrates, per-clip errors and bitrate-quality plots under ``results/<name>/``. Every ``key=value``
argument (before, between or after the flags) is a Hydra override of `benchmarks/conf/config.yaml`
(``name=demo``, ``dataset.demo.root=/data/demo``, ``codec.dac_6kbps.checkpoint=/models/dac.pth``...).
Codec configurations are the files of `benchmarks/conf/codec/` plus those of ``--config-dir DIR``
(``DIR/codec/<key>.yaml``). Interrupted runs resume: run the same command again.

Work runs in ``workers=N`` processes (default: the cores); ``device=cuda`` puts neural codecs and metrics
on a GPU; ``shard.index=i shard.count=n`` runs one shard of the run (``python -m benchmarks.merge`` joins
them; docs/scaling.md).

Exit status: 0 everything requested ran; 1 the run finished but a configuration or metric asked for
could not be built or run here (see unavailable.csv); 2 a usage or configuration error (nothing ran);
3 nothing could be scored; 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import logging
import sqlite3
import sys
from pathlib import Path

from omegaconf import DictConfig

from baselines.registry import scoped_registrations
from benchmarks.config_schema import ConfigError
from benchmarks.datasets.base import DatasetError
from benchmarks.orchestrate import (
    EXIT_INCOMPLETE,
    EXIT_INTERRUPTED,
    EXIT_NOTHING_SCORED,
    EXIT_OK,
    EXIT_USAGE,
    run,
)
from benchmarks.run_config import _builtin_dirs, load_config, one_line
from benchmarks.run_select import (
    build_metrics,
    load_clips,
    metric_selection,
    register_class_selections,
    register_codec_configs,
    register_precomputed,
    select_codecs,
)
from benchmarks.run_unavailable import list_configurations
from benchmarks.run_unavailable import write_unavailable as _write_unavailable

__all__ = [
    "EXIT_INCOMPLETE",
    "EXIT_INTERRUPTED",
    "EXIT_NOTHING_SCORED",
    "EXIT_OK",
    "EXIT_USAGE",
    "ConfigError",
    "load_config",
    "main",
    "parse_command_line",
    "run",
]

# Kept importable from here (`benchmarks.api`, tests and other modules use these names).
_ = (_builtin_dirs, _write_unavailable, build_metrics, load_clips, metric_selection, register_precomputed,
     select_codecs)


def parse_command_line(argv: list[str] | None) -> tuple[argparse.Namespace, list[str]]:
    """(flags, Hydra overrides including those the flags set); flags and overrides may come in any order.

    Raises:
        SystemExit: --help, or a usage error (argparse has printed it).
    """
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--codecs", help='"all", a comma list of labels (opus@6kbps) or keys (opus_6kbps), a family '
                        '("opus"), a glob ("encodec@*") or a class (mymodule:MyCodec)')
    parser.add_argument("--datasets", help="comma list of dataset names (default: embedded)")
    parser.add_argument("--metrics", help='comma list of metric names or "all"')
    parser.add_argument("--config-dir", action="append", default=[], metavar="DIR",
                        help="extra config folder (DIR/codec/<key>.yaml defines codec configuration <key>, likewise "
                        "DIR/metric/, DIR/dataset/); repeatable")
    parser.add_argument("--list", action="store_true",
                        help="list the selected codec configurations (all without --codecs) with availability, "
                        "the datasets and metrics, and exit; with --verbose also the remedies")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, key=value (anywhere on the line)")
    args = parser.parse_intermixed_args(argv)
    overrides = list(args.overrides)
    for key in ("codecs", "datasets", "metrics"):
        if getattr(args, key):
            overrides.append(f"{key}='{getattr(args, key)}'")
    return args, overrides


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (see the module docstring)."""
    try:
        args, overrides = parse_command_line(argv)
    except SystemExit as exc:  # --help, or a usage error already printed by argparse
        return int(exc.code or 0)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s")
    logging.getLogger("hydra").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # PDF font subsetting logs every table at INFO

    cfg: DictConfig | None = None
    try:
        cfg = load_config(overrides, args.config_dir)
        with scoped_registrations():
            register_codec_configs(cfg)
            register_class_selections(str(cfg.codecs))
            if args.list:
                return list_configurations(cfg, selected=args.codecs is not None, verbose=args.verbose)
            return run(cfg)
    except (ConfigError, DatasetError, KeyError) as exc:
        return _fail(str(exc.args[0] if exc.args else exc))
    except sqlite3.DatabaseError as exc:
        where = f"{Path(cfg.output_root) / str(cfg.name) / 'store.sqlite'}" if cfg is not None else "result store"
        return _fail(f"{where}: {exc}")
    except KeyboardInterrupt:
        print("interrupted; rerun the same command to resume", file=sys.stderr)
        return EXIT_INTERRUPTED


def _fail(message: str) -> int:
    print(f"error: {one_line(message)}", file=sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
