"""``python -m benchmarks.run --codecs ... --metrics probe``: the semantic probe from the runner.

`run_probe(cfg, out_dir)` reads the ``probe:`` section (`benchmarks.probe.settings.ProbeConfig`),
loads the tasks with the configured task loader, looks the reference extractors up by name in
`benchmarks.probe.reference`, builds the selected codec configurations (unavailable ones become rows
saying why, as in the main runner), evaluates everything (`benchmarks.probe.evaluate`) and writes the
tables and the figure (`benchmarks.probe.report`) under ``<output_root>/<name>/probe/``.

Results go to ``<output_root>/<name>/probe.sqlite`` keyed by system, task content and probe settings
(`ProbeResultStore`); clip features to ``<cache_dir>/probe_features.sqlite`` (`FeatureCache`). An
interrupted run resumes: rerun the same command.
"""

from __future__ import annotations

import importlib
import logging
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from baselines.name_lookup import import_target
from benchmarks.config_schema import ConfigError
from benchmarks.fingerprint import FileHasher
from benchmarks.probe.evaluate import ProbeSystem, evaluate_probe
from benchmarks.probe.feature_cache import FeatureCache
from benchmarks.probe.features import ReferenceExtractor
from benchmarks.probe.report import write_probe_report
from benchmarks.probe.result_store import ProbeResultStore
from benchmarks.probe.settings import settings_from_config
from benchmarks.probe.task import ProbeTask, ProbeTaskError, check_split_rule

__all__ = [
    "PROBE_METRIC",
    "build_systems",
    "load_probe_tasks",
    "lookup_references",
    "metrics_without_probe",
    "probe_selected",
    "run_probe",
]

log = logging.getLogger("benchmarks")

#: The name that selects the probe in ``--metrics``.
PROBE_METRIC = "probe"
#: Module that holds the reference extractors (a name-keyed registry).
REFERENCE_MODULE = "benchmarks.probe.reference"


def _items(selection: Any) -> list[str]:
    """A comma list or a list -> its stripped, non-empty items."""
    values = selection if isinstance(selection, (list, tuple)) or OmegaConf.is_list(selection) else str(selection).split(",")
    return [str(item).strip() for item in values if str(item).strip()]


def probe_selected(cfg: DictConfig) -> bool:
    """True when ``metrics`` names the probe."""
    return PROBE_METRIC in _items(cfg.metrics)


def metrics_without_probe(cfg: DictConfig) -> str:
    """The ``metrics`` selection without the probe (empty when only the probe was asked for)."""
    return ",".join(item for item in _items(cfg.metrics) if item != PROBE_METRIC)


def load_probe_tasks(probe: Any, loader: Callable[..., Sequence[ProbeTask]] | None = None) -> list[ProbeTask]:
    """The tasks of ``probe.tasks`` from ``probe.task_loader`` (``module:function(selection, **task_options)``).

    Raises:
        ConfigError: the loader cannot be imported, or a task breaks the split rule.
    """
    if loader is None:
        try:
            loader = import_target(str(probe.task_loader))
        except (ImportError, AttributeError) as exc:
            raise ConfigError(
                f"probe.task_loader={probe.task_loader}: cannot import it ({exc}); the probe task loaders are "
                "missing from this installation"
            ) from None
    options = probe.get("task_options") or {}
    options = OmegaConf.to_container(options, resolve=True) if isinstance(options, DictConfig) else dict(options)
    try:
        tasks = list(loader(str(probe.tasks), **options))
    except ProbeTaskError as exc:  # an unknown task name, a missing HEAR folder, a malformed task
        raise ConfigError(str(exc)) from None
    for task in tasks:
        try:
            check_split_rule(task)
        except ProbeTaskError as exc:
            raise ConfigError(str(exc)) from None
    return tasks


def lookup_references(names: Sequence[str], module: Any = None) -> dict[str, ReferenceExtractor | str]:
    """Reference name -> extractor, or -> why it is unavailable.

    The module (default `REFERENCE_MODULE`) provides ``get_reference_extractor(name)`` or a dict
    ``REFERENCE_EXTRACTORS``; an extractor that cannot be set up here raises (its message is the reason).
    A name of the form ``module:function`` is imported directly (an extractor from another package).
    """
    if module is None:
        try:
            module = importlib.import_module(REFERENCE_MODULE)
        except ImportError as exc:
            module = exc
    found: dict[str, ReferenceExtractor | str] = {}
    missing_module = module if isinstance(module, ImportError) else None
    getter = getattr(module, "get_reference_extractor", None)
    registry = getattr(module, "REFERENCE_EXTRACTORS", None)
    for name in names:
        try:
            if ":" in name:  # an extractor of another package, named module:function
                found[name] = import_target(name)
            elif getter is not None:
                found[name] = getter(name)
            elif registry is not None:
                found[name] = registry[name]
            elif missing_module is not None:
                found[name] = f"{REFERENCE_MODULE} is not installed ({missing_module})"
            else:
                found[name] = f"{module.__name__} has neither get_reference_extractor nor REFERENCE_EXTRACTORS"
        except KeyError:
            known = sorted(registry) if isinstance(registry, dict) else []
            found[name] = f"no reference extractor named {name!r}" + (f" (known: {', '.join(known)})" if known else "")
        except Exception as exc:  # noqa: BLE001 - a reference that cannot run here is reported, not fatal
            found[name] = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
    return found


