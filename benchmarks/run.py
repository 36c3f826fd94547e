"""Command line: ``python -m benchmarks.run [--codecs ...] [--datasets ...] [--metrics ...] [key=value ...]``.

Reconstructs the selected datasets with the selected codecs, scores them, and writes a Table II-layout
table, bitrates, per-clip errors and bitrate-quality plots under ``results/<name>/``. Every ``key=value``
argument (before, between or after the flags) is a Hydra override of `benchmarks/conf/config.yaml`
(``name=demo``, ``dataset.demo.root=/data/demo``, ``codec.dac_6kbps.checkpoint=/models/dac.pth``...).
Codec configurations are the files of `benchmarks/conf/codec/` plus those of ``--config-dir DIR``
(``DIR/codec/<key>.yaml``). Interrupted runs resume: run the same command again.

Exit status: 0 everything requested ran; 1 the run finished but a configuration or metric asked for
could not be built or run here (see unavailable.csv); 2 a usage or configuration error (nothing ran);
3 nothing could be scored; 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib.util
import logging
import re
import sqlite3
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from baselines.catalog import (
    BUILTIN_CONFIG_DIR,
    CodecSpec,
    config_key,
    read_entries,
    spec_from_config,
    split_target,
)
from baselines.name_lookup import import_target, unknown_name
from baselines.registry import (
    availability,
    build_codec,
    entry_point_specs,
    expand_codec_names,
    get_spec,
    register_codec,
    scoped_registrations,
)
from benchmarks.cache import ReconstructionCache
from benchmarks.config_schema import ConfigError, validate_config
from benchmarks.datasets.base import Clip, DatasetError, check_unique_ids, load_dataset
from benchmarks.metrics.base import Metric, MetricOutput
from benchmarks.metrics.registry import build_metric, check_output_names
from benchmarks.provenance import git_revision, package_versions
from benchmarks.report.build import build_report
from benchmarks.report.listening import write_run_page
from benchmarks.runner import Runner
from benchmarks.store import ResultStore, StoreError, StoreLost

__all__ = [
    "EXIT_INCOMPLETE",
    "EXIT_INTERRUPTED",
    "EXIT_NOTHING_SCORED",
    "EXIT_OK",
    "EXIT_USAGE",
    "load_config",
    "main",
    "parse_command_line",
]

CONFIG_DIR = Path(__file__).resolve().parent / "conf"
log = logging.getLogger("benchmarks")

EXIT_OK = 0
EXIT_INCOMPLETE = 1
EXIT_USAGE = 2
EXIT_NOTHING_SCORED = 3
EXIT_INTERRUPTED = 130

#: ``codec.<name>...`` overrides, with an optional ``+``/``++``/``~`` prefix.
_CODEC_OVERRIDE = re.compile(r"^(\+{0,2}|~)codec\.([^.=]+)(.*)$", re.DOTALL)


def _builtin_dirs() -> dict[str, Path]:
    """Config group -> folder of its built-in entries."""
    from benchmarks.datasets.catalog import BUILTIN_CONFIG_DIR as DATASET_DIR
    from benchmarks.metrics.catalog import BUILTIN_CONFIG_DIR as METRIC_DIR

    return {"codec": BUILTIN_CONFIG_DIR, "metric": METRIC_DIR, "dataset": DATASET_DIR}


def group_keys(group: str, config_dirs: list[Path]) -> list[str]:
    """Keys of every entry file of config group `group`: the built-in ones in catalogue order, then the
    user folders' ones (``DIR/<group>/<key>.yaml``). A user file may not reuse a built-in key."""
    keys = list(read_entries(_builtin_dirs()[group]))
    builtin = set(keys)
    for directory in config_dirs:
        for path in sorted((directory / group).glob("*.yaml")):
            if path.stem in builtin:
                raise ConfigError(
                    f"{path}: {path.stem} is a built-in {group} configuration; give the file another name, or change "
                    f"the built-in one's arguments with {group}.{path.stem}.<argument>=<value>"
                )
            if path.stem not in keys:
                keys.append(path.stem)
    return keys


