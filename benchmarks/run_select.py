"""What a run covers: its clips, its codec configurations (registered from the composed configuration) and
its metrics, built or reported as unavailable."""

from __future__ import annotations

import dataclasses
import importlib.util
import logging
import re
from typing import Any

from omegaconf import DictConfig, OmegaConf

from baselines.catalog import CodecSpec, spec_from_config, split_target
from baselines.name_lookup import import_target, unknown_name
from baselines.registry import availability, expand_codec_names, get_spec, register_codec
from benchmarks.config_schema import ConfigError
from benchmarks.datasets.base import Clip, DatasetError, check_unique_ids, load_dataset
from benchmarks.devices import device_kwargs
from benchmarks.metrics import registry as metric_registry
from benchmarks.metrics.base import Metric
from benchmarks.run_config import one_line as _one_line
from benchmarks.run_config import plain_kwargs as _kwargs

__all__ = [
    "build_metrics",
    "load_clips",
    "metric_selection",
    "named_explicitly",
    "register_class_selections",
    "register_codec_configs",
    "register_precomputed",
    "select_codecs",
]

log = logging.getLogger("benchmarks")


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


def named_explicitly(selection: str) -> set[str]:
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


def metric_recipes(cfg: DictConfig) -> dict[str, tuple[str, dict[str, Any]]]:
    """Metric name -> (class import string, constructor arguments) of the selected metrics, none built.

    Raises KeyError for an unknown metric name."""
    return {name: _metric_target(name, _kwargs(cfg.metric.get(name))) for name in metric_selection(cfg)}


def build_metrics(cfg: DictConfig, recipes: dict[str, tuple[str, dict[str, Any]]] | None = None
                  ) -> tuple[dict[str, Metric], list[tuple[str, str]]]:
    """(metric name -> metric, [(name, reason)] for metrics that could not be built).

    `recipes`, when given, receives name -> (target, constructor arguments) of each metric built, so a
    worker process can build the same metric. ``device=`` reaches each constructor that takes a device.
    """
    metrics, failed = {}, []
    device = cfg.get("device")
    for name in metric_selection(cfg):
        kwargs = _kwargs(cfg.metric.get(name))
        try:
            target, arguments = _metric_target(name, kwargs)
            try:
                cls = import_target(target)
            except (ImportError, AttributeError):
                cls = None
            if cls is not None:
                arguments = {**arguments, **device_kwargs(cls, device, arguments)}
            metrics[name] = _call_target(f"metric.{name}", target, arguments)
            if recipes is not None:
                recipes[name] = (target, arguments)
        except Exception as exc:  # noqa: BLE001 - reported, not hidden
            failed.append((name, f"{type(exc).__name__}: {_one_line(str(exc))}"))
    return metrics, failed


def _metric_target(name: str, kwargs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(class import string, constructor arguments) of metric `name`: its ``_target_``, else the registry's."""
    if "_target_" in kwargs:
        return split_target(name, kwargs)
    metric_registry.expand_metric_names([name])  # KeyError naming the metric if unknown
    target, defaults = metric_registry._METRICS[name]
    return target, {**defaults, **kwargs}


def _call_target(where: str, target: str, kwargs: dict[str, Any]) -> Any:
    """``target(**kwargs)``; an import failure is a ConfigError naming `where`."""
    try:
        function = import_target(target)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"{where}._target_={target}: cannot import it ({exc})") from None
    return function(**kwargs)