def build_systems(selection: str) -> list[ProbeSystem]:
    """Every selected codec configuration: built, or unavailable with its reason and remedy."""
    from baselines.registry import availability, build_codec, expand_codec_names, get_spec

    systems = []
    for name in expand_codec_names(selection):
        spec = get_spec(name)
        system = ProbeSystem(name, spec.family, float(spec.nominal_bitrate_kbps), extra=dict(spec.kwargs))
        status = availability(name)
        if not status.available:
            system.unavailable = f"{' '.join(status.reason.split())} (remedy: {' '.join(status.remedy.split())})"
        else:
            try:
                system.codec = build_codec(name)
            except Exception as exc:  # noqa: BLE001 - reported as unavailable, the run goes on
                system.unavailable = f"could not be built: {type(exc).__name__}: {' '.join(str(exc).split())}"
        if system.codec is not None and system.codec.is_random_weights:
            print(f"  ! {name} runs with RANDOM WEIGHTS ({system.codec.weights}); its numbers are not a codec's")
        systems.append(system)
    return systems


def run_probe(
    cfg: DictConfig,
    out_dir: str | Path,
    *,
    tasks: Sequence[ProbeTask] | None = None,
    references: dict[str, ReferenceExtractor | str] | None = None,
    systems: Sequence[ProbeSystem] | None = None,
) -> int:
    """Run the probe for `cfg`; returns the exit status (0 all ran, 1 something unavailable, 3 nothing ran).

    `tasks`, `references` and `systems` replace the configured ones (tests, notebooks).
    """
    from benchmarks.provenance import git_revision, package_versions

    probe = cfg.probe
    try:
        settings = settings_from_config(probe)
    except ValueError as exc:
        raise ConfigError(f"probe: {exc}") from None
    layers = _items(probe.layers)
    bad = [layer for layer in layers if layer not in ("all", "first")]
    if bad or not layers:
        raise ConfigError(f"probe.layers={list(probe.layers)}: give a list of all, first (e.g. [all,first])")
    if str(probe.pooling) != "mean":
        raise ConfigError(f"probe.pooling={probe.pooling}: only mean pooling (the paper's) is implemented")
    out_dir = Path(out_dir)
    tasks = list(tasks) if tasks is not None else load_probe_tasks(probe)
    if not tasks:
        raise ConfigError(f"probe.tasks={probe.tasks}: no task selected")
    wanted = _items(probe.references)
    survival = str(probe.survival_reference) if probe.survival else None
    if survival and survival not in wanted:
        wanted.append(survival)
    references = dict(references) if references is not None else lookup_references(wanted)
    systems = list(systems) if systems is not None else build_systems(str(cfg.codecs))

    cache = FeatureCache(Path(cfg.cache_dir) / "probe_features.sqlite")
    hasher = FileHasher(Path(cfg.cache_dir) / "file_hashes.sqlite")
    store = ProbeResultStore(out_dir / "probe.sqlite")
    run_id = uuid.uuid4().hex[:12]
    store.start_run(run_id, OmegaConf.to_container(cfg, resolve=True), package_versions(), git_revision())
    status = "interrupted"
    try:
        rows = evaluate_probe(
            tasks, systems, references, settings, layers=layers, pooling=str(probe.pooling),
            survival_reference=survival, sample_rate=int(cfg.sample_rate), cache=cache, hasher=hasher, store=store,
            run_id=run_id, progress=print if cfg.progress else None,
        )
        status = "finished"
    finally:
        store.finish_run(run_id, status)
        store.close()
        cache.close()
        hasher.close()
    systems_info = [
        {"system": s.name, "family": s.family, "nominal_bitrate_kbps": s.nominal_bitrate_kbps, "extra": s.extra,
         "weights": getattr(s.codec, "weights", None), "unavailable": s.unavailable}
        for s in systems
    ]
    report = write_probe_report(rows, tasks, systems_info, out_dir / "probe", plot=bool(probe.plot))
    print(report.markdown)
    unavailable = [s for s in systems if s.codec is None] + [n for n, r in references.items() if isinstance(r, str)]
    failed = [r for r in rows if r["status"] == "failed"]
    ok = [r for r in rows if r["status"] == "ok"]
    print(f"\nprobe: {len(tasks)} task(s), {len(systems)} system(s): {len(ok)} results, {len(failed)} failed; "
          f"tables in {out_dir / 'probe'}/ (table_iii.md, survival.md)")
    if not ok:
        print("error: the probe produced no result (reasons above and in probe/unavailable.csv)")
        return 3
    return 1 if unavailable or failed else 0