def _entry_point_overrides(group: str, keys: list[str]) -> list[str]:
    """``+<group>.<key>._target_=...`` for installed packages' entries, so ``<group>.<key>.<arg>=`` reaches them."""
    from importlib import metadata

    out = []
    if group == "codec":
        found = [(spec.key, spec.name, spec.target) for spec in entry_point_specs()]
    else:
        found = [(e.name, e.name, e.value) for e in metadata.entry_points(group=f"lowrate_codec_bench.{group}s")]
    for key, label, target in found:
        if key not in keys and re.fullmatch(r"\w+", key) and "'" not in target + label:
            out.append(f"+{group}.{key}._target_='{target}'")
            if group == "codec":
                out.append(f"+codec.{key}._label_='{label}'")
    return out


def _hydra_safe(override: str) -> str:
    """``codec.dac@6kbps.checkpoint=x`` -> ``codec.dac_6kbps.checkpoint=x`` (labels are not Hydra keys)."""
    match = _CODEC_OVERRIDE.match(override)
    if match is None or "=" in match.group(2) or match.group(2).startswith(("{", "[")):
        return override
    prefix, name, rest = match.groups()
    return f"{prefix}codec.{config_key(name)}{rest}"


def load_config(overrides: list[str], config_dirs: list[str | Path] | None = None) -> DictConfig:
    """Compose `conf/config.yaml`, every codec, metric and dataset file and the overrides; type-check the result.

    Args:
        overrides: Hydra overrides (``key=value``); codec labels are accepted in ``codec.<label>.<arg>=``.
        config_dirs: extra config folders (``DIR/codec/<key>.yaml``, ``DIR/metric/<name>.yaml``,
            ``DIR/dataset/<name>.yaml``).

    Raises:
        ConfigError: a bad override, an unknown key or a value of the wrong type or range (one line).
    """
    import yaml
    from hydra import compose, initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    dirs = [Path(d).expanduser().resolve() for d in (config_dirs or [])]
    for directory in dirs:
        if not directory.is_dir():
            raise ConfigError(f"--config-dir {directory}: not a folder")
    composed = []
    for group in ("codec", "metric", "dataset"):
        keys = group_keys(group, dirs)
        composed += [f"+{group}@{group}.{key}={key}" for key in keys]
        composed += _entry_point_overrides(group, keys)
    if dirs:
        if any("'" in str(d) for d in dirs):
            raise ConfigError(f"--config-dir: a folder name with a quote is not supported ({dirs})")
        composed.insert(0, "hydra.searchpath=[" + ",".join(f"'file://{d}'" for d in dirs) + "]")
    try:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base=None):
            cfg = compose(config_name="config", overrides=composed + [_hydra_safe(o) for o in overrides])
    except (HydraException, OmegaConfBaseException, yaml.YAMLError) as exc:
        raise ConfigError(f"bad configuration override or file: {_one_line(str(exc))}") from None
    return validate_config(cfg)


def _one_line(text: str) -> str:
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


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
        target = kwargs.pop("_target_", None)
        kwargs = {k: v for k, v in kwargs.items() if not (k.startswith("_") and k.endswith("_"))}
        if target is not None:
            found = list(_call_target(f"dataset.{name}", target, kwargs))
        else:
            found = load_dataset(kwargs.pop("loader", name), **kwargs)
        found = [c if c.dataset == name else dataclasses.replace(c, dataset=name) for c in found]
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
            try:
                register_codec(spec, replace=True)
            except ValueError as exc:
                raise DatasetError(f"{systems_csv}: {exc}") from None
            names.append(spec.name)
    return names


def register_codec_configs(cfg: DictConfig) -> None:
    """Register every ``cfg.codec`` entry as composed (built-in files, user files, overrides).

    An entry without ``_target_`` adds arguments to the registered configuration of that key (for
    example one of an installed package's entry points).
    """
    for key, node in cfg.codec.items():
        plain = OmegaConf.to_container(node, resolve=True) if isinstance(node, DictConfig) else node
        if not isinstance(plain, dict):
            raise ConfigError(f"codec.{key}: expected a mapping of constructor arguments, got {plain!r}")
        try:
            if "_target_" not in plain:
                base = get_spec(str(key))
                spec = dataclasses.replace(base, kwargs={**dict(base.kwargs), **plain})
            else:
                spec = spec_from_config(str(key), plain)
        except KeyError:
            raise ConfigError(
                f"codec.{key}: no such codec configuration; give its class with +codec.{key}._target_=module.Class"
            ) from None
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        try:
            register_codec(spec, replace=True)
        except ValueError as exc:
            raise ConfigError(f"codec.{key}: {exc}") from None


def register_class_selections(selection: str) -> None:
    """Register ``module:Class`` items of a ``--codecs`` selection (not otherwise known) as configurations."""
    for item in (i.strip() for i in selection.split(",")):
        module, _, attribute = item.partition(":")
        if not attribute or not re.fullmatch(r"[\w.]+", module) or not attribute.isidentifier():
            continue
        try:
            get_spec(item)
            continue
        except KeyError:
            pass
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if found:
            register_codec(CodecSpec(name=item, target=item, kwargs={}, family=item, nominal_bitrate_kbps=float("nan"),
                                     description=f"{item} (named on the command line)"))


def _named_explicitly(selection: str) -> set[str]:
    """Labels the selection names one by one (not through ``all``, a family or a glob)."""
    named = set()
    for item in (i.strip() for i in selection.split(",")):
        if item and item != "all" and not any(ch in item for ch in "*?["):
            try:
                named.add(get_spec(item).name)
            except KeyError:
                pass
    return named


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


def metric_selection(cfg: DictConfig) -> list[str]:
    """Metric names of ``cfg.metrics`` (``all`` = every configured and registered metric); KeyError if unknown."""
    from benchmarks.metrics.registry import metric_names

    known = list(cfg.metric) + [n for n in metric_names() if n not in cfg.metric]
    out: list[str] = []
    for item in (i.strip() for i in str(cfg.metrics).split(",")):
        if not item:
            continue
        for name in known if item == "all" else [item]:
            if name not in known:
                raise unknown_name("metric", name, known)
            if name not in out:
                out.append(name)
    return out


def build_metrics(cfg: DictConfig) -> tuple[dict[str, Metric], list[tuple[str, str]]]:
    metrics, failed = {}, []
    for name in metric_selection(cfg):
        kwargs = _kwargs(cfg.metric.get(name))
        try:
            if "_target_" in kwargs:
                target, arguments = split_target(name, kwargs)
                metrics[name] = _call_target(f"metric.{name}", target, arguments)
            else:
                metrics[name] = build_metric(name, **kwargs)
        except Exception as exc:  # noqa: BLE001 - reported, not hidden
            failed.append((name, f"{type(exc).__name__}: {_one_line(str(exc))}"))
    return metrics, failed


def _call_target(where: str, target: str, kwargs: dict[str, Any]) -> Any:
    """``target(**kwargs)``; an import failure is a ConfigError naming `where`."""
    try:
        function = import_target(target)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"{where}._target_={target}: cannot import it ({exc})") from None
    return function(**kwargs)


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
                return _list(cfg, selected=args.codecs is not None, verbose=args.verbose)
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
    print(f"error: {_one_line(message)}", file=sys.stderr)
    return EXIT_USAGE


def _short(reason: str, width: int = 90) -> str:
    """First clause of a reason, cut to `width` characters (the full text is in --verbose)."""
    text = _one_line(reason).split(" (looked in")[0]
    return text if len(text) <= width else text[: width - 1] + "…"


def _list(cfg: DictConfig, *, selected: bool, verbose: bool) -> int:
    """One short line per codec configuration; the remedy of unavailable ones with `verbose`."""
    from benchmarks.datasets.base import dataset_names

    register_precomputed(cfg)
    names = expand_codec_names(str(cfg.codecs) if selected else "all")
    missing = 0
    print("codecs (label, key, nominal bitrate, status):")
    for name in names:
        status = availability(name)
        spec: CodecSpec = get_spec(name)
        state = "available" if status.available else f"unavailable: {_short(status.reason)}"
        kbps = "   -  " if spec.nominal_bitrate_kbps != spec.nominal_bitrate_kbps else f"{spec.nominal_bitrate_kbps:6.2f}"
        print(f"  {name:26s} {spec.key:26s} {kbps} kbps  {state}")
        if not status.available:
            missing += 1
            if verbose:
                print(f"      reason: {_one_line(status.reason)}\n      remedy: {_one_line(status.remedy)}")
    if missing and not verbose:
        print(f"  ({missing} unavailable; --list --verbose shows why and the remedy)")
    print("datasets: " + ", ".join(list(cfg.dataset) + [n for n in dataset_names() if n not in cfg.dataset]))
    print("metrics:  " + ", ".join(metric_selection(OmegaConf.merge(cfg, {"metrics": "all"}))))
    return EXIT_OK


def _writable_folder(path: Path, what: str) -> None:
    """Create `path` (with parents) and check a file can be written in it; ConfigError naming it if not."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-check-"):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(f"{what}: cannot write to the folder {path}: {reason}") from None


def run(cfg: DictConfig) -> int:
    """One evaluation run; returns the exit status."""
    out_dir = Path(cfg.output_root) / str(cfg.name)
    _writable_folder(out_dir, f"output_root={cfg.output_root} name={cfg.name}")
    _writable_folder(Path(cfg.cache_dir), f"cache_dir={cfg.cache_dir}")
    from benchmarks.probe.run_probe import metrics_without_probe, probe_selected, run_probe

    if probe_selected(cfg):  # the semantic probe runs on its own tasks (benchmarks/probe)
        register_precomputed(cfg)
        probe_status = run_probe(cfg, out_dir)
        if not metrics_without_probe(cfg):
            return probe_status
        cfg.metrics = metrics_without_probe(cfg)
        return max(probe_status, run(cfg))  # then the other metrics, as usual
    clips = load_clips(cfg)
    if not clips:
        raise DatasetError("the selected datasets gave no clips")
    register_precomputed(cfg)
    named = _named_explicitly(str(cfg.codecs))
    codec_names, unavailable = select_codecs(cfg)
    metrics, failed_metrics = build_metrics(cfg)
    check_output_names(metrics)
    notice = _print_unavailable(unavailable, failed_metrics)
    if notice:
        print(notice)

    codecs, not_built = [], []
    for name in codec_names:
        try:
            codec = build_codec(name)
        except Exception as exc:  # noqa: BLE001 - a codec that fails to build is reported, the run goes on
            print(f"  - {name}: could not be built: {type(exc).__name__}: {_one_line(str(exc))}")
            unavailable.append((name, f"{type(exc).__name__}: {exc}", "see the error above"))
            not_built.append(name)
            continue
        if codec.is_random_weights:
            print(f"  ! {name} runs with RANDOM WEIGHTS ({codec.weights}); its numbers are not a codec's quality")
        codecs.append(codec)
    if not codecs or not metrics:
        _write_unavailable(out_dir, unavailable, failed_metrics)
        what = "no codec configuration" if not codecs else "no metric"
        print(f"error: nothing to score: {what} of the selection can run here (reasons above and in "
              f"{out_dir}/unavailable.csv)", file=sys.stderr)
        return EXIT_NOTHING_SCORED

    try:
        store = ResultStore(out_dir / "store.sqlite")
    except StoreError as exc:  # corrupt, from a newer version...: the message names the file
        raise ConfigError(str(exc)) from None
    run_id = uuid.uuid4().hex[:12]
    stale = store.start_run(run_id, OmegaConf.to_container(cfg, resolve=True), package_versions(), git_revision())
    if stale:
        print(f"note: marked {len(stale)} earlier run(s) that never finished as interrupted: {', '.join(stale)}")
    runner = Runner(store, ReconstructionCache(cfg.cache_dir), int(cfg.sample_rate), int(cfg.metric_batch_size),
                    bool(cfg.progress), max_duration_s=float(cfg.max_duration_s))
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
                          float(cfg.report.confidence), bool(cfg.report.plots), list(cfg.report.highlight))
    usable = _usable_scores(store, clips, [c.name for c in codecs])
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


def _write_unavailable(out_dir: Path, unavailable: list[tuple[str, str, str]], failed_metrics: list[tuple[str, str]]) -> None:
    """`unavailable.csv`: names and reasons come from user data, so cells are escaped like the report's."""
    import pandas as pd

    from benchmarks.report.escape import write_csv

    rows = [("codec", n, r, m) for n, r, m in unavailable] + [("metric", n, r, "") for n, r in failed_metrics]
    out_dir.mkdir(parents=True, exist_ok=True)
    write_csv(pd.DataFrame(rows, columns=["kind", "name", "reason", "remedy"]), out_dir / "unavailable.csv")


if __name__ == "__main__":
    sys.exit(main())
